from dataclasses import replace

import pytest

from reserve_fund.domain import Recommendation, Status, approve
from reserve_fund.domain.errors import (
    BudgetExhausted,
    InvalidTransition,
    ReviewClosed,
    ReviewerCannotApprove,
    ReviewerCannotReject,
    ReviewRequired,
    SameApproverTwice,
    TextRequired,
)
from reserve_fund.domain.events import ApplicationApproved, ApprovalRecorded


class TestApprove:
    def test_reviewer_cannot_approve(self, desk):
        application = desk.reviewed(reviewer="iom.officer")
        budget = desk.budget("2100.00")
        with pytest.raises(ReviewerCannotApprove) as refused:
            approve(application, budget, approver="iom.officer", now=desk.now)
        assert refused.value.kind == "forbidden"
        assert refused.value.rule == "approval.reviewer_cannot_approve"
        assert application.status == "under_review"
        assert application.approvals == []
        assert str(budget.reserved) == "0.00"

    def test_approval_needs_a_review_first(self, desk):
        application = desk.submitted()
        with pytest.raises(ReviewRequired) as refused:
            approve(application, desk.budget("2100.00"), approver="iom.approver", now=desk.now)
        assert refused.value.kind == "conflict"
        assert refused.value.rule == "decision.review_required"

    def test_a_draft_cannot_be_approved(self, desk):
        with pytest.raises(InvalidTransition):
            approve(desk.draft(), desk.budget("2100.00"), approver="iom.approver", now=desk.now)

    def test_one_approver_at_or_below_the_threshold_approves_and_reserves(self, desk):
        application = desk.reviewed(items=desk.items("300.00", "200.00"))  # exactly 500.00
        budget = desk.budget("2100.00")
        outcome = approve(application, budget, approver="iom.approver", now=desk.now)
        assert outcome.final is True
        assert str(outcome.reserved) == "500.00"
        assert application.status == "approved"
        assert str(application.approved_total) == "500.00"
        assert application.budget_year == 2026
        assert str(budget.reserved) == "500.00"
        assert str(budget.available) == "1600.00"

    def test_above_the_threshold_a_first_approval_reserves_nothing(self, desk):
        application = desk.reviewed(items=desk.items("300.00", "200.01"))  # 500.01
        assert application.approvals_needed == 2
        budget = desk.budget("2100.00")
        outcome = approve(application, budget, approver="iom.approver", now=desk.now)
        assert outcome.final is False
        assert str(outcome.reserved) == "0.00"
        assert application.status == "under_review"
        assert str(budget.reserved) == "0.00"
        assert isinstance(application.events[-1], ApprovalRecorded)

    def test_above_the_threshold_the_same_approver_cannot_approve_twice(self, desk):
        application = desk.reviewed(items=desk.items("800.00"))
        budget = desk.budget("2100.00")
        approve(application, budget, approver="iom.approver", now=desk.now)
        with pytest.raises(SameApproverTwice) as refused:
            approve(application, budget, approver="iom.approver", now=desk.now)
        assert refused.value.kind == "conflict"
        assert refused.value.rule == "approval.same_approver_twice"
        assert application.status == "under_review"
        assert application.approvers == ("iom.approver",)
        assert str(budget.reserved) == "0.00"

    def test_above_the_threshold_a_second_different_approver_approves(self, desk):
        application = desk.reviewed(items=desk.items("800.00"))
        budget = desk.budget("2100.00")
        approve(application, budget, approver="iom.approver", now=desk.now)
        outcome = approve(application, budget, approver="iom.approver2", now=desk.now)
        assert outcome.final is True
        assert application.status == "approved"
        assert application.approvers == ("iom.approver", "iom.approver2")
        assert str(budget.reserved) == "800.00"
        approved = application.events[-1]
        assert isinstance(approved, ApplicationApproved)
        assert approved.approvers == ("iom.approver", "iom.approver2")
        assert approved.approved_total == "800.00"

    def test_the_reviewer_cannot_be_the_second_approver_either(self, desk):
        application = desk.reviewed(items=desk.items("800.00"), reviewer="iom.officer")
        budget = desk.budget("2100.00")
        approve(application, budget, approver="iom.approver", now=desk.now)
        with pytest.raises(ReviewerCannotApprove):
            approve(application, budget, approver="iom.officer", now=desk.now)

    def test_an_exhausted_budget_refuses_the_final_approval_and_changes_nothing(self, desk):
        application = desk.reviewed(items=desk.items("300.00"))
        budget = desk.budget("299.99")
        version = application.version
        with pytest.raises(BudgetExhausted):
            approve(application, budget, approver="iom.approver", now=desk.now)
        assert application.status == "under_review"
        assert application.approvals == []
        assert application.version == version
        assert str(budget.reserved) == "0.00"
        assert budget.version == 0

    def test_the_budget_of_another_year_is_a_bug(self, desk):
        application = desk.reviewed()
        with pytest.raises(ValueError, match="2026"):
            approve(application, desk.budget("2100.00", year=2025), approver="a", now=desk.now)


