"""Clocks with explicit times. Default report: detained 15:00 UTC on 10 March 2026 in Tapachula
(09:00 local, UTC-6 all year since Mexico dropped daylight-saving time in 2022)."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from consular.domain.directory import ConsularPost, Directory, PostKind
from consular.domain.errors import NotConsulOfNationality
from consular.domain.events import NotificationAcknowledged, NotificationOverdue
from consular.domain.reference import NotificationClock
from consular.domain.states import Channel, Deadline, NotificationStatus
from consular.domain.values import Actor, Place

TAPACHULA = ZoneInfo("America/Mexico_City")
NEW_YORK = ZoneInfo("America/New_York")
CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
CONSUL_SV = Actor("consul.sv.tapachula", frozenset({"consular_officer"}), "SV")
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
IGM_GT = Actor("igm.gt", frozenset({"immigration_officer"}), "GT")
DUE = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)
ACK_DUE = datetime(2026, 3, 13, 15, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def _overdue_events(notification):
    return [e for e in notification.events if isinstance(e, NotificationOverdue)]


class TestDueTimes:
    def test_send_and_acknowledge_deadlines_run_from_the_trigger(self, office):
        notification = office.one()
        assert notification.occurred_at == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
        assert notification.due_at == DUE
        assert notification.ack_due_at == ACK_DUE

    def test_due_times_are_shown_on_the_hosts_wall_clock(self, office):
        notification = office.one()
        assert notification.time_zone == "America/Mexico_City"
        assert notification.local(notification.due_at) == datetime(
            2026, 3, 11, 9, 0, tzinfo=TAPACHULA
        )
        assert notification.local(notification.due_at).utcoffset() == timedelta(hours=-6)

    def test_mexico_keeps_utc_minus_6_in_april(self, office):
        # Before 2022 Mexico moved to UTC-5 on the first Sunday of April (5 April 2026).
        notification = office.one(
            occurred_at=datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
            now=datetime(2026, 4, 4, 16, 0, tzinfo=UTC),
        )
        local_due = notification.local(notification.due_at)
        assert (local_due.hour, local_due.utcoffset()) == (9, timedelta(hours=-6))

    def test_the_host_countrys_clock_decides(self, office, reference):
        quick = NotificationClock(
            "MX",
            "America/Mexico_City",
            date(2020, 1, 1),
            send_within=timedelta(hours=12),
            acknowledge_within=timedelta(hours=48),
        )
        notification = office.one(reference=replace(reference, clocks=(quick,)))
        assert notification.due_at == datetime(2026, 3, 11, 3, 0, tzinfo=UTC)
        assert notification.ack_due_at == datetime(2026, 3, 12, 15, 0, tzinfo=UTC)

    def test_without_a_clock_the_defaults_apply_in_utc(self, office, reference):
        notification = office.one(reference=replace(reference, clocks=()))
        assert notification.due_at == DUE
        assert notification.ack_due_at == ACK_DUE
        assert notification.time_zone == "UTC"

    def test_a_day_is_24_elapsed_hours_across_a_daylight_saving_change(self, office, reference):
        # New York springs forward at 02:00 on Sunday 8 March 2026.
        post = ConsularPost(
            code="GT-CONS-NEW-YORK",
            country="GT",
            kind=PostKind.CONSULATE,
            city="New York",
            host_country="US",
            jurisdiction=frozenset({"US-NY"}),
            email="consulado.newyork@gt.example",
            valid_from=date(2020, 1, 1),
        )
        us = replace(
            reference, directory=Directory(posts=(post,), subdivisions={"US-NY": ("New York",)})
        )
        detained = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)  # 17:00 UTC, EST
        notification = office.one(
            reference=us,
            reported_by=Actor("cbp.us", frozenset({"immigration_officer"}), "US"),
            place=Place("US", "New York", "New York"),
            occurred_at=detained,
            now=detained,
        )
        assert notification.due_at == datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
        assert notification.local(notification.due_at) == datetime(
            2026, 3, 8, 13, 0, tzinfo=NEW_YORK
        )
        notification.check_overdue(datetime(2026, 3, 8, 12, 30, tzinfo=NEW_YORK))
        assert notification.overdue is False


class TestCheckOverdue:
    def test_not_overdue_at_the_deadline_itself(self, office):
        notification = office.one()
        notification.check_overdue(datetime(2026, 3, 11, 9, 0, tzinfo=TAPACHULA))
        assert notification.overdue is False
        assert notification.events == []

    def test_overdue_right_after_the_deadline(self, office):
        notification = office.one()
        notification.check_overdue(datetime(2026, 3, 11, 9, 0, tzinfo=TAPACHULA) + TICK)
        assert notification.overdue is True
        assert notification.escalated_at == datetime(2026, 3, 11, 15, 0, 0, 1, tzinfo=UTC)
        (overdue,) = notification.events
        assert isinstance(overdue, NotificationOverdue)
        assert overdue.missed is Deadline.SENDING
        assert overdue.due_at == DUE
        assert overdue.consular_post == "GT-CONS-TAPACHULA"
        assert overdue.version == 2

    def test_the_escalation_is_emitted_once(self, office):
        notification = office.one()
        for later in (TICK, timedelta(hours=1), timedelta(days=3), timedelta(days=30)):
            notification.check_overdue(DUE + later)
        assert len(_overdue_events(notification)) == 1
        assert notification.version == 2

    def test_sent_in_time_escalates_only_when_the_acknowledgment_is_late(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.IN_APP, ok=True, error=None, now=DUE)
        notification.check_overdue(ACK_DUE)
        assert notification.overdue is False
        notification.check_overdue(ACK_DUE + TICK)
        (overdue,) = _overdue_events(notification)
        assert overdue.missed is Deadline.ACKNOWLEDGMENT
        assert overdue.due_at == ACK_DUE

    def test_sent_late_is_still_overdue(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.EMAIL, ok=True, error=None, now=DUE + TICK)
        notification.check_overdue(DUE + timedelta(minutes=1))
        (overdue,) = _overdue_events(notification)
        assert overdue.missed is Deadline.SENDING

    def test_a_send_escalation_is_not_repeated_for_the_acknowledgment(self, office):
        notification = office.one()
        notification.check_overdue(DUE + TICK)
        notification.delivery_attempted(Channel.IN_APP, ok=True, error=None, now=DUE + TICK)
        notification.check_overdue(ACK_DUE + TICK)
        assert [e.missed for e in _overdue_events(notification)] == [Deadline.SENDING]

    def test_never_after_acknowledgment(self, office):
        notification = office.one()
        notification.acknowledge(CONSUL_GT, datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
        notification.check_overdue(ACK_DUE + timedelta(days=1))
        assert notification.overdue is False
        assert _overdue_events(notification) == []

    def test_acknowledging_late_keeps_the_overdue_mark(self, office):
        notification = office.one()
        notification.check_overdue(DUE + TICK)
        notification.acknowledge(CONSUL_GT, DUE + timedelta(hours=2))
        notification.check_overdue(ACK_DUE + TICK)
        assert notification.overdue is True
        assert len(_overdue_events(notification)) == 1
        acknowledged = notification.events[-1]
        assert isinstance(acknowledged, NotificationAcknowledged)
        assert acknowledged.overdue is True


class TestAcknowledgeNotification:
    def test_the_consul_of_the_nationality_acknowledges(self, office):
        notification = office.one()
        at = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)
        notification.acknowledge(CONSUL_GT, at)
        assert notification.status is NotificationStatus.ACKNOWLEDGED
        assert notification.acknowledged_at == at
        assert notification.acknowledged_by == "consul.gt.tapachula"
        assert notification.version == 2
        (event,) = notification.events
        assert event == NotificationAcknowledged(
            notification_id=notification.id,
            kind=notification.kind,
            nationality="GT",
            host_country="MX",
            consular_post="GT-CONS-TAPACHULA",
            related=None,
            acknowledged_by="consul.gt.tapachula",
            acknowledged_at=at,
            overdue=False,
            version=2,
        )

    @pytest.mark.parametrize("actor", [CONSUL_SV, INM_MX, IGM_GT])
    def test_nobody_else_acknowledges(self, office, actor):
        notification = office.one()
        with pytest.raises(NotConsulOfNationality) as refused:
            notification.acknowledge(actor, datetime(2026, 3, 10, 17, 30, tzinfo=UTC))
        assert refused.value.kind == "forbidden"
        assert notification.status is NotificationStatus.PENDING
        assert notification.events == []

    def test_acknowledging_twice_changes_nothing(self, office):
        notification = office.one()
        first = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)
        notification.acknowledge(CONSUL_GT, first)
        notification.acknowledge(CONSUL_GT, first + timedelta(hours=1))
        assert notification.acknowledged_at == first
        assert notification.version == 2
        assert len(notification.events) == 1
