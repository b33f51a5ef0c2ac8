"""Protection measures, notification, interviews, screening and tracing: the early milestones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from child_protection.domain import BidDecision, FamilyContact, MeasureKind, Stage
from child_protection.domain import errors as e
from child_protection.domain.events import (
    AuthorityNotified,
    ConsularBlockSet,
    ProtectionDecisionRequired,
    ProtectionMeasureRecorded,
    ScreeningRecorded,
)


def _measure(case, actor, hours_after=1):
    case.record_protection_measure(
        actor,
        kind=MeasureKind.URGENT_CARE,
        description="Rehydration at the DIF clinic.",
        taken_at=datetime(2026, 12, 1, 15 + hours_after, 0, tzinfo=UTC),
    )


class TestRecordProtectionMeasure:
    def test_first_measure_moves_to_protective_custody(self, build):
        case = build.open()

        _measure(case, build.dif)

        assert case.stage is Stage.IN_PROTECTIVE_CUSTODY
        assert case.version == 2
        assert case.reached[Stage.IN_PROTECTIVE_CUSTODY] == datetime(2026, 12, 1, 16, tzinfo=UTC)
        assert isinstance(case.events[-1], ProtectionMeasureRecorded)
        assert case.sensitive.protection_measures[0].description == "Rehydration at the DIF clinic."
        assert case.sensitive.protection_measures[0].recorded_by == "dif.mx"

    def test_allowed_while_the_bid_is_pending(self, build):
        case = build.assessed()

        _measure(case, build.dif)

        assert case.stage is Stage.ASSESSED
        assert len(case.sensitive.protection_measures) == 1

    @pytest.mark.parametrize(
        ("make", "stage"),
        [
            ("open", Stage.IDENTIFIED),
            ("assessed", Stage.ASSESSED),
            ("determined", Stage.DETERMINED),
            ("return_planned", Stage.RETURN_PLANNED),
            ("handed_over", Stage.HANDED_OVER),
        ],
    )
    def test_allowed_at_any_open_stage_without_moving_the_case_back(self, build, make, stage):
        case = getattr(build, make)()
        before = case.stage

        _measure(case, build.dif)

        assert before is stage
        assert case.stage is (Stage.IN_PROTECTIVE_CUSTODY if stage is Stage.IDENTIFIED else stage)

    def test_allowed_while_blocked_for_the_consulate(self, build):
        case = build.open(trafficking_indicator=True)

        _measure(case, build.dif)

        assert case.stage is Stage.IN_PROTECTIVE_CUSTODY
        assert case.events[-1].access == ("MX",)

    def test_refused_on_a_closed_case(self, build):
        case = build.determined(BidDecision.STAY)
        case.close(
            build.dif,
            reason="Placed with a foster family.",
            closed_at=datetime(2027, 2, 1, tzinfo=UTC),
        )

        with pytest.raises(e.CaseIsClosed) as raised:
            _measure(case, build.dif)

        assert raised.value.kind == "conflict"

    @pytest.mark.parametrize("who", ["dinaf", "supervisor", "consul"])
    def test_only_a_host_officer_records_measures(self, build, who):
        case = build.open()

        with pytest.raises(e.OnlyHostOfficer):
            _measure(case, getattr(build, who))

        assert case.sensitive.protection_measures == []
        assert case.version == 1

    def test_description_is_required(self, build):
        case = build.open()

        with pytest.raises(e.SectionRequired) as raised:
            case.record_protection_measure(
                build.dif,
                kind=MeasureKind.SHELTER,
                description="  ",
                taken_at=datetime(2026, 12, 1, 16, tzinfo=UTC),
            )

        assert raised.value.field == "description"


class TestRecordNotification:
    def test_moves_to_notified(self, build):
        case = build.open()

        case.record_notification(
            build.dif,
            authority="Procuraduría de Protección, Chiapas",
            notified_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
        )

        assert case.stage is Stage.NOTIFIED
        assert case.notifications[0].authority == "Procuraduría de Protección, Chiapas"
        assert case.reached[Stage.NOTIFIED] == datetime(2026, 12, 1, 17, tzinfo=UTC)
        assert isinstance(case.events[-1], AuthorityNotified)

    def test_authority_is_required(self, build):
        case = build.open()

        with pytest.raises(e.SectionRequired) as raised:
            case.record_notification(
                build.dif, authority="", notified_at=datetime(2026, 12, 1, 17, tzinfo=UTC)
            )

        assert raised.value.field == "authority"

    def test_nationality_officer_cannot_record_it(self, build):
        with pytest.raises(e.OnlyHostOfficer):
            build.open().record_notification(
                build.dinaf, authority="DINAF", notified_at=datetime(2026, 12, 1, 17, tzinfo=UTC)
            )


class TestRecordInterview:
    def test_moves_to_interviewed_and_keeps_notes_sensitive(self, build):
        case = build.open()

        case.record_interview(
            build.dif,
            conducted_at=datetime(2026, 12, 2, 10, tzinfo=UTC),
            language="es",
            notes="Left home because of gang threats? Says no.",
            interpreter=None,
        )

        assert case.stage is Stage.INTERVIEWED
        assert case.sensitive.interviews[0].conducted_by == "dif.mx"
        assert case.reached[Stage.INTERVIEWED] == datetime(2026, 12, 2, 10, tzinfo=UTC)

    def test_earliest_interview_counts_as_the_milestone(self, build):
        case = build.open()
        for day in (3, 2):
            case.record_interview(
                build.dif,
                conducted_at=datetime(2026, 12, day, 10, tzinfo=UTC),
                language="es",
                notes=f"Interview on day {day}.",
            )

        assert case.reached[Stage.INTERVIEWED] == datetime(2026, 12, 2, 10, tzinfo=UTC)
        assert len(case.sensitive.interviews) == 2

    def test_dinaf_cannot_interview_in_the_host_case(self, build):
        with pytest.raises(e.OnlyHostOfficer):
            build.open().record_interview(
                build.dinaf,
                conducted_at=datetime(2026, 12, 2, 10, tzinfo=UTC),
                language="es",
                notes="-",
            )


class TestRecordScreening:
    def _screen(self, case, build, **flags):
        case.record_screening(
            build.dif,
            screened_at=datetime(2026, 12, 2, 12, tzinfo=UTC),
            notes="Screened with the UNHCR questionnaire.",
            **({"protection_need": False, "trafficking_indicator": False} | flags),
        )

    def test_moves_to_screened(self, build):
        case = build.open()

        self._screen(case, build)

        assert case.stage is Stage.SCREENED
        assert case.blocked_for_consulate is False
        assert isinstance(case.events[-1], ScreeningRecorded)

    def test_new_trafficking_indicator_blocks_and_alerts_the_supervisor(self, build):
        case = build.open()

        self._screen(case, build, trafficking_indicator=True)

        assert case.blocked_for_consulate is True
        assert case.sensitive.indicators.trafficking_indicator is True
        assert [type(ev) for ev in case.events[1:]] == [
            ScreeningRecorded,
            ConsularBlockSet,
            ProtectionDecisionRequired,
        ]
        assert all(ev.access == ("MX",) for ev in case.events[1:])

    def test_new_flag_on_an_already_blocked_case_alerts_without_a_second_block(self, build):
        case = build.open(protection_need=True)

        self._screen(case, build, trafficking_indicator=True)

        assert [type(ev) for ev in case.events[2:]] == [
            ScreeningRecorded,
            ProtectionDecisionRequired,
        ]

    def test_new_flag_blocks_again_after_a_clearance(self, build):
        case = build.open(trafficking_indicator=True)
        case.decide_protection(
            build.supervisor,
            clear_block=True,
            reasons="Risk contained.",
            decided_at=datetime(2026, 12, 2, 9, tzinfo=UTC),
        )

        self._screen(case, build, protection_need=True)

        assert case.blocked_for_consulate is True

    def test_a_screening_never_lowers_a_flag(self, build):
        case = build.open(trafficking_indicator=True)

        self._screen(case, build, trafficking_indicator=False)

        assert case.sensitive.indicators.trafficking_indicator is True
        assert case.blocked_for_consulate is True
        assert not any(isinstance(ev, ProtectionDecisionRequired) for ev in case.events[2:])


class TestRecordFamilyTracing:
    def test_moves_to_family_tracing_and_keeps_contacts_sensitive(self, build):
        case = build.open()

        case.record_family_tracing(
            build.dif,
            traced_at=datetime(2026, 12, 3, 9, tzinfo=UTC),
            actions=("Called the consulate's family-tracing desk",),
            contacts=(FamilyContact("Rosa Reyes", "mother", "+504 5555 0000"),),
        )

        assert case.stage is Stage.FAMILY_TRACING
        assert case.sensitive.family_tracing[0].contacts[0].name == "Rosa Reyes"

    def test_empty_record_is_refused(self, build):
        with pytest.raises(e.TracingRecordEmpty) as raised:
            build.open().record_family_tracing(
                build.dif, traced_at=datetime(2026, 12, 3, 9, tzinfo=UTC), actions=(" ",)
            )

        assert raised.value.kind == "invalid"


class TestStageAdvance:
    def test_early_steps_in_order_walk_every_stage(self, build):
        case = build.open()
        seen = [case.stage]
        build.record_all_early_steps(case)
        seen += [ev.stage for ev in case.events[1:]]
        build.write_bia(case)
        seen.append(case.stage)

        assert seen == [
            Stage.IDENTIFIED,
            Stage.IN_PROTECTIVE_CUSTODY,
            Stage.NOTIFIED,
            Stage.INTERVIEWED,
            Stage.SCREENED,
            Stage.FAMILY_TRACING,
            Stage.ASSESSED,
        ]

    def test_the_furthest_milestone_is_the_stage_whatever_the_order(self, build):
        case = build.open()
        case.record_interview(
            build.dif, conducted_at=datetime(2026, 12, 1, 18, tzinfo=UTC), language="es", notes="-"
        )
        case.record_notification(
            build.dif, authority="Procuraduría", notified_at=datetime(2026, 12, 1, 19, tzinfo=UTC)
        )

        assert case.stage is Stage.INTERVIEWED
        assert case.reached[Stage.NOTIFIED] == datetime(2026, 12, 1, 19, tzinfo=UTC)

    def test_each_change_increments_the_version_once(self, build):
        case = build.open()
        build.record_all_early_steps(case)

        assert case.version == 6
        assert [ev.version for ev in case.events] == [1, 2, 3, 4, 5, 6]
