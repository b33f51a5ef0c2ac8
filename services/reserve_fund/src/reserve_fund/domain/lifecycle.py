"""The states of an application and which moves between them are allowed (DOMAIN.md §3).

    draft → submitted → under_review (⇄ info_requested) → approved | rejected
          → disbursed → returned → closed;   cancelled from anything before disbursement.

Self-moves are listed where an action keeps the state: a review or a first of two approvals
leaves an application under review; a second instalment leaves it disbursed.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISBURSED = "disbursed"
    RETURNED = "returned"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = Status

ALLOWED_MOVES: dict[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    # Asking a question straight after submission starts the review by asking, so submitted
    # may go to info_requested directly as well as to under_review.
    S.SUBMITTED: frozenset({S.UNDER_REVIEW, S.INFO_REQUESTED, S.CANCELLED}),
    S.UNDER_REVIEW: frozenset(
        {S.UNDER_REVIEW, S.INFO_REQUESTED, S.APPROVED, S.REJECTED, S.CANCELLED}
    ),
    S.INFO_REQUESTED: frozenset({S.UNDER_REVIEW, S.CANCELLED}),
    S.APPROVED: frozenset({S.DISBURSED, S.CANCELLED}),
    S.DISBURSED: frozenset({S.DISBURSED, S.RETURNED}),
    S.RETURNED: frozenset({S.CLOSED}),
    S.REJECTED: frozenset(),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Approved and later: the application is (or was) charged to a year's budget.
FUNDED = frozenset({S.APPROVED, S.DISBURSED, S.RETURNED, S.CLOSED})


def can_move(current: Status, target: Status) -> bool:
    return target in ALLOWED_MOVES[current]
