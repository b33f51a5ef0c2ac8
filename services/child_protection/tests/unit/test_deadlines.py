"""Stage deadlines with explicit times. Overdue means strictly after the due instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from child_protection.domain import BidDecision, Deadline, DeadlineRule, Stage, compute_deadlines
from child_protection.domain.events import StageOverdue

OPENED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
NOTIFICATION_DUE = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
INTERVIEW_DUE = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
BIA_DUE = datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
BID_DUE = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
# The default case (conftest): identified at 13:30, an hour and a half before it was opened;
# its deadlines count from the identification (DOMAIN.md §2).
IDENTIFIED = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
CASE_NOTIFICATION_DUE = datetime(2026, 12, 2, 13, 30, tzinfo=UTC)
CASE_INTERVIEW_DUE = datetime(2026, 12, 4, 13, 30, tzinfo=UTC)
CASE_BIA_DUE = datetime(2026, 12, 16, 13, 30, tzinfo=UTC)
CASE_BID_DUE = datetime(2026, 12, 31, 13, 30, tzinfo=UTC)


def at_hours(hours: float) -> datetime:
    return OPENED + timedelta(hours=hours)


def _overdue_stages(case):
    return [ev.overdue_stage for ev in case.events if isinstance(ev, StageOverdue)]


class TestComputeDeadlines:
    def test_default_due_times_count_from_the_start_given(self):
        deadlines = compute_deadlines(DeadlineRule("MX"), OPENED, {}, OPENED)

        assert deadlines == (
            Deadline(Stage.NOTIFIED, NOTIFICATION_DUE, None, overdue=False),
            Deadline(Stage.INTERVIEWED, INTERVIEW_DUE, None, overdue=False),
            Deadline(Stage.ASSESSED, BIA_DUE, None, overdue=False),
            Deadline(Stage.DETERMINED, BID_DUE, None, overdue=False),
        )

    def test_not_overdue_at_exactly_the_due_instant(self):
        (notification, *_) = compute_deadlines(DeadlineRule("MX"), OPENED, {}, NOTIFICATION_DUE)

        assert notification.overdue is False

    def test_overdue_one_second_after_the_due_instant(self):
        (notification, interview, *_) = compute_deadlines(
            DeadlineRule("MX"), OPENED, {}, NOTIFICATION_DUE + ONE_SECOND
        )

        assert notification.overdue is True
        assert interview.overdue is False

    def test_met_stage_is_never_overdue(self):
        reached = {Stage.NOTIFIED: datetime(2026, 12, 1, 18, tzinfo=UTC)}

        (notification, *_) = compute_deadlines(DeadlineRule("MX"), OPENED, reached, BID_DUE)

        assert notification.overdue is False
        assert notification.met_at == datetime(2026, 12, 1, 18, tzinfo=UTC)
        assert notification.late is False

    def test_met_after_the_due_time_is_late_but_not_overdue(self):
        reached = {Stage.NOTIFIED: datetime(2026, 12, 3, 9, tzinfo=UTC)}

        (notification, *_) = compute_deadlines(DeadlineRule("MX"), OPENED, reached, BID_DUE)

        assert notification.overdue is False
        assert notification.late is True

    def test_country_rule_overrides_the_defaults(self):
        guatemala = DeadlineRule("GT", notification=timedelta(hours=12), bid=timedelta(days=20))

        due = [d.due_at for d in compute_deadlines(guatemala, OPENED, {}, OPENED)]

        assert due == [
            datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
            INTERVIEW_DUE,
            BIA_DUE,
            datetime(2026, 12, 21, 15, 0, tzinfo=UTC),
        ]

    def test_rule_refuses_a_non_positive_allowance(self):
        with pytest.raises(ValueError, match="positive"):
            DeadlineRule("MX", interview=timedelta(0))


class TestCaseDeadlines:
    def test_summary_shows_each_stage_due_time_and_overdue_flag(self, build):
        case = build.open()
        case.record_notification(
            build.dif, authority="Procuraduría", notified_at=datetime(2026, 12, 1, 20, tzinfo=UTC)
        )

        summary = case.summary(datetime(2026, 12, 5, 0, 0, tzinfo=UTC))

        assert [(d.stage, d.due_at, d.overdue) for d in summary.deadlines] == [
            (Stage.NOTIFIED, CASE_NOTIFICATION_DUE, False),
            (Stage.INTERVIEWED, CASE_INTERVIEW_DUE, True),
            (Stage.ASSESSED, CASE_BIA_DUE, False),
            (Stage.DETERMINED, CASE_BID_DUE, False),
        ]

    def test_due_times_count_from_identification_not_from_opening(self, build):
        # Found on Friday evening, typed in on Monday: the 24 h ran out over the weekend.
        case = build.open(identified_at=datetime(2026, 11, 27, 19, 0, tzinfo=UTC))

        (notification, interview, *_) = case.deadlines(OPENED)

        assert notification.due_at == datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
        assert notification.overdue is True
        assert interview.due_at == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
        assert interview.overdue is True
        assert case.overdue_after == notification.due_at

    def test_overdue_after_is_the_earliest_missing_act(self, build):
        case = build.open()
        assert case.overdue_after == CASE_NOTIFICATION_DUE

        case.record_notification(build.dif, authority="PFPNNA", notified_at=at_hours(2))
        assert case.overdue_after == CASE_INTERVIEW_DUE
        case.record_interview(build.dif, conducted_at=at_hours(3), language="es", notes="-")
        build.write_bia(case)
        build.write_origin(case)
        build.decide(case)
        assert case.overdue_after is None

    def test_case_keeps_the_rule_it_was_opened_with(self, build):
        case = build.open(deadline_rule=DeadlineRule("MX", notification=timedelta(hours=6)))

        assert case.deadlines(OPENED)[0].due_at == datetime(2026, 12, 1, 19, 30, tzinfo=UTC)

    def test_closed_case_is_frozen_at_its_closing_time(self, build):
        case = build.determined(BidDecision.STAY)  # no notification or interview recorded
        case.close(build.dif, reason="Foster family.", closed_at=datetime(2026, 12, 22, tzinfo=UTC))

        overdue = {d.stage: d.overdue for d in case.deadlines(datetime(2027, 6, 1, tzinfo=UTC))}

        assert overdue == {
            Stage.NOTIFIED: True,
            Stage.INTERVIEWED: True,
            Stage.ASSESSED: False,
            Stage.DETERMINED: False,
        }


class TestCheckDeadlines:
    def test_nothing_at_exactly_the_due_instant(self, build):
        case = build.open()

        case.check_deadlines(CASE_NOTIFICATION_DUE)

        assert _overdue_stages(case) == []
        assert case.version == 1

    def test_emits_stage_overdue_after_the_due_instant(self, build):
        case = build.open()

        case.check_deadlines(CASE_NOTIFICATION_DUE + ONE_SECOND)

        (event,) = case.events[1:]
        assert isinstance(event, StageOverdue)
        assert event.overdue_stage is Stage.NOTIFIED
        assert event.due_at == CASE_NOTIFICATION_DUE
        assert event.occurred_at == datetime(2026, 12, 2, 13, 30, 1, tzinfo=UTC)
        assert event.actor is None
        assert event.stage is Stage.IDENTIFIED
        assert event.version == 2
        assert event.access == ("MX", "HN")
        assert case.overdue_reported == {Stage.NOTIFIED}

    def test_emitted_only_once_per_stage(self, build):
        case = build.open()

        case.check_deadlines(NOTIFICATION_DUE + ONE_SECOND)
        case.check_deadlines(NOTIFICATION_DUE + timedelta(hours=1))
        case.check_deadlines(NOTIFICATION_DUE + timedelta(hours=2))

        assert _overdue_stages(case) == [Stage.NOTIFIED]
        assert case.version == 2

    def test_later_stages_are_reported_as_they_fall_due(self, build):
        case = build.open()

        case.check_deadlines(NOTIFICATION_DUE + ONE_SECOND)
        case.check_deadlines(INTERVIEW_DUE + ONE_SECOND)
        case.check_deadlines(BID_DUE + ONE_SECOND)

        assert _overdue_stages(case) == [
            Stage.NOTIFIED,
            Stage.INTERVIEWED,
            Stage.ASSESSED,
            Stage.DETERMINED,
        ]
        assert case.version == 4

    def test_a_late_first_check_reports_every_overdue_stage_once(self, build):
        case = build.open()

        case.check_deadlines(BIA_DUE + ONE_SECOND)

        assert _overdue_stages(case) == [Stage.NOTIFIED, Stage.INTERVIEWED, Stage.ASSESSED]
        assert case.version == 2  # one change, three events

    def test_not_emitted_for_a_completed_stage(self, build):
        case = build.open()
        case.record_notification(
            build.dif, authority="Procuraduría", notified_at=datetime(2026, 12, 1, 20, tzinfo=UTC)
        )

        case.check_deadlines(NOTIFICATION_DUE + timedelta(hours=1))

        assert _overdue_stages(case) == []

    def test_not_emitted_for_a_stage_completed_late_before_the_check(self, build):
        case = build.open()
        case.record_notification(
            build.dif, authority="Procuraduría", notified_at=datetime(2026, 12, 3, 8, tzinfo=UTC)
        )

        case.check_deadlines(datetime(2026, 12, 3, 9, tzinfo=UTC))

        assert _overdue_stages(case) == []

    def test_bia_and_bid_met_by_the_builder_times(self, build):
        # BIA complete 2026-12-11 15:00, BID 2026-12-21 15:00: both in time.
        case = build.determined()

        case.check_deadlines(datetime(2027, 1, 15, tzinfo=UTC))

        assert _overdue_stages(case) == [Stage.NOTIFIED, Stage.INTERVIEWED]

    def test_never_on_a_closed_case(self, build):
        case = build.determined(BidDecision.STAY)
        case.close(build.dif, reason="Foster family.", closed_at=datetime(2026, 12, 22, tzinfo=UTC))
        version = case.version

        case.check_deadlines(datetime(2027, 1, 15, tzinfo=UTC))

        assert _overdue_stages(case) == []
        assert case.version == version

    def test_blocked_case_reports_with_host_only_access(self, build):
        case = build.open(protection_need=True)

        case.check_deadlines(NOTIFICATION_DUE + ONE_SECOND)

        assert case.events[-1].access == ("MX",)
