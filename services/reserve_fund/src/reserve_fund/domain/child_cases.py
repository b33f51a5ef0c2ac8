"""What the Fund knows of unaccompanied-child cases, and the rule it draws from it (DOMAIN.md
§3: "an application for a child with a case must point to a case whose BID decided return").

The Fund never asks child protection: it keeps its own `ChildCase` from the child events it
consumes (`child.case.opened`, `…determined`, `…consular_block_set`, `…consular_block_cleared`,
`…closed`). Events of one case may arrive out of order (one consumer per event type), so each
fact keeps the version of the event that set it and an older event never overwrites a newer
one; a closed case stays closed.

Until the Fund has seen whether the case is blocked for the consulate, it treats it as blocked:
nothing is paid, and nothing is shown to the child's own state, on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from reserve_fund.domain.errors import ChildCaseNotForReturn

RETURN = "return"


@dataclass(eq=False)
class ChildCase:
    case_id: UUID
    host_country: str
    nationality: str
    # None: not yet known (no opening or block event seen) — treated as blocked
    blocked_for_consulate: bool | None = None
    block_version: int = 0
    bid_decision: str | None = None
    bid_version: int = 0
    closed: bool = False
    changed: bool = False  # for the repository: write back only what moved

    @property
    def hidden_from_nationality(self) -> bool:
        """The protection exception: the child's own state sees nothing of what is linked to
        the case (a protection need, or a trafficking indicator not yet cleared)."""
        return self.blocked_for_consulate is not False

    @property
    def decided_return(self) -> bool:
        return self.bid_decision == RETURN

    def record_block(self, *, blocked: bool, version: int) -> None:
        if version > self.block_version:
            self.blocked_for_consulate = blocked
            self.block_version = version
            self.changed = True

    def record_determination(self, *, decision: str, version: int) -> None:
        if version > self.bid_version:
            self.bid_decision = decision
            self.bid_version = version
            self.changed = True

    def record_closed(self, *, bid_decision: str | None, version: int) -> None:
        if not self.closed:
            self.closed = True
            self.changed = True
        if bid_decision is not None:
            self.record_determination(decision=bid_decision, version=version)


def check_child_case(
    case_id: UUID | None,
    case: ChildCase | None,
    *,
    nationality: str,
    current_country: str,
) -> None:
    """An application that names a child case may go ahead only if the case is this child's
    (same nationality, hosted where the child is), open, not blocked for the consulate, and its
    best-interests determination decided return. Refused with the same answer otherwise."""
    if case_id is None:
        return
    if (
        case is None
        or case.case_id != case_id
        or case.nationality != nationality
        or case.host_country != current_country
        or case.closed
        or case.hidden_from_nationality
        or not case.decided_return
    ):
        raise ChildCaseNotForReturn(
            "child_case_id must name an open child case of this child, hosted where the child "
            "is, whose best-interests determination decided return",
            field="child_case_id",
        )
