"""The best-interests determination and its review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from child_protection.domain import BidDecision, Stage
from child_protection.domain import errors as e
from child_protection.domain.events import BidReopened, CaseDetermined


class TestDecideBid:
    def test_decided_on_both_complete_assessments(self, build):
        case = build.assessed()

        build.decide(case, decided_at=datetime(2026, 12, 21, 15, tzinfo=UTC))

        assert case.stage is Stage.DETERMINED
        assert case.determination is not None
        assert case.determination.decision is BidDecision.RETURN
        assert case.determination.decided_by == "dif.mx.supervisor"
        assert case.reached[Stage.DETERMINED] == datetime(2026, 12, 21, 15, tzinfo=UTC)

    def test_records_panel_reasons_and_the_childs_views(self, build):
        case = build.assessed()

        build.decide(case)

        record = case.sensitive.bids[-1]
        assert record.panel == ("Lic. Laura Gómez", "Psic. Mario Ruiz", "T.S. Elena Cruz")
        assert record.reasons == "Safe family environment; the mother agrees and is able."
        assert record.child_views_considered == "His wish to return to his mother was decisive."
        assert record.decided_by == "dif.mx.supervisor"

    def test_emits_case_determined_with_the_decision_only(self, build):
        case = build.assessed()

        build.decide(case)

        event = case.events[-1]
        assert isinstance(event, CaseDetermined)
        assert event.decision is BidDecision.RETURN
        assert event.stage is Stage.DETERMINED
        assert event.access == ("MX", "HN")

    def test_refused_before_origin_assessment(self, build):
        case = build.open()
        build.write_bia(case)

        with pytest.raises(e.BidRequiresCompleteAssessments) as raised:
            build.decide(case)

        assert raised.value.kind == "conflict"
        assert raised.value.rule == "bid_requires_complete_assessments"
        assert raised.value.field == "origin_assessment"
        assert case.determination is None
        assert case.sensitive.bids == []

    def test_refused_on_a_draft_origin_assessment(self, build):
        case = build.open()
        build.write_bia(case)
        build.write_origin(case, complete=False)

        with pytest.raises(e.BidRequiresCompleteAssessments) as raised:
            build.decide(case)

        assert raised.value.field == "origin_assessment"

    def test_refused_before_bia(self, build):
        case = build.open()
        build.write_origin(case)

        with pytest.raises(e.BidRequiresCompleteAssessments) as raised:
            build.decide(case)

        assert raised.value.field == "bia"

    def test_refused_on_a_draft_bia(self, build):
        case = build.open()
        build.write_bia(case, complete=False)
        build.write_origin(case)

        with pytest.raises(e.BidRequiresCompleteAssessments) as raised:
            build.decide(case)

        assert raised.value.field == "bia"

    @pytest.mark.parametrize("who", ["dif", "dinaf", "dinaf_supervisor", "consul"])
    def test_only_the_host_supervisor_decides(self, build, who):
        case = build.assessed()

        with pytest.raises(e.OnlyHostSupervisorDecides) as raised:
            build.decide(case, actor=getattr(build, who))

        assert raised.value.kind == "forbidden"
        assert raised.value.rule == "only_host_child_protection_supervisor"

    def test_panel_is_required(self, build):
        with pytest.raises(e.PanelRequired) as raised:
            build.decide(build.assessed(), panel=("",))

        assert raised.value.kind == "invalid"
        assert raised.value.field == "panel"

    @pytest.mark.parametrize("section", ["reasons", "child_views_considered"])
    def test_reasons_and_childs_views_considered_are_required(self, build, section):
        with pytest.raises(e.SectionRequired) as raised:
            build.decide(build.assessed(), **{section: ""})

        assert raised.value.field == section

    def test_a_second_bid_needs_a_review_first(self, build):
        case = build.determined()

        with pytest.raises(e.BidAlreadyDecided):
            build.decide(case, decision=BidDecision.STAY)

    def test_stay_goes_to_local_protection(self, build):
        assert build.determined(BidDecision.STAY).stage is Stage.LOCAL_PROTECTION

    def test_asylum_goes_to_asylum_referral(self, build):
        assert build.determined(BidDecision.ASYLUM).stage is Stage.ASYLUM_REFERRAL

    def test_third_country_stays_determined(self, build):
        assert build.determined(BidDecision.THIRD_COUNTRY).stage is Stage.DETERMINED

    @pytest.mark.parametrize(
        ("decision", "stage"),
        [(BidDecision.STAY, Stage.LOCAL_PROTECTION), (BidDecision.ASYLUM, Stage.ASYLUM_REFERRAL)],
    )
    def test_blocked_case_may_stay_without_the_origin_assessment(self, build, decision, stage):
        # The origin country may not be contacted while blocked, so it cannot write one.
        case = build.open(protection_need=True)
        build.write_bia(case)

        build.decide(case, decision=decision)

        assert case.stage is stage

    @pytest.mark.parametrize("decision", [BidDecision.RETURN, BidDecision.THIRD_COUNTRY])
    def test_blocked_case_still_needs_the_origin_assessment_for_other_decisions(
        self, build, decision
    ):
        case = build.open(protection_need=True)
        build.write_bia(case)

        with pytest.raises(e.BidRequiresCompleteAssessments):
            build.decide(case, decision=decision)


class TestReviewBid:
    def _review(self, case, actor):
        case.review_bid(
            actor,
            reasons="The mother withdrew her agreement.",
            reviewed_at=datetime(2026, 12, 23, 15, tzinfo=UTC),
        )

    def test_reopens_the_bid_back_to_assessed(self, build):
        case = build.determined()

        self._review(case, build.supervisor)

        assert case.stage is Stage.ASSESSED
        assert case.determination is None
        review = case.sensitive.bids[-1].review
        assert review is not None
        assert review.reasons == "The mother withdrew her agreement."
        assert review.reviewed_by == "dif.mx.supervisor"
        event = case.events[-1]
        assert isinstance(event, BidReopened)
        assert event.superseded_decision is BidDecision.RETURN
        assert event.return_plan_cancelled is False

    def test_cancels_a_return_plan(self, build):
        case = build.return_planned()

        self._review(case, build.supervisor)

        assert case.return_plan is None
        assert case.stage is Stage.ASSESSED
        assert case.events[-1].return_plan_cancelled is True

    def test_unlocks_the_assessments_and_allows_a_new_bid(self, build):
        case = build.determined()
        self._review(case, build.supervisor)

        build.write_origin(case, caregiver_agrees_and_able=False, caregiver=None)
        build.decide(case, decision=BidDecision.STAY, decided_at=datetime(2026, 12, 28, tzinfo=UTC))

        assert case.stage is Stage.LOCAL_PROTECTION
        assert [bid.decision for bid in case.sensitive.bids] == [
            BidDecision.RETURN,
            BidDecision.STAY,
        ]
        # The first decision met the BID deadline; a re-decision does not move it.
        assert case.reached[Stage.DETERMINED] == datetime(2026, 12, 21, 15, tzinfo=UTC)

    def test_refused_without_a_bid(self, build):
        with pytest.raises(e.NoBidToReview):
            self._review(build.assessed(), build.supervisor)

    def test_refused_after_hand_over(self, build):
        with pytest.raises(e.BidReviewAfterHandOver) as raised:
            self._review(build.handed_over(), build.supervisor)

        assert raised.value.kind == "conflict"

    @pytest.mark.parametrize("who", ["dif", "dinaf"])
    def test_only_the_host_supervisor_reviews(self, build, who):
        with pytest.raises(e.OnlyHostSupervisorDecides):
            self._review(build.determined(), getattr(build, who))
