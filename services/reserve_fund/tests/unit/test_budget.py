from decimal import Decimal

import pytest

from reserve_fund.domain import Budget, Money, approve, cancel
from reserve_fund.domain.errors import AllocationBelowCommitted, BudgetExhausted, InvalidYear
from reserve_fund.domain.events import BudgetSet


def usd(text):
    return Money.parse(text)


class TestReserve:
    def test_seven_reservations_of_300_use_up_2100_and_the_eighth_is_refused(self):
        budget = Budget(2026, allocated=usd("2100.00"))
        for _ in range(7):
            budget.reserve(usd("300.00"))
        assert str(budget.available) == "0.00"
        with pytest.raises(BudgetExhausted) as refused:
            budget.reserve(usd("300.00"))
        assert refused.value.kind == "conflict"
        assert refused.value.rule == "budget.exhausted"
        assert str(refused.value.available) == "0.00"
        assert "USD 0.00 available" in refused.value.message
        assert str(budget.reserved) == "2100.00"
        assert str(budget.available) == "0.00"

    def test_the_refusal_says_how_much_is_left(self):
        budget = Budget(2026, allocated=usd("2000.00"))
        for _ in range(6):
            budget.reserve(usd("300.00"))
        with pytest.raises(BudgetExhausted) as refused:
            budget.reserve(usd("300.00"))
        assert refused.value.message == (
            "the 2026 budget has USD 200.00 available; this approval needs USD 300.00"
        )

    def test_reserving_exactly_what_is_available_is_allowed(self):
        budget = Budget(2026, allocated=usd("300.00"))
        budget.reserve(usd("300.00"))
        assert str(budget.available) == "0.00"

    def test_every_movement_counts_a_version(self):
        budget = Budget(2026, allocated=usd("900.00"))
        budget.reserve(usd("300.00"))
        budget.disburse(usd("100.00"))
        budget.release(usd("200.00"))
        assert budget.version == 3


class TestReleaseAndDisburse:
    def test_release_gives_the_reservation_back(self):
        budget = Budget(2026, allocated=usd("2100.00"), reserved=usd("2100.00"))
        budget.release(usd("300.00"))
        assert str(budget.reserved) == "1800.00"
        assert str(budget.available) == "300.00"

    def test_disbursement_moves_reserved_to_disbursed(self):
        budget = Budget(2026, allocated=usd("1000.00"), reserved=usd("300.00"))
        budget.disburse(usd("250.00"))
        assert str(budget.reserved) == "50.00"
        assert str(budget.disbursed) == "250.00"
        assert str(budget.available) == "700.00"

    def test_cannot_disburse_more_than_is_reserved(self):
        budget = Budget(2026, allocated=usd("1000.00"), reserved=usd("300.00"))
        with pytest.raises(ValueError, match="reserved"):
            budget.disburse(usd("300.01"))
        assert str(budget.disbursed) == "0.00"

    def test_cannot_release_more_than_is_reserved(self):
        budget = Budget(2026, allocated=usd("1000.00"), reserved=usd("300.00"))
        with pytest.raises(ValueError, match="reserved"):
            budget.release(usd("300.01"))


class TestSetAllocation:
    def test_sets_the_allocation_and_records_it(self, desk):
        budget = Budget(2026)
        budget.set_allocation(usd("2100.00"), by="iom.approver", now=desk.now)
        assert str(budget.available) == "2100.00"
        assert budget.events == [
            BudgetSet(
                occurred_at=desk.now,
                year=2026,
                allocated="2100.00",
                reserved="0.00",
                disbursed="0.00",
                available="2100.00",
                version=1,
                set_by="iom.approver",
            )
        ]

    def test_cannot_go_below_what_is_reserved_and_disbursed(self, desk):
        budget = Budget(
            2026, allocated=usd("2100.00"), reserved=usd("600.00"), disbursed=usd("300.00")
        )
        with pytest.raises(AllocationBelowCommitted) as refused:
            budget.set_allocation(usd("899.99"), by="iom.approver", now=desk.now)
        assert refused.value.kind == "conflict"
        assert "USD 900.00" in refused.value.message
        budget.set_allocation(usd("900.00"), by="iom.approver", now=desk.now)
        assert str(budget.available) == "0.00"

    def test_a_year_before_the_fund_is_refused(self):
        with pytest.raises(InvalidYear):
            Budget(2003)

    def test_a_stored_budget_cannot_be_overspent(self):
        with pytest.raises(ValueError, match="overspent"):
            Budget(2026, allocated=usd("100.00"), reserved=usd("100.01"))

    def test_amounts_are_exact(self):
        budget = Budget(2026, allocated=usd("0.30"))
        for _ in range(3):
            budget.reserve(usd("0.10"))
        assert budget.available.amount == Decimal("0.00")


class TestApprovalsAgainstTheBudget:
    def test_seven_applications_of_300_are_approved_against_2100_and_the_eighth_is_refused(
        self, desk
    ):
        budget = desk.budget("2100.00")
        approved = [desk.approved(budget, items=desk.items("300.00")) for _ in range(7)]
        assert [a.status for a in approved] == ["approved"] * 7
        eighth = desk.reviewed(items=desk.items("300.00"))
        with pytest.raises(BudgetExhausted) as refused:
            approve(eighth, budget, approver="iom.approver", now=desk.now)
        assert "USD 0.00 available" in refused.value.message
        assert eighth.status == "under_review"
        assert str(budget.reserved) == "2100.00"
        assert str(budget.available) == "0.00"

    def test_cancelling_an_approved_application_releases_its_reservation(self, desk):
        budget = desk.budget("2100.00")
        approved = [desk.approved(budget, items=desk.items("300.00")) for _ in range(7)]
        released = cancel(
            approved[0], budget, reason="Chose to stay", by="iom.officer", now=desk.now
        )
        assert str(released) == "300.00"
        assert approved[0].status == "cancelled"
        assert str(budget.available) == "300.00"
        eighth = desk.approved(budget, items=desk.items("300.00"))
        assert eighth.status == "approved"
        assert str(budget.available) == "0.00"

    def test_cancelling_before_approval_releases_nothing(self, desk):
        application = desk.reviewed()
        released = cancel(application, None, reason="Withdrawn", by="consul", now=desk.now)
        assert str(released) == "0.00"
        assert application.status == "cancelled"

    def test_cancelling_an_approved_application_needs_its_budget(self, desk):
        budget = desk.budget("2100.00")
        application = desk.approved(budget)
        with pytest.raises(ValueError, match="budget"):
            cancel(application, None, reason="Withdrawn", by="consul", now=desk.now)
        assert application.status == "approved"
