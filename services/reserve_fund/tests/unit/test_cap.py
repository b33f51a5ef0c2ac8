from datetime import UTC, date, datetime

import pytest

from reserve_fund.domain import (
    CapRule,
    Consent,
    ConsentGiver,
    CostItem,
    CostKind,
    FundRules,
    Money,
)
from reserve_fund.domain.errors import InvalidItems, NoRuleInForce, OverCaseCap
from reserve_fund.domain.seed import SEED_APPROVAL, SEED_CAP


class TestCaseCap:
    def test_items_adding_up_to_exactly_1000_are_allowed(self, desk):
        application = desk.draft(items=desk.items("600.00", "400.00"))
        assert str(application.requested_total) == "1000.00"

    def test_one_cent_over_1000_across_items_is_refused(self, desk):
        with pytest.raises(OverCaseCap) as refused:
            desk.draft(items=desk.items("600.00", "400.01"))
        assert refused.value.rule == "cap.over_case_cap"
        assert refused.value.field == "items"
        assert "1000.01" in refused.value.message

    def test_the_cap_counts_every_kind_of_cost(self, desk):
        items = tuple(
            CostItem(kind, Money.parse("166.67"))
            for kind in (
                CostKind.TRANSPORT,
                CostKind.ESCORT,
                CostKind.LODGING,
                CostKind.MEALS,
                CostKind.MEDICAL,
                CostKind.DOCUMENTS,
            )
        )  # 6 x 166.67 = 1000.02
        with pytest.raises(OverCaseCap):
            desk.draft(items=items)

    def test_no_items_is_refused(self, desk):
        with pytest.raises(InvalidItems) as refused:
            desk.draft(items=())
        assert refused.value.rule == "items.empty"

    def test_an_item_of_zero_is_refused(self, desk):
        with pytest.raises(InvalidItems) as refused:
            desk.draft(items=desk.items("100.00", "0.00"))
        assert refused.value.rule == "items.amount_zero"
        assert refused.value.field == "items[1].amount"

    def test_new_items_in_an_answer_are_held_to_the_cap(self, desk):
        application = desk.submitted()
        application.request_information(question="Full costs?", by="iom.officer", now=desk.now)
        with pytest.raises(OverCaseCap):
            application.provide_information(
                answer="Here.",
                by=desk.consul,
                rules=desk.rules,
                now=desk.now,
                items=desk.items("1000.00", "0.01"),
            )
        assert str(application.requested_total) == "300.00"
        assert application.status == "info_requested"


class TestVersionedCap:
    # A hypothetical revision lowering the cap to USD 800 from 2027.
    revised = FundRules(
        caps=(
            CapRule(SEED_CAP.amount, SEED_CAP.valid_from, date(2027, 1, 1)),
            CapRule(Money.parse("800.00"), date(2027, 1, 1)),
        ),
        approvals=(SEED_APPROVAL,),
    )

    def test_the_cap_in_force_on_the_filing_day_applies(self, desk):
        application = desk.draft(items=desk.items("900.00"), rules=self.revised)
        assert str(application.requested_total) == "900.00"
        with pytest.raises(OverCaseCap):
            desk.draft(
                items=desk.items("900.00"),
                rules=self.revised,
                now=datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
            )

    def test_submission_checks_the_cap_of_the_submission_day(self, desk):
        application = desk.draft(items=desk.items("900.00"), rules=self.revised)
        with pytest.raises(OverCaseCap):
            application.submit(
                by=desk.consul, rules=self.revised, now=datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
            )
        assert application.status == "draft"

    def test_a_day_with_no_rule_is_refused(self, desk):
        with pytest.raises(NoRuleInForce) as refused:
            desk.draft(
                now=datetime(2014, 12, 31, 12, 0, tzinfo=UTC),
                voluntary_consent=Consent(
                    True, ConsentGiver.BENEFICIARY, datetime(2014, 12, 31, 9, 0, tzinfo=UTC)
                ),
            )
        assert refused.value.kind == "conflict"

    def test_overlapping_versions_are_refused(self):
        with pytest.raises(ValueError, match="overlap"):
            FundRules(
                caps=(
                    CapRule(Money.parse("1000.00"), date(2015, 1, 1), date(2027, 6, 1)),
                    CapRule(Money.parse("800.00"), date(2027, 1, 1)),
                ),
                approvals=(SEED_APPROVAL,),
            )
