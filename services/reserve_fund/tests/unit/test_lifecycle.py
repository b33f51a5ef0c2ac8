import dataclasses

import pytest

from reserve_fund.domain import (
    Money,
    Recommendation,
    approve,
    cancel,
    complete_return,
    format_reference,
    record_disbursement,
)
from reserve_fund.domain.errors import (
    DisbursementExceedsApproved,
    InvalidDisbursement,
    InvalidTransition,
)
from reserve_fund.domain.events import (
    ApplicationApproved,
    ApplicationClosed,
    ApplicationCreated,
    ApplicationReviewed,
    ApplicationSubmitted,
    DisbursementRecorded,
    InformationProvided,
    InformationRequested,
    ReturnCompleted,
)
from reserve_fund.domain.lifecycle import ALLOWED_MOVES, Status


def usd(text):
    return Money.parse(text)


class TestHappyPath:
    def test_from_draft_to_closed(self, desk):
        budget = desk.budget("2100.00")
        application = desk.draft()
        assert application.status == "draft"
        application.submit(by=desk.consul, rules=desk.rules, now=desk.now)
        assert application.status == "submitted"
        application.request_information(question="Bus or plane?", by="iom.officer", now=desk.now)
        assert application.status == "info_requested"
        application.provide_information(
            answer="Bus.", by=desk.consul, rules=desk.rules, now=desk.now
        )
        assert application.status == "under_review"
        application.review(
            recommendation=Recommendation.APPROVE, note="OK", by="iom.officer", now=desk.now
        )
        approve(application, budget, approver="iom.approver", now=desk.now)
        assert application.status == "approved"
        record_disbursement(
            application,
            budget,
            amount=usd("300.00"),
            purpose="Bus ticket",
            by="iom.officer",
            now=desk.now,
        )
        assert application.status == "disbursed"
        complete_return(application, budget, by="iom.officer", now=desk.now)
        assert application.status == "returned"
        application.close(by="iom.officer", now=desk.now)
        assert application.status == "closed"
        assert [type(e) for e in application.events] == [
            ApplicationCreated,
            ApplicationSubmitted,
            InformationRequested,
            InformationProvided,
            ApplicationReviewed,
            ApplicationApproved,
            DisbursementRecorded,
            ReturnCompleted,
            ApplicationClosed,
        ]
        assert [e.version for e in application.events] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
        assert application.version == 9
        assert str(budget.disbursed) == "300.00"
        assert str(budget.reserved) == "0.00"
        assert str(budget.available) == "1800.00"

    def test_events_carry_the_countries_and_amounts_as_strings(self, desk):
        application = desk.submitted()
        submitted = application.events[-1]
        assert submitted == ApplicationSubmitted(
            occurred_at=desk.now,
            application_id=application.id,
            reference="RF-2026-000001",
            version=2,
            beneficiary_nationality="GT",
            current_country="MX",
            requesting_country="GT",
            submitted_by="consul.gt.tapachula",
            categories=("injury_or_illness",),
            requested_total="300.00",
            approvals_needed=1,
            child_case_id=None,
        )

    def test_events_carry_no_personal_data(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        for event in application.events:
            values = [str(getattr(event, f.name)) for f in dataclasses.fields(event)]
            assert not any("Ana" in v or "López" in v or "1990" in v for v in values)


class TestRefusedMoves:
    def test_a_submitted_application_cannot_be_submitted_again(self, desk):
        application = desk.submitted()
        with pytest.raises(InvalidTransition) as refused:
            application.submit(by=desk.consul, rules=desk.rules, now=desk.now)
        assert refused.value.kind == "conflict"
        assert refused.value.rule == "lifecycle.invalid_transition"
        assert refused.value.message == "cannot submit an application that is submitted"

    def test_no_disbursement_before_approval(self, desk):
        application = desk.reviewed()
        with pytest.raises(InvalidTransition):
            record_disbursement(
                application,
                desk.budget("2100.00"),
                amount=usd("10.00"),
                purpose="Bus",
                by="iom.officer",
                now=desk.now,
            )

    def test_no_cancellation_after_disbursement(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        record_disbursement(
            application,
            budget,
            amount=usd("100.00"),
            purpose="Bus",
            by="iom.officer",
            now=desk.now,
        )
        with pytest.raises(InvalidTransition):
            cancel(application, budget, reason="Too late", by="iom.officer", now=desk.now)
        assert application.status == "disbursed"
        assert str(budget.reserved) == "200.00"

    def test_no_return_before_disbursement(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        with pytest.raises(InvalidTransition):
            complete_return(application, budget, by="iom.officer", now=desk.now)

    def test_a_rejected_application_is_final(self, desk):
        application = desk.reviewed()
        application.reject(reason="No", by="iom.approver", now=desk.now)
        with pytest.raises(InvalidTransition):
            cancel(application, None, reason="x", by="consul", now=desk.now)
        with pytest.raises(InvalidTransition):
            approve(application, desk.budget("2100.00"), approver="iom.approver2", now=desk.now)

    def test_only_a_returned_application_closes(self, desk):
        with pytest.raises(InvalidTransition):
            desk.reviewed().close(by="iom.officer", now=desk.now)

    def test_an_answer_needs_a_question(self, desk):
        application = desk.submitted()
        with pytest.raises(InvalidTransition):
            application.provide_information(
                answer="Unasked", by=desk.consul, rules=desk.rules, now=desk.now
            )

    def test_no_move_leaves_a_final_state(self):
        assert ALLOWED_MOVES[Status.REJECTED] == frozenset()
        assert ALLOWED_MOVES[Status.CLOSED] == frozenset()
        assert ALLOWED_MOVES[Status.CANCELLED] == frozenset()
        assert Status.CANCELLED not in ALLOWED_MOVES[Status.DISBURSED]


class TestDisbursement:
    def test_cannot_exceed_the_approved_total(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)  # 300.00
        record_disbursement(
            application,
            budget,
            amount=usd("250.00"),
            purpose="Bus",
            by="iom.officer",
            now=desk.now,
        )
        with pytest.raises(DisbursementExceedsApproved) as refused:
            record_disbursement(
                application,
                budget,
                amount=usd("50.01"),
                purpose="Meals",
                by="iom.officer",
                now=desk.now,
            )
        assert refused.value.kind == "conflict"
        assert "USD 50.00 left" in refused.value.message
        assert str(application.disbursed_total) == "250.00"
        assert str(budget.disbursed) == "250.00"

    def test_instalments_up_to_exactly_the_approved_total(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        for amount in ("100.00", "150.00", "50.00"):
            record_disbursement(
                application,
                budget,
                amount=usd(amount),
                purpose="Costs",
                by="iom.officer",
                now=desk.now,
            )
        assert str(application.disbursed_total) == "300.00"
        assert str(budget.reserved) == "0.00"
        assert str(budget.disbursed) == "300.00"

    def test_a_zero_disbursement_is_refused(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        with pytest.raises(InvalidDisbursement):
            record_disbursement(
                application,
                budget,
                amount=usd("0.00"),
                purpose="Bus",
                by="iom.officer",
                now=desk.now,
            )

    def test_the_return_releases_what_was_not_disbursed(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        record_disbursement(
            application,
            budget,
            amount=usd("220.00"),
            purpose="Bus",
            by="iom.officer",
            now=desk.now,
        )
        released = complete_return(application, budget, by="iom.officer", now=desk.now)
        assert str(released) == "80.00"
        assert str(budget.reserved) == "0.00"
        assert str(budget.disbursed) == "220.00"
        assert str(budget.available) == "1880.00"
        assert application.holds_reservation is False
        assert application.events[-1].released == "80.00"


class TestReference:
    def test_format(self):
        assert format_reference(2026, 42) == "RF-2026-000042"

    def test_sequences_start_at_one(self):
        with pytest.raises(ValueError, match="start at 1"):
            format_reference(2026, 0)


class TestDraftShowsApprovalsNeeded:
    def test_a_draft_above_the_threshold_already_says_two(self, desk):
        assert desk.draft(items=desk.items("640.00")).approvals_needed == 2

    def test_a_draft_at_the_threshold_says_one(self, desk):
        assert desk.draft(items=desk.items("500.00")).approvals_needed == 1
