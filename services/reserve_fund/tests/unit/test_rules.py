from datetime import date

import pytest

from reserve_fund.domain import ApprovalRule, Money
from reserve_fund.domain.seed import SEED_RULES


class TestApprovalThreshold:
    rule = ApprovalRule(Money.parse("500.00"), date(2015, 1, 1))

    @pytest.mark.parametrize(
        ("total", "needed"), [("499.99", 1), ("500.00", 1), ("500.01", 2), ("1000.00", 2)]
    )
    def test_two_approvers_strictly_above_the_threshold(self, total, needed):
        assert self.rule.approvals_needed(Money.parse(total)) == needed


class TestSeed:
    def test_the_seed_caps_a_case_at_1000_and_asks_a_second_approver_above_500(self):
        assert str(SEED_RULES.cap_on(date(2026, 5, 4)).amount) == "1000.00"
        assert str(SEED_RULES.approval_on(date(2026, 5, 4)).threshold) == "500.00"

    def test_valid_to_is_exclusive(self):
        rule = ApprovalRule(Money.parse("500.00"), date(2015, 1, 1), date(2027, 1, 1))
        assert rule.applies_on(date(2026, 12, 31))
        assert not rule.applies_on(date(2027, 1, 1))
