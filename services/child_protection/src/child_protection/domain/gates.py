"""The gates of the Guidelines before the two decisive acts: the BID and the return plan.

Kept apart from the aggregate so that each rule reads as one line of the Guidelines. Each
function raises the first gate not met, in a fixed order, and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from child_protection.domain import errors
from child_protection.domain.values import BidDecision, ReceptionPoint, is_blank

if TYPE_CHECKING:
    from child_protection.domain.model import ChildCase

# While the case is blocked for the consulate the origin country must not be contacted, so it
# cannot write an origin assessment; a BID that keeps the child in the host country must still
# be possible (an asylum-seeking child cannot wait for their own state's assessment).
DECISIONS_WITHOUT_ORIGIN_WHILE_BLOCKED = frozenset({BidDecision.STAY, BidDecision.ASYLUM})


def check_bid_allowed(case: ChildCase, decision: BidDecision) -> None:
    """A host supervisor decides only on a complete BIA and a complete origin assessment."""
    if case.determination is not None:
        raise errors.BidAlreadyDecided("a BID stands; a BID review must reopen it first")
    bia = case.sensitive.bia
    if bia is None or not bia.complete:
        raise errors.BidRequiresCompleteAssessments("the BIA is not complete", field="bia")
    origin = case.sensitive.origin_assessment
    waived = case.blocked_for_consulate and decision in DECISIONS_WITHOUT_ORIGIN_WHILE_BLOCKED
    if not waived and (origin is None or not origin.complete):
        raise errors.BidRequiresCompleteAssessments(
            "the origin assessment is not on file", field="origin_assessment"
        )


def check_return_allowed(case: ChildCase, reception_point: ReceptionPoint, escort: str) -> None:
    """No return unless: the BID decided return, a caregiver or agency in the country of origin
    agrees and is able, an escort is assigned, the reception point has the origin
    child-protection authority, and — with a trafficking indicator — a risk assessment exists.
    Also none while the consulate is blocked: the origin authority may not know of the child."""
    if case.reception is not None:
        raise errors.ReturnAlreadyCompleted("the child was already received")
    if case.determination is None or case.determination.decision is not BidDecision.RETURN:
        raise errors.ReturnRequiresReturnDecision("only a BID that decided return allows it")
    if case.blocked_for_consulate:
        raise errors.ReturnBlockedForConsulate(
            "the host supervisor must clear the consular block before a return"
        )
    origin = case.sensitive.origin_assessment
    if origin is None or not origin.receiving_caregiver_ready:
        raise errors.ReturnRequiresAgreeingCaregiver(
            "a caregiver or agency in the country of origin must agree and be able"
        )
    if is_blank(escort):
        raise errors.ReturnRequiresEscort("assign an escort from child-protection staff")
    if (
        reception_point.country != case.nationality
        or not reception_point.has_child_protection_authority
    ):
        raise errors.ReturnRequiresChildProtectionReception(
            "the reception point must have the origin child-protection authority present"
        )
    if case.sensitive.indicators.trafficking_indicator and case.sensitive.risk_assessment is None:
        raise errors.RiskAssessmentRequired("a trafficking indicator requires a risk assessment")
