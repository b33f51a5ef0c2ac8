"""A person with a protection need is never funded; a child's case must have decided return
(DOMAIN.md §3, "Eligibility") — as the Fund knows the case from child protection's events."""

from __future__ import annotations

from uuid import uuid4

import pytest

from reserve_fund.domain import ChildCase, approve
from reserve_fund.domain.errors import ChildCaseNotForReturn, ProtectionNeed

CHILD_RULE = ("child_case_id", "child_case.no_return_determination")


def case(**overrides: object) -> ChildCase:
    """An open case of a Guatemalan child in Mexico, not blocked, BID decided return."""
    values: dict[str, object] = {
        "case_id": uuid4(),
        "host_country": "MX",
        "nationality": "GT",
        "blocked_for_consulate": False,
        "block_version": 1,
        "bid_decision": "return",
        "bid_version": 9,
    }
    values.update(overrides)
    return ChildCase(**values)  # type: ignore[arg-type]


class TestProtectionNeed:
    def test_a_beneficiary_with_a_protection_need_is_refused_naming_the_field(self, desk):
        with pytest.raises(ProtectionNeed) as refused:
            desk.draft(beneficiary=desk.beneficiary(protection_need=True))
        assert (refused.value.field, refused.value.rule) == (
            "beneficiary.protection_need",
            "eligibility.protection_need",
        )
        assert refused.value.kind == "invalid"
        assert "never funded to return to the country they fear" in refused.value.message

    def test_without_one_the_draft_is_filed(self, desk):
        assert desk.draft(beneficiary=desk.beneficiary(protection_need=False)).status == "draft"


class TestChildCaseAtFiling:
    def test_a_case_whose_bid_decided_return_is_accepted(self, desk):
        known = case()
        application = desk.draft(child_case_id=known.case_id, child_case=known)
        assert application.child_case_id == known.case_id

    def test_no_case_named_needs_none(self, desk):
        assert desk.draft().child_case_id is None

    @pytest.mark.parametrize(
        "overrides",
        [
            pytest.param({"bid_decision": None, "bid_version": 0}, id="no determination yet"),
            pytest.param({"bid_decision": "stay"}, id="decided stay"),
            pytest.param({"bid_decision": "asylum"}, id="decided asylum"),
            pytest.param({"bid_decision": "third_country"}, id="decided third country"),
            pytest.param({"blocked_for_consulate": True}, id="blocked for the consulate"),
            pytest.param({"blocked_for_consulate": None, "block_version": 0}, id="block unknown"),
            pytest.param({"closed": True}, id="closed"),
            pytest.param({"nationality": "HN"}, id="another nationality's child"),
            pytest.param({"host_country": "GT"}, id="hosted elsewhere"),
        ],
    )
    def test_any_other_case_gets_the_same_answer(self, desk, overrides):
        known = case(**overrides)
        with pytest.raises(ChildCaseNotForReturn) as refused:
            desk.draft(child_case_id=known.case_id, child_case=known)
        assert (refused.value.field, refused.value.rule) == CHILD_RULE
        assert refused.value.message == (
            "child_case_id must name an open child case of this child, hosted where the child "
            "is, whose best-interests determination decided return"
        )

    def test_an_unknown_case_gets_the_same_answer(self, desk):
        with pytest.raises(ChildCaseNotForReturn) as refused:
            desk.draft(child_case_id=uuid4(), child_case=None)
        assert (refused.value.field, refused.value.rule) == CHILD_RULE


class TestChildCaseLater:
    def test_submission_checks_the_case_again(self, desk):
        known = case()
        application = desk.draft(child_case_id=known.case_id, child_case=known)
        known.record_block(blocked=True, version=10)
        with pytest.raises(ChildCaseNotForReturn):
            application.submit(by=desk.consul, rules=desk.rules, now=desk.now, child_case=known)
        assert application.status == "draft"
        assert application.version == 1

    def test_approval_checks_the_case_again_and_reserves_nothing(self, desk):
        known = case()
        application = desk.reviewed(child_case_id=known.case_id, child_case=known)
        budget = desk.budget("2100.00")
        known.record_determination(decision="stay", version=12)
        with pytest.raises(ChildCaseNotForReturn):
            approve(application, budget, approver="iom.approver", now=desk.now, child_case=known)
        assert (application.status, application.approvals) == ("under_review", [])
        assert budget.reserved.is_zero


class TestWhatTheFundKeeps:
    def test_an_older_event_never_overwrites_a_newer_fact(self):
        known = case(blocked_for_consulate=None, block_version=0)
        known.record_block(blocked=True, version=3)  # blocked at screening (v3) ...
        known.record_block(blocked=False, version=1)  # ... the opening (v1) arrives late
        assert (known.blocked_for_consulate, known.block_version) == (True, 3)
        assert known.hidden_from_nationality
        known.record_block(blocked=False, version=4)  # a supervisor cleared it
        assert not known.hidden_from_nationality

    def test_the_latest_determination_counts(self):
        known = case(bid_decision=None, bid_version=0)
        known.record_determination(decision="stay", version=12)
        known.record_determination(decision="return", version=9)
        assert not known.decided_return

    def test_a_closed_case_stays_closed(self):
        known = case()
        known.record_closed(bid_decision="return", version=13)
        known.record_block(blocked=False, version=14)
        assert known.closed

    def test_a_case_whose_block_is_not_known_yet_is_hidden(self):
        assert case(blocked_for_consulate=None, block_version=0).hidden_from_nationality
