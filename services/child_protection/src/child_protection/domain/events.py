"""What happened to a case, in the past tense. Summary data only — never a sensitive section.

Every event carries, from `CaseEvent`:

- `case_id`, `reference`, `version` (the case's version after the change, so consumers can drop
  stale updates), `stage` (after the change);
- `access`: the countries whose authorities may see it — host and nationality, or the host alone
  while the case is blocked for the consulate (protection exception). It is fixed at the moment
  of the event, so an event from before a block was cleared stays host-only;
- `occurred_at` (UTC) and `actor` (username; None for the system, e.g. deadline checks).

Which of these become contract events (`child.case.opened.v1`, …) is decided in
`adapters/integration.py`; the others still feed the audit trail. `CaseOpened` and
`ConsularBlockCleared` carry who the child is for one purpose: when they allow consular contact,
the mapping sends it to the consulate in `child.case.consular_notice.v1`; the events of the
case's life say only that it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from child_protection.domain.stages import Stage
from child_protection.domain.values import Accompaniment, BidDecision, Child, Place


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    case_id: UUID
    reference: str
    version: int
    stage: Stage
    access: tuple[str, ...]
    occurred_at: datetime
    actor: str | None


@dataclass(frozen=True, kw_only=True)
class CaseOpened(CaseEvent):
    """`notify_consulate` is false while blocked: the consulate then hears nothing until a
    `ConsularBlockCleared`. The host child-protection authority is always informed."""

    host_country: str
    nationality: str
    child: Child
    age_disputed: bool
    identified_at: datetime
    place: Place
    accompaniment: Accompaniment
    blocked_for_consulate: bool
    notify_consulate: bool


@dataclass(frozen=True, kw_only=True)
class ProtectionDecisionRequired(CaseEvent):
    """Alerts the host supervisor: a protection need or trafficking indicator blocks consular
    contact until they decide. Deliberately does not say which (that is sensitive)."""

    host_country: str


@dataclass(frozen=True, kw_only=True)
class ConsularBlockSet(CaseEvent):
    """A screening raised a protection flag on a case that was not blocked: from now on the
    nationality country's authorities must see nothing more."""


@dataclass(frozen=True, kw_only=True)
class ProtectionDecisionRecorded(CaseEvent):
    block_cleared: bool


@dataclass(frozen=True, kw_only=True)
class ConsularBlockCleared(CaseEvent):
    """The consulate may now be notified: carries what the notification needs."""

    host_country: str
    nationality: str
    child: Child
    age_disputed: bool
    identified_at: datetime
    place: Place
    accompaniment: Accompaniment
    notify_consulate: bool = True


@dataclass(frozen=True, kw_only=True)
class ProtectionMeasureRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class AuthorityNotified(CaseEvent):
    authority: str


@dataclass(frozen=True, kw_only=True)
class InterviewRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ScreeningRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class FamilyTracingRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class BiaWritten(CaseEvent):
    complete: bool


@dataclass(frozen=True, kw_only=True)
class OriginAssessmentWritten(CaseEvent):
    complete: bool


@dataclass(frozen=True, kw_only=True)
class RiskAssessmentRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class CaseDetermined(CaseEvent):
    decision: BidDecision


@dataclass(frozen=True, kw_only=True)
class BidReopened(CaseEvent):
    superseded_decision: BidDecision
    return_plan_cancelled: bool


@dataclass(frozen=True, kw_only=True)
class ReturnPlanned(CaseEvent):
    reception_point: str
    scheduled_at: datetime


@dataclass(frozen=True, kw_only=True)
class CaseReturned(CaseEvent):
    """The child was handed over to the origin child-protection authority."""

    reception_point: str
    received_at: datetime
    received_by_institution: str


@dataclass(frozen=True, kw_only=True)
class FollowUpRecorded(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class CaseClosed(CaseEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class StageOverdue(CaseEvent):
    """Emitted once per stage, the first time a deadline check finds it overdue."""

    overdue_stage: Stage
    due_at: datetime
