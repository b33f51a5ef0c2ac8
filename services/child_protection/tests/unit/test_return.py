"""Return gates, reception by the origin authority, follow-up and closing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from child_protection.domain import BidDecision, ReceptionPoint, Stage
from child_protection.domain import errors as e
from child_protection.domain.events import CaseClosed, CaseReturned, ReturnPlanned


def _trafficking_case_determined_for_return(build):
    """Trafficking indicator at opening, block cleared by the supervisor, BID return."""
    case = build.open(trafficking_indicator=True)
    case.decide_protection(
        build.supervisor,
        clear_block=True,
        reasons="Recruiter identified in Mexico; family not involved.",
        decided_at=datetime(2026, 12, 3, tzinfo=UTC),
    )
    build.write_bia(case)
    build.write_origin(case)
    build.decide(case)
    return case


class TestPlanReturn:
    def test_planned_when_every_gate_is_met(self, build):
        case = build.determined()

        build.plan_return(case, scheduled_at=datetime(2026, 12, 26, 15, tzinfo=UTC))

        assert case.stage is Stage.RETURN_PLANNED
        assert case.return_plan is not None
        assert case.return_plan.escort == "Lic. Ana Torres (DIF)"
        assert case.return_plan.reception_point.code == "HN-CORINTO"
        event = case.events[-1]
        assert isinstance(event, ReturnPlanned)
        assert event.reception_point == "HN-CORINTO"
        assert event.scheduled_at == datetime(2026, 12, 26, 15, tzinfo=UTC)

    def test_refused_without_a_bid(self, build):
        with pytest.raises(e.ReturnRequiresReturnDecision) as raised:
            build.plan_return(build.assessed())

        assert raised.value.kind == "conflict"
        assert raised.value.rule == "return_requires_return_bid"

    @pytest.mark.parametrize(
        "decision", [BidDecision.STAY, BidDecision.ASYLUM, BidDecision.THIRD_COUNTRY]
    )
    def test_refused_after_another_decision(self, build, decision):
        with pytest.raises(e.ReturnRequiresReturnDecision):
            build.plan_return(build.determined(decision))

    def test_refused_when_the_caregiver_does_not_agree(self, build):
        case = build.assessed()
        # Revise the (still unlocked) origin assessment: the mother is found but cannot care.
        build.write_origin(case, caregiver_agrees_and_able=False)
        build.decide(case)

        with pytest.raises(e.ReturnRequiresAgreeingCaregiver) as raised:
            build.plan_return(case)

        assert raised.value.rule == "return_requires_agreeing_caregiver"
        assert case.return_plan is None

    def test_refused_without_any_caregiver(self, build):
        case = build.assessed()
        build.write_origin(case, caregiver=None, caregiver_agrees_and_able=False)
        build.decide(case)

        with pytest.raises(e.ReturnRequiresAgreeingCaregiver):
            build.plan_return(case)

    def test_an_agency_may_be_the_receiving_caregiver(self, build):
        from child_protection.domain import Caregiver

        case = build.assessed()
        build.write_origin(case, caregiver=Caregiver("Casa Belén, San Pedro Sula", "agency"))
        build.decide(case)

        build.plan_return(case)

        assert case.stage is Stage.RETURN_PLANNED

    @pytest.mark.parametrize("escort", ["", "   "])
    def test_refused_without_an_escort(self, build, escort):
        with pytest.raises(e.ReturnRequiresEscort) as raised:
            build.plan_return(build.determined(), escort=escort)

        assert raised.value.rule == "return_requires_escort"
        assert raised.value.field == "escort"

    def test_refused_at_a_point_without_the_origin_child_protection_authority(self, build):
        immigration_only = ReceptionPoint(
            "HN-EL-AMATILLO", "HN", has_child_protection_authority=False
        )

        with pytest.raises(e.ReturnRequiresChildProtectionReception) as raised:
            build.plan_return(build.determined(), reception_point=immigration_only)

        assert raised.value.field == "reception_point"

    def test_refused_at_a_point_in_another_country(self, build):
        tecun_uman = ReceptionPoint("GT-TECUN-UMAN", "GT", has_child_protection_authority=True)

        with pytest.raises(e.ReturnRequiresChildProtectionReception):
            build.plan_return(build.determined(), reception_point=tecun_uman)

    def test_refused_with_trafficking_indicator_and_no_risk_assessment(self, build):
        case = _trafficking_case_determined_for_return(build)

        with pytest.raises(e.RiskAssessmentRequired) as raised:
            build.plan_return(case)

        assert raised.value.rule == "risk_assessment_required"

    def test_trafficking_case_planned_after_a_risk_assessment(self, build):
        case = _trafficking_case_determined_for_return(build)
        case.record_risk_assessment(
            build.dif,
            findings="Recruiter arrested; no link to the family.",
            mitigation="DINAF visits weekly for three months.",
            assessed_at=datetime(2026, 12, 21, 18, tzinfo=UTC),
        )

        build.plan_return(case)

        assert case.stage is Stage.RETURN_PLANNED

    def test_refused_while_blocked_for_the_consulate(self, build):
        # Origin assessment written before a later screening found a trafficking indicator.
        case = build.assessed()
        case.record_screening(
            build.dif,
            screened_at=datetime(2026, 12, 12, tzinfo=UTC),
            protection_need=False,
            trafficking_indicator=True,
            notes="Debt bondage indicators.",
        )
        build.decide(case)
        case.record_risk_assessment(
            build.dif,
            findings="Debt owed to recruiter.",
            mitigation="-",
            assessed_at=datetime(2026, 12, 21, 18, tzinfo=UTC),
        )

        with pytest.raises(e.ReturnBlockedForConsulate) as raised:
            build.plan_return(case)

        assert raised.value.kind == "conflict"

    @pytest.mark.parametrize("who", ["dinaf", "supervisor"])
    def test_only_a_host_officer_plans(self, build, who):
        with pytest.raises(e.OnlyHostOfficer):
            build.plan_return(build.determined(), actor=getattr(build, who))

    def test_may_be_rescheduled_before_reception(self, build):
        case = build.return_planned()

        build.plan_return(case, scheduled_at=datetime(2026, 12, 28, 14, tzinfo=UTC))

        assert case.return_plan is not None
        assert case.return_plan.scheduled_at == datetime(2026, 12, 28, 14, tzinfo=UTC)

    def test_refused_after_reception(self, build):
        with pytest.raises(e.ReturnAlreadyCompleted):
            build.plan_return(build.handed_over())


class TestConfirmReception:
    def test_origin_officer_confirms_and_the_child_is_handed_over(self, build):
        case = build.return_planned()

        build.receive(case, received_at=datetime(2026, 12, 26, 21, tzinfo=UTC))

        assert case.stage is Stage.HANDED_OVER
        assert case.reception is not None
        assert case.reception.confirmed_by == "dinaf.hn"
        assert case.reception.received_by_institution == "DINAF Corinto"
        event = case.events[-1]
        assert isinstance(event, CaseReturned)
        assert event.reception_point == "HN-CORINTO"
        assert event.received_at == datetime(2026, 12, 26, 21, tzinfo=UTC)
        assert event.access == ("MX", "HN")

    @pytest.mark.parametrize("who", ["dif", "supervisor", "consul", "dinaf_supervisor"])
    def test_only_the_nationality_officer_confirms(self, build, who):
        with pytest.raises(e.OnlyNationalityOfficer) as raised:
            build.receive(build.return_planned(), actor=getattr(build, who))

        assert raised.value.kind == "forbidden"

    def test_refused_without_a_return_plan(self, build):
        with pytest.raises(e.ReceptionRequiresReturnPlan):
            build.receive(build.determined())

    def test_refused_twice(self, build):
        with pytest.raises(e.ReceptionAlreadyConfirmed):
            build.receive(build.handed_over())

    def test_receiving_institution_is_required(self, build):
        with pytest.raises(e.SectionRequired) as raised:
            build.receive(build.return_planned(), received_by_institution="")

        assert raised.value.field == "received_by_institution"


class TestRecordFollowUp:
    def _visit(self, case, actor):
        case.record_follow_up(
            actor,
            visited_at=datetime(2027, 1, 10, 16, tzinfo=UTC),
            notes="Back at school; living with his mother.",
        )

    def test_first_visit_moves_to_follow_up(self, build):
        case = build.handed_over()

        self._visit(case, build.dinaf)

        assert case.stage is Stage.FOLLOW_UP
        assert case.sensitive.follow_ups[0].visited_by == "dinaf.hn"

    def test_refused_before_reception(self, build):
        with pytest.raises(e.FollowUpRequiresReception):
            self._visit(build.return_planned(), build.dinaf)

    @pytest.mark.parametrize("who", ["dif", "supervisor"])
    def test_only_the_nationality_officer_records_it(self, build, who):
        with pytest.raises(e.OnlyNationalityOfficer):
            self._visit(build.handed_over(), getattr(build, who))


class TestCloseCase:
    CLOSED_AT = datetime(2027, 3, 1, 15, tzinfo=UTC)

    def _followed_up(self, build):
        case = build.handed_over()
        case.record_follow_up(
            build.dinaf, visited_at=datetime(2027, 1, 10, tzinfo=UTC), notes="All well."
        )
        return case

    def test_origin_authority_closes_after_follow_up(self, build):
        case = self._followed_up(build)

        case.close(build.dinaf, reason="Reintegrated with his mother.", closed_at=self.CLOSED_AT)

        assert case.stage is Stage.CLOSED
        assert case.closure is not None
        assert case.closure.closed_by == "dinaf.hn"
        assert case.sensitive.closure_reason == "Reintegrated with his mother."
        assert isinstance(case.events[-1], CaseClosed)

    def test_host_cannot_close_a_returned_case(self, build):
        with pytest.raises(e.OnlyClosingAuthorityCloses) as raised:
            self._followed_up(build).close(build.dif, reason="-", closed_at=self.CLOSED_AT)

        assert raised.value.kind == "forbidden"

    @pytest.mark.parametrize(
        "decision", [BidDecision.STAY, BidDecision.ASYLUM, BidDecision.THIRD_COUNTRY]
    )
    @pytest.mark.parametrize("who", ["dif", "supervisor"])
    def test_host_closes_when_the_child_does_not_return(self, build, decision, who):
        case = build.determined(decision)

        case.close(
            getattr(build, who), reason="Durable solution in place.", closed_at=self.CLOSED_AT
        )

        assert case.stage is Stage.CLOSED

    def test_host_cannot_close_a_received_child_even_before_follow_up(self, build):
        # Permission (403) before state (409): the host may not close it at any stage now.
        with pytest.raises(e.OnlyClosingAuthorityCloses):
            build.handed_over().close(build.dif, reason="-", closed_at=self.CLOSED_AT)

    def test_nationality_cannot_close_a_host_protection_case(self, build):
        with pytest.raises(e.OnlyClosingAuthorityCloses):
            build.determined(BidDecision.STAY).close(
                build.dinaf, reason="-", closed_at=self.CLOSED_AT
            )

    @pytest.mark.parametrize(
        "make", ["open", "assessed", "determined", "return_planned", "handed_over"]
    )
    def test_refused_before_the_end_of_a_path(self, build, make):
        # Once the child was received, closing is the nationality's (after its follow-up).
        who = build.dinaf if make == "handed_over" else build.dif
        with pytest.raises(e.CaseNotReadyToClose) as raised:
            getattr(build, make)().close(who, reason="-", closed_at=self.CLOSED_AT)

        assert raised.value.kind == "conflict"

    def test_reason_is_required(self, build):
        with pytest.raises(e.SectionRequired):
            build.determined(BidDecision.STAY).close(build.dif, reason="", closed_at=self.CLOSED_AT)

    def test_closed_case_takes_no_more_writes(self, build):
        case = self._followed_up(build)
        case.close(build.dinaf, reason="Reintegrated.", closed_at=self.CLOSED_AT)

        with pytest.raises(e.CaseIsClosed):
            case.record_follow_up(build.dinaf, visited_at=self.CLOSED_AT, notes="Late visit.")
        with pytest.raises(e.CaseIsClosed):
            case.close(build.dinaf, reason="Again.", closed_at=self.CLOSED_AT)
