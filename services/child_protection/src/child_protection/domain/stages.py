"""The stages of a child case (DOMAIN.md §2) and the order they come in.

    identified → in_protective_custody → notified → interviewed → screened → family_tracing
      → assessed (BIA) → determined (BID) → return_planned → handed_over → follow_up → closed
                                          ↘ local_protection / asylum_referral → closed

The stage is never set by hand: `ChildCase.stage` derives it from what has been recorded (see
`model.py`), so it cannot drift from the facts. Before the BID the steps are milestones that may be
recorded in any order — a child's case does not wait for paperwork to be entered in sequence — and
the stage is the furthest milestone reached. From the BID on, real gates apply.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    IDENTIFIED = "identified"
    IN_PROTECTIVE_CUSTODY = "in_protective_custody"
    NOTIFIED = "notified"
    INTERVIEWED = "interviewed"
    SCREENED = "screened"
    FAMILY_TRACING = "family_tracing"
    ASSESSED = "assessed"
    DETERMINED = "determined"
    RETURN_PLANNED = "return_planned"
    HANDED_OVER = "handed_over"
    FOLLOW_UP = "follow_up"
    LOCAL_PROTECTION = "local_protection"
    ASYLUM_REFERRAL = "asylum_referral"
    CLOSED = "closed"


# Milestones before the determination, in order; the furthest one reached is the stage.
BEFORE_DETERMINATION: tuple[Stage, ...] = (
    Stage.IDENTIFIED,
    Stage.IN_PROTECTIVE_CUSTODY,
    Stage.NOTIFIED,
    Stage.INTERVIEWED,
    Stage.SCREENED,
    Stage.FAMILY_TRACING,
    Stage.ASSESSED,
)
