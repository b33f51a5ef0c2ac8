"""A Honduran boy found in Tapachula, from identification to a closed case after return."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from child_protection.domain import (
    Accompaniment,
    Actor,
    BidDecision,
    Caregiver,
    Child,
    ChildCase,
    FamilyContact,
    MeasureKind,
    Place,
    ReceptionPoint,
    Sex,
    Stage,
)
from child_protection.domain.events import (
    AuthorityNotified,
    BiaWritten,
    CaseClosed,
    CaseDetermined,
    CaseOpened,
    CaseReturned,
    FamilyTracingRecorded,
    FollowUpRecorded,
    InterviewRecorded,
    OriginAssessmentWritten,
    ProtectionMeasureRecorded,
    ReturnPlanned,
    ScreeningRecorded,
)

DIF = Actor("dif.mx", frozenset({"child_protection_officer"}), "MX")
DIF_SUPERVISOR = Actor("dif.mx.supervisor", frozenset({"child_protection_supervisor"}), "MX")
DINAF = Actor("dinaf.hn", frozenset({"child_protection_officer"}), "HN")
CORINTO = ReceptionPoint("HN-CORINTO", "HN", has_child_protection_authority=True)


class TestHonduranChildInMexico:
    def test_from_identification_to_closed(self):
        case = ChildCase.open(
            case_id=UUID("0193a1f0-0000-7000-8000-000000000001"),
            reference="CP-MX-2026-000001",
            actor=DIF,
            host_country="MX",
            nationality="HN",
            child=Child(
                given_names="Kevin Josué",
                surnames="Martínez Reyes",
                sex=Sex.MALE,
                date_of_birth=date(2012, 4, 9),
                languages=("es",),
            ),
            identified_at=datetime(2026, 12, 1, 13, 30, tzinfo=UTC),
            place=Place("MX", "Chiapas", "Tapachula"),
            accompaniment=Accompaniment.UNACCOMPANIED,
            age_disputed=False,
            protection_need=False,
            trafficking_indicator=False,
            opened_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        )
        stages = [case.stage]

        case.record_protection_measure(
            DIF,
            kind=MeasureKind.SHELTER,
            description="Placed in the DIF Chiapas shelter.",
            taken_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
        )
        stages.append(case.stage)
        case.record_notification(
            DIF,
            authority="Procuraduría de Protección de NNA, Chiapas",
            notified_at=datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
        )
        stages.append(case.stage)
        case.record_interview(
            DIF,
            conducted_at=datetime(2026, 12, 2, 16, 0, tzinfo=UTC),
            language="es",
            notes="Left San Pedro Sula to join an uncle in Houston.",
        )
        stages.append(case.stage)
        case.record_screening(
            DIF,
            screened_at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC),
            protection_need=False,
            trafficking_indicator=False,
            notes="No fear of return; no trafficking indicators.",
        )
        stages.append(case.stage)
        case.record_family_tracing(
            DIF,
            traced_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC),
            actions=("Phone call with the mother",),
            contacts=(FamilyContact("Rosa Reyes", "mother", "+504 5555 0000", "San Pedro Sula"),),
        )
        stages.append(case.stage)
        case.write_bia(
            DIF,
            safety="No threats known at the mother's home.",
            family="Mother and two younger siblings.",
            health="Healthy.",
            education="Finished 6th grade.",
            child_views="Wants to go home to his mother.",
            child_views_absent_reason=None,
            recommendation="Return to the mother.",
            complete=True,
            written_at=datetime(2026, 12, 10, 16, 0, tzinfo=UTC),
        )
        stages.append(case.stage)
        case.write_origin_assessment(
            DINAF,
            family_situation="Mother employed; siblings at school.",
            home_situation="Stable rented house.",
            risks_on_return="None found on DINAF's home visit.",
            caregiver=Caregiver("Rosa Reyes", "mother"),
            caregiver_agrees_and_able=True,
            complete=True,
            written_at=datetime(2026, 12, 12, 16, 0, tzinfo=UTC),
        )
        case.decide_bid(
            DIF_SUPERVISOR,
            decision=BidDecision.RETURN,
            reasons="Family able and willing; the child wishes to return.",
            panel=("Lic. Laura Gómez", "Psic. Mario Ruiz", "T.S. Elena Cruz"),
            child_views_considered="His wish to return weighed in favour.",
            decided_at=datetime(2026, 12, 15, 16, 0, tzinfo=UTC),
        )
        stages.append(case.stage)
        case.plan_return(
            DIF,
            reception_point=CORINTO,
            scheduled_at=datetime(2026, 12, 18, 14, 0, tzinfo=UTC),
            escort="Lic. Ana Torres (DIF)",
            planned_at=datetime(2026, 12, 16, 16, 0, tzinfo=UTC),
        )
        stages.append(case.stage)
        case.confirm_reception(
            DINAF,
            received_at=datetime(2026, 12, 18, 20, 0, tzinfo=UTC),
            received_by_institution="DINAF Corinto",
        )
        stages.append(case.stage)
        case.record_follow_up(
            DINAF,
            visited_at=datetime(2027, 1, 15, 16, 0, tzinfo=UTC),
            notes="Living with his mother; back at school.",
        )
        stages.append(case.stage)
        case.check_deadlines(datetime(2027, 1, 20, 0, 0, tzinfo=UTC))
        case.close(
            DINAF,
            reason="Reintegrated; follow-up complete.",
            closed_at=datetime(2027, 3, 15, 16, 0, tzinfo=UTC),
        )
        stages.append(case.stage)

        assert stages == [
            Stage.IDENTIFIED,
            Stage.IN_PROTECTIVE_CUSTODY,
            Stage.NOTIFIED,
            Stage.INTERVIEWED,
            Stage.SCREENED,
            Stage.FAMILY_TRACING,
            Stage.ASSESSED,
            Stage.DETERMINED,
            Stage.RETURN_PLANNED,
            Stage.HANDED_OVER,
            Stage.FOLLOW_UP,
            Stage.CLOSED,
        ]
        assert [type(ev) for ev in case.events] == [
            CaseOpened,
            ProtectionMeasureRecorded,
            AuthorityNotified,
            InterviewRecorded,
            ScreeningRecorded,
            FamilyTracingRecorded,
            BiaWritten,
            OriginAssessmentWritten,
            CaseDetermined,
            ReturnPlanned,
            CaseReturned,
            FollowUpRecorded,
            CaseClosed,
        ]  # every deadline was met: no StageOverdue
        assert case.version == 13
        assert all(ev.access == ("MX", "HN") for ev in case.events)
        opened = case.events[0]
        assert isinstance(opened, CaseOpened)
        assert opened.notify_consulate is True
        assert case.closure is not None
        assert [(d.stage, d.overdue, d.late) for d in case.deadlines(case.closure.closed_at)] == [
            (Stage.NOTIFIED, False, False),
            (Stage.INTERVIEWED, False, False),
            (Stage.ASSESSED, False, False),
            (Stage.DETERMINED, False, False),
        ]
        summary = case.summary(datetime(2027, 3, 16, tzinfo=UTC))
        assert summary.stage is Stage.CLOSED
        assert summary.bid_decision is BidDecision.RETURN
        assert summary.blocked_for_consulate is False
