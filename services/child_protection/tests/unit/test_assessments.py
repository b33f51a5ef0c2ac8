"""The BIA (host caseworker) and the origin assessment (nationality country)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from child_protection.domain import Caregiver, ChildViewsAbsentReason, Stage
from child_protection.domain import errors as e
from child_protection.domain.events import BiaWritten, OriginAssessmentWritten


class TestWriteBia:
    def test_complete_bia_moves_to_assessed(self, build):
        case = build.open()

        build.write_bia(case, written_at=datetime(2026, 12, 11, 15, tzinfo=UTC))

        assert case.stage is Stage.ASSESSED
        assert case.sensitive.bia is not None
        assert case.sensitive.bia.complete is True
        assert case.sensitive.bia.written_by == "dif.mx"
        assert case.reached[Stage.ASSESSED] == datetime(2026, 12, 11, 15, tzinfo=UTC)
        event = case.events[-1]
        assert isinstance(event, BiaWritten)
        assert event.complete is True

    def test_draft_does_not_move_the_stage(self, build):
        case = build.open()

        build.write_bia(case, complete=False)

        assert case.stage is Stage.IDENTIFIED
        assert Stage.ASSESSED not in case.reached

    def test_draft_may_leave_sections_and_views_empty(self, build):
        case = build.open()

        build.write_bia(case, complete=False, health="", child_views="")

        assert case.sensitive.bia is not None
        assert case.sensitive.bia.child_views == ""

    def test_refused_with_empty_child_views_and_no_reason(self, build):
        case = build.open()

        with pytest.raises(e.ChildViewsRequired) as raised:
            build.write_bia(case, child_views="  ", child_views_absent_reason=None)

        assert raised.value.kind == "invalid"
        assert raised.value.rule == "child_views_required"
        assert raised.value.field == "child_views"
        assert case.sensitive.bia is None

    @pytest.mark.parametrize(
        "reason", [ChildViewsAbsentReason.TOO_YOUNG, ChildViewsAbsentReason.MATURITY]
    )
    def test_empty_child_views_accepted_with_an_age_or_maturity_reason(self, build, reason):
        case = build.open()

        build.write_bia(case, child_views="", child_views_absent_reason=reason)

        assert case.stage is Stage.ASSESSED

    def test_reason_refused_when_views_are_given(self, build):
        with pytest.raises(e.ChildViewsAbsentReasonNotAllowed) as raised:
            build.write_bia(build.open(), child_views_absent_reason=ChildViewsAbsentReason.MATURITY)

        assert raised.value.field == "child_views_absent_reason"

    @pytest.mark.parametrize(
        "section", ["safety", "family", "health", "education", "recommendation"]
    )
    def test_complete_bia_needs_every_section(self, build, section):
        with pytest.raises(e.SectionRequired) as raised:
            build.write_bia(build.open(), **{section: ""})

        assert raised.value.field == section

    @pytest.mark.parametrize("who", ["dinaf", "supervisor", "consul"])
    def test_only_a_host_officer_writes_it(self, build, who):
        case = build.open()

        with pytest.raises(e.OnlyHostOfficer) as raised:
            build.write_bia(case, actor=getattr(build, who))

        assert raised.value.kind == "forbidden"
        assert raised.value.rule == "only_host_child_protection_officer"

    def test_complete_bia_may_be_revised_before_the_bid(self, build):
        case = build.open()
        build.write_bia(case)

        build.write_bia(
            case, education="Finished 7th grade.", written_at=datetime(2026, 12, 12, tzinfo=UTC)
        )

        assert case.sensitive.bia is not None
        assert case.sensitive.bia.education == "Finished 7th grade."
        assert case.reached[Stage.ASSESSED] == datetime(2026, 12, 11, 15, tzinfo=UTC)

    def test_complete_bia_cannot_go_back_to_draft(self, build):
        case = build.open()
        build.write_bia(case)

        with pytest.raises(e.AssessmentCannotBeReopened) as raised:
            build.write_bia(case, complete=False)

        assert raised.value.kind == "conflict"

    def test_locked_once_a_bid_is_decided(self, build):
        case = build.determined()

        with pytest.raises(e.AssessmentLockedByBid) as raised:
            build.write_bia(case)

        assert raised.value.field == "bia"


class TestWriteOriginAssessment:
    def test_written_by_the_nationality_officer(self, build):
        case = build.open()

        build.write_origin(case)

        origin = case.sensitive.origin_assessment
        assert origin is not None
        assert origin.written_by == "dinaf.hn"
        assert origin.caregiver == Caregiver("Rosa Reyes", "mother")
        assert origin.receiving_caregiver_ready is True
        assert case.stage is Stage.IDENTIFIED  # not a stage of its own
        event = case.events[-1]
        assert isinstance(event, OriginAssessmentWritten)
        assert event.access == ("MX", "HN")

    @pytest.mark.parametrize("who", ["dif", "supervisor", "dinaf_supervisor", "consul"])
    def test_only_the_nationality_officer_writes_it(self, build, who):
        with pytest.raises(e.OnlyNationalityOfficer) as raised:
            build.write_origin(build.open(), actor=getattr(build, who))

        assert raised.value.kind == "forbidden"

    def test_agreement_needs_a_named_caregiver(self, build):
        with pytest.raises(e.CaregiverRequired) as raised:
            build.write_origin(build.open(), caregiver=None, caregiver_agrees_and_able=True)

        assert raised.value.field == "caregiver"

    def test_complete_without_a_caregiver_is_accepted(self, build):
        case = build.open()

        build.write_origin(case, caregiver=None, caregiver_agrees_and_able=False)

        assert case.sensitive.origin_assessment is not None
        assert case.sensitive.origin_assessment.receiving_caregiver_ready is False

    @pytest.mark.parametrize("section", ["family_situation", "home_situation", "risks_on_return"])
    def test_complete_assessment_needs_every_section(self, build, section):
        with pytest.raises(e.SectionRequired) as raised:
            build.write_origin(build.open(), **{section: " "})

        assert raised.value.field == section

    def test_locked_once_a_bid_is_decided(self, build):
        with pytest.raises(e.AssessmentLockedByBid) as raised:
            build.write_origin(build.determined())

        assert raised.value.field == "origin_assessment"

    def test_complete_assessment_cannot_go_back_to_draft(self, build):
        case = build.open()
        build.write_origin(case)

        with pytest.raises(e.AssessmentCannotBeReopened):
            build.write_origin(case, complete=False)
