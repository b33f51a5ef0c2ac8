"""Why the Fund refuses something.

Every refusal is a `FundError` with a `rule` slug (stable: API clients and tests match on it),
an optional `field` (the request path it concerns, e.g. ``"items[2].amount"``), a `message`,
`details` (extra members of the answer: only a budget that ran out has any) and a `kind`
telling the API how to answer without this package knowing anything about HTTP — by shape a
`puebla.refusals.Refusal` (the domain imports nothing of `puebla`), answered by
`puebla.problems.problem_for` like every service's refusals:

- ``"invalid"``   the request itself breaks a rule of the Fund (the API answers 422);
- ``"conflict"``  the request is fine but clashes with what is recorded: wrong state, no money
  left, same approver twice (409);
- ``"forbidden"`` the caller may see the application but may not do this to it (403).

Programming errors (a naive datetime, the wrong year's budget handed in) are plain
`ValueError`s on purpose: they are bugs in the adapters, not answers for a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from reserve_fund.domain.money import Money

ErrorKind = Literal["invalid", "conflict", "forbidden"]


class FundError(Exception):
    kind: ClassVar[ErrorKind]
    default_rule: ClassVar[str]

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule or self.default_rule
        self.field = field

    @property
    def details(self) -> Mapping[str, Any]:
        """Extra members of the answer (JSON-able); none unless a refusal says more."""
        return {}


# --- the three kinds; catch these to map a whole family at once -------------------------------


class FundInvalid(FundError):
    kind = "invalid"
    default_rule = "invalid"


class FundConflict(FundError):
    kind = "conflict"
    default_rule = "conflict"


class FundForbidden(FundError):
    kind = "forbidden"
    default_rule = "forbidden"


# --- invalid (422) -----------------------------------------------------------------------------


class InvalidMoney(FundInvalid):
    """Rules: money.float_not_allowed, money.malformed, money.not_finite, money.negative,
    money.too_many_decimals, money.too_large."""

    default_rule = "money.malformed"


class NotIntraregional(FundInvalid):
    """Rules: eligibility.nationality_not_member, eligibility.current_country_not_member,
    eligibility.not_in_another_member_state."""

    default_rule = "eligibility.not_intraregional"


class NoCategory(FundInvalid):
    default_rule = "eligibility.no_category"


class NotOver70(FundInvalid):
    default_rule = "eligibility.not_over_70"


class NotAChild(FundInvalid):
    default_rule = "eligibility.not_a_child"


class ConsentMissing(FundInvalid):
    """Rules: consent.missing, consent.child_through_guardian, consent.adult_decides,
    consent.recorded_in_future, consent.recorded_at_naive."""

    default_rule = "consent.missing"


class OverCaseCap(FundInvalid):
    default_rule = "cap.over_case_cap"


class InvalidItems(FundInvalid):
    """Rules: items.empty, items.amount_zero."""

    default_rule = "items.empty"


class InvalidBeneficiary(FundInvalid):
    """Rules: beneficiary.name_missing, beneficiary.born_in_future."""

    default_rule = "beneficiary.invalid"


class ProtectionNeed(FundInvalid):
    """The beneficiary has a protection need: the Fund never pays their return."""

    default_rule = "eligibility.protection_need"


class ChildCaseNotForReturn(FundInvalid):
    """`child_case_id` does not name a case this Fund knows to have a best-interests
    determination of return, open and not blocked for the consulate. One answer for every
    reason (unknown, other child, no return decided, blocked, closed), so that nothing about
    a case leaks through it."""

    default_rule = "child_case.no_return_determination"


class TextRequired(FundInvalid):
    """A free-text field the Fund needs (justification, question, note, reason) is blank."""

    default_rule = "text.required"


class InvalidDisbursement(FundInvalid):
    default_rule = "disbursement.amount_zero"


class InvalidYear(FundInvalid):
    default_rule = "budget.year_out_of_range"


# --- conflict (409) ----------------------------------------------------------------------------


class InvalidTransition(FundConflict):
    default_rule = "lifecycle.invalid_transition"


class ReviewRequired(FundConflict):
    """Approving or rejecting needs a review with a recommendation first."""

    default_rule = "decision.review_required"


class ReviewClosed(FundConflict):
    """The application cannot be reviewed again once approvals have started."""

    default_rule = "review.approvals_started"


class SameApproverTwice(FundConflict):
    default_rule = "approval.same_approver_twice"


class BudgetExhausted(FundConflict):
    default_rule = "budget.exhausted"

    def __init__(self, *, year: int, available: Money, requested: Money) -> None:
        super().__init__(
            f"the {year} budget has USD {available} available; this approval needs USD {requested}",
            field=None,
        )
        self.year = year
        self.available = available
        self.requested = requested

    @property
    def details(self) -> Mapping[str, Any]:
        # What a client needs to act on it: how much is left of which year's budget.
        return {
            "year": self.year,
            "available": str(self.available),
            "requested": str(self.requested),
        }


class AllocationBelowCommitted(FundConflict):
    default_rule = "budget.below_committed"


class DisbursementExceedsApproved(FundConflict):
    default_rule = "disbursement.exceeds_approved"


class NoRuleInForce(FundConflict):
    """The reference data has no cap or approval rule for the date: nothing can be checked."""

    default_rule = "rules.none_in_force"


# --- forbidden (403) ---------------------------------------------------------------------------


class ApplicantNotAuthority(FundForbidden):
    """The requester is not an authority of the beneficiary's departure (current) or return
    (nationality) country."""

    default_rule = "applicant.not_departure_or_return_authority"


class NotRequestingAuthority(FundForbidden):
    """Submitting or answering a question is for authorities of the requesting country."""

    default_rule = "applicant.not_requesting_country"


class ReviewerCannotApprove(FundForbidden):
    default_rule = "approval.reviewer_cannot_approve"


class ReviewerCannotReject(FundForbidden):
    default_rule = "rejection.reviewer_cannot_reject"
