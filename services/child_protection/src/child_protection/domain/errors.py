"""Why the domain refused: one exception class per broken rule, no HTTP in here.

Every error is a `CaseError` with

- `kind`: how bad the request was, for the API to map —
  `"invalid"` (422: the input itself is wrong), `"conflict"` (409: a gate is not met or the case
  is in the wrong stage), `"forbidden"` (403: the actor may see the case but may not do this),
  `"not_found"` (404: the actor may not even see the case, so its existence must not leak);
- `rule`: a stable snake_case name of the rule, for problem+json `errors[].rule` and for tests;
- `field`: the input field at fault, when there is one (dotted, as the API names it);
- `message`: what went wrong, in words a caller can act on (never a child's data).

The classes below are grouped under four bases so that a handler can also catch by kind.
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["invalid", "conflict", "forbidden", "not_found"]


class CaseError(Exception):
    kind: ClassVar[ErrorKind]
    default_rule: ClassVar[str]
    default_field: ClassVar[str | None] = None

    def __init__(
        self, message: str = "", *, rule: str | None = None, field: str | None = None
    ) -> None:
        self.rule = rule or self.default_rule
        self.field = field if field is not None else self.default_field
        self.message = message or self.rule.replace("_", " ")
        super().__init__(self.message)


# --- kinds ------------------------------------------------------------------------------------


class InvalidCaseInput(CaseError):
    kind = "invalid"
    default_rule = "invalid"


class CaseConflict(CaseError):
    kind = "conflict"
    default_rule = "conflict"


class ActionForbidden(CaseError):
    kind = "forbidden"
    default_rule = "forbidden"


class CaseNotVisible(CaseError):
    """The actor may not see the case at all (other country, or the protection exception).

    Raised before any other check so that a handler that forgot its own visibility check still
    answers as if the case did not exist.
    """

    kind = "not_found"
    default_rule = "case_not_visible"

    def __init__(self, message: str = "The case was not found.") -> None:
        # The same words as for a case that does not exist: nothing more may leak.
        super().__init__(message)


# --- invalid (422) ----------------------------------------------------------------------------


class CountryCodeInvalid(InvalidCaseInput):
    default_rule = "country_code_invalid"


class NationalityIsHostCountry(InvalidCaseInput):
    # A child found in their own country is not a migrant child case; consular rules never apply.
    default_rule = "nationality_is_host_country"
    default_field = "child.nationality"


class PlaceNotInHostCountry(InvalidCaseInput):
    # The host country is where the child is: the case is opened by that country's authority.
    default_rule = "place_not_in_host_country"
    default_field = "place.country"


class ActInTheFuture(InvalidCaseInput):
    """An act that already happened (an interview, a reception) cannot be dated later than now."""

    default_rule = "not_in_the_future"


class IdentifiedAfterOpening(InvalidCaseInput):
    default_rule = "identified_after_opening"
    default_field = "identified_at"


class AgeUnknown(InvalidCaseInput):
    default_rule = "date_of_birth_or_estimated_age_required"
    default_field = "child.date_of_birth"


class EstimatedAgeInvalid(InvalidCaseInput):
    default_rule = "estimated_age_invalid"
    default_field = "child.estimated_age"


class NotAChild(InvalidCaseInput):
    # Only when the age is NOT disputed: a disputed age is always treated as a child's.
    default_rule = "not_a_child"
    default_field = "child.date_of_birth"


class SectionRequired(InvalidCaseInput):
    """A section that must not be blank (the field says which)."""

    default_rule = "section_required"


class ChildViewsRequired(InvalidCaseInput):
    default_rule = "child_views_required"
    default_field = "child_views"


class ChildViewsAbsentReasonNotAllowed(InvalidCaseInput):
    # The reason explains missing views; with views present it would contradict them.
    default_rule = "child_views_absent_reason_only_when_views_empty"
    default_field = "child_views_absent_reason"


class CaregiverRequired(InvalidCaseInput):
    default_rule = "caregiver_required"
    default_field = "caregiver"


class PanelRequired(InvalidCaseInput):
    default_rule = "panel_required"
    default_field = "panel"


class TracingRecordEmpty(InvalidCaseInput):
    default_rule = "tracing_record_empty"
    default_field = "actions"


# --- conflict (409) ---------------------------------------------------------------------------


class CaseIsClosed(CaseConflict):
    default_rule = "case_closed"


class AssessmentLockedByBid(CaseConflict):
    # The BID was decided on these assessments; changing them needs a BID review first.
    default_rule = "assessment_locked_by_bid"


class AssessmentCannotBeReopened(CaseConflict):
    # A complete assessment may be revised but stays complete, so the `assessed` milestone and
    # the deadline it met never go back.
    default_rule = "assessment_cannot_be_reopened"
    default_field = "complete"


class BidRequiresCompleteAssessments(CaseConflict):
    default_rule = "bid_requires_complete_assessments"


class BidAlreadyDecided(CaseConflict):
    default_rule = "bid_already_decided"


class NoBidToReview(CaseConflict):
    default_rule = "no_bid_to_review"


class BidReviewAfterHandOver(CaseConflict):
    default_rule = "bid_review_after_hand_over"


class ReturnRequiresReturnDecision(CaseConflict):
    default_rule = "return_requires_return_bid"


class ReturnRequiresAgreeingCaregiver(CaseConflict):
    default_rule = "return_requires_agreeing_caregiver"
    default_field = "origin_assessment.caregiver_agrees_and_able"


class ReturnRequiresEscort(CaseConflict):
    default_rule = "return_requires_escort"
    default_field = "escort"


class ReturnRequiresChildProtectionReception(CaseConflict):
    default_rule = "return_requires_origin_child_protection_authority"
    default_field = "reception_point"


class RiskAssessmentRequired(CaseConflict):
    default_rule = "risk_assessment_required"


class ReturnBlockedForConsulate(CaseConflict):
    # The origin authority cannot receive a child it may not know about (protection exception).
    default_rule = "return_requires_cleared_consular_block"


class ReturnAlreadyCompleted(CaseConflict):
    default_rule = "return_already_completed"


class ReceptionRequiresReturnPlan(CaseConflict):
    default_rule = "reception_requires_return_plan"


class ReceptionAlreadyConfirmed(CaseConflict):
    default_rule = "reception_already_confirmed"


class FollowUpRequiresReception(CaseConflict):
    default_rule = "follow_up_requires_reception"


class CaseNotReadyToClose(CaseConflict):
    default_rule = "case_not_ready_to_close"


class NotBlockedForConsulate(CaseConflict):
    default_rule = "not_blocked_for_consulate"


class ProtectionNeedBlockIsPermanent(CaseConflict):
    default_rule = "protection_need_block_is_permanent"


# --- forbidden (403) --------------------------------------------------------------------------


class OnlyHostOfficer(ActionForbidden):
    default_rule = "only_host_child_protection_officer"


class OnlyNationalityOfficer(ActionForbidden):
    default_rule = "only_nationality_child_protection_officer"


class OnlyHostSupervisorDecides(ActionForbidden):
    default_rule = "only_host_child_protection_supervisor"


class OnlyClosingAuthorityCloses(ActionForbidden):
    # After a return the origin authority ends the follow-up; otherwise the host does.
    default_rule = "only_closing_authority_closes"