class TestReview:
    def test_a_review_cannot_change_once_approvals_started(self, desk):
        application = desk.reviewed(items=desk.items("800.00"))
        approve(application, desk.budget("2100.00"), approver="iom.approver", now=desk.now)
        with pytest.raises(ReviewClosed):
            application.review(
                recommendation=Recommendation.REJECT,
                note="Second look",
                by="iom.officer2",
                now=desk.now,
            )
        assert application.reviewed_by == "iom.officer"

    def test_asking_for_information_withdraws_the_review_and_approvals(self, desk):
        application = desk.reviewed(items=desk.items("800.00"))
        budget = desk.budget("2100.00")
        approve(application, budget, approver="iom.approver", now=desk.now)
        application.request_information(question="Escort needed?", by="iom.officer", now=desk.now)
        application.provide_information(
            answer="Yes, a nurse.", by=desk.consul, rules=desk.rules, now=desk.now
        )
        assert application.status == Status.UNDER_REVIEW
        assert application.approvals == []
        with pytest.raises(ReviewRequired):
            approve(application, budget, approver="iom.approver2", now=desk.now)

    def test_a_review_needs_a_note(self, desk):
        application = desk.submitted()
        with pytest.raises(TextRequired) as refused:
            application.review(
                recommendation=Recommendation.APPROVE, note="  ", by="iom.officer", now=desk.now
            )
        assert refused.value.field == "note"
        assert application.status == "submitted"


class TestReject:
    def test_reviewer_cannot_reject(self, desk):
        application = desk.reviewed(reviewer="iom.officer")
        with pytest.raises(ReviewerCannotReject) as refused:
            application.reject(reason="Not eligible", by="iom.officer", now=desk.now)
        assert refused.value.kind == "forbidden"
        assert application.status == "under_review"

    def test_rejection_needs_a_review_first(self, desk):
        application = desk.submitted()
        with pytest.raises(ReviewRequired):
            application.reject(reason="Not eligible", by="iom.approver", now=desk.now)

    def test_an_approver_rejects(self, desk):
        application = desk.reviewed()
        application.reject(reason="Family cannot receive her", by="iom.approver", now=desk.now)
        assert application.status == "rejected"
        assert application.rejection_reason == "Family cannot receive her"


class TestSeparationOfDutiesByPerson:
    """Security review finding 15: the rules compare the immutable subject (the token's `sub`),
    never the username — one person shows as two usernames when a token carries no
    `preferred_username` (the subject stands in) or after an admin renames them."""

    SUBJECT = "5b0f7c1e-8d9a-4f1e-9a57-0c3e2f1d7a44"

    def reviewed_by_subject(self, desk, **overrides):
        application = desk.submitted(**overrides)
        application.review(
            recommendation=Recommendation.APPROVE,
            note="Eligible, costs checked.",
            by="iom.dual",
            subject=self.SUBJECT,
            now=desk.now,
        )
        return application

    def test_the_reviewer_under_another_username_cannot_approve(self, desk):
        application = self.reviewed_by_subject(desk)
        budget = desk.budget("2100.00")
        with pytest.raises(ReviewerCannotApprove):
            approve(
                application,
                budget,
                approver=self.SUBJECT,  # the same person, no preferred_username in the token
                approver_subject=self.SUBJECT,
                now=desk.now,
            )
        assert application.approvals == []
        assert str(budget.reserved) == "0.00"

    def test_the_reviewer_under_another_username_cannot_reject(self, desk):
        application = self.reviewed_by_subject(desk)
        with pytest.raises(ReviewerCannotReject):
            application.reject(
                reason="Not eligible", by="iom.dual.renamed", subject=self.SUBJECT, now=desk.now
            )
        assert application.status == "under_review"

    def test_one_approver_under_two_usernames_is_one_approver(self, desk):
        application = desk.reviewed(items=desk.items("800.00"))
        budget = desk.budget("2100.00")
        approve(application, budget, approver="iom.approver", approver_subject="s-1", now=desk.now)
        with pytest.raises(SameApproverTwice):
            approve(application, budget, approver="s-1", approver_subject="s-1", now=desk.now)
        assert application.status == "under_review"
        assert str(budget.reserved) == "0.00"
        outcome = approve(
            application, budget, approver="iom.approver2", approver_subject="s-2", now=desk.now
        )
        assert outcome.final is True
        assert [(a.by, a.subject) for a in application.approvals] == [
            ("iom.approver", "s-1"),
            ("iom.approver2", "s-2"),
        ]

    def test_a_username_passed_on_to_another_person_does_not_block_them(self, desk):
        # The reviewer was renamed and someone else now carries the old name: a different
        # person (subject), so they may approve.
        application = self.reviewed_by_subject(desk)
        outcome = approve(
            application,
            desk.budget("2100.00"),
            approver="iom.dual",
            approver_subject="another-person",
            now=desk.now,
        )
        assert outcome.final is True

    def test_records_kept_before_subjects_compare_usernames(self, desk):
        # A review and an approval loaded from rows written before the subject was stored.
        application = desk.reviewed(items=desk.items("800.00"), reviewer="iom.officer")
        application.reviewer_subject = None
        budget = desk.budget("2100.00")
        with pytest.raises(ReviewerCannotApprove):
            approve(application, budget, approver="iom.officer", approver_subject="x", now=desk.now)
        approve(application, budget, approver="iom.approver", approver_subject="s-1", now=desk.now)
        application.approvals[0] = replace(application.approvals[0], subject=None)
        with pytest.raises(SameApproverTwice):
            approve(
                application, budget, approver="iom.approver", approver_subject="y", now=desk.now
            )
