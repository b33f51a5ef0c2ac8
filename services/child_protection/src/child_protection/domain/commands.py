"""What callers ask a case to do, in the imperative. One handler per command.

Who acts is not in the command: it is the unit of work's (`ChildProtection.uow(actor=caller)`),
set once from the verified token; the handler hands it to the aggregate as the domain's
`Actor`, because who may write what is a rule of the Guidelines here. Times are always given,
never read from a clock inside the domain: the handler fills the `…_at` of acts it performs
now from its clock, and takes acts that happened earlier (an interview, a reception) from the
request.

Two fields are resolved by the handler before calling the aggregate:
`OpenCase` gets its `reference` (`format_reference`) and the host country's `DeadlineRule`;
`PlanReturn.reception_point` is a code the handler looks up into a `ReceptionPoint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from child_protection.domain.values import (
    Accompaniment,
    BidDecision,
    Caregiver,
    Child,
    ChildViewsAbsentReason,
    FamilyContact,
    MeasureKind,
    Place,
)


@dataclass(frozen=True, kw_only=True)
class Command:
    case_id: UUID


@dataclass(frozen=True, kw_only=True)
class OpenCase(Command):
    host_country: str
    nationality: str
    child: Child
    identified_at: datetime
    place: Place
    accompaniment: Accompaniment
    age_disputed: bool
    protection_need: bool
    trafficking_indicator: bool
    indicator_details: str = ""  # sensitive: what was observed
    opened_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordProtectionMeasure(Command):
    kind: MeasureKind
    description: str
    taken_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordNotification(Command):
    authority: str
    notified_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordInterview(Command):
    conducted_at: datetime
    language: str
    notes: str
    interpreter: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordScreening(Command):
    screened_at: datetime
    protection_need: bool
    trafficking_indicator: bool
    notes: str


@dataclass(frozen=True, kw_only=True)
class RecordFamilyTracing(Command):
    traced_at: datetime
    actions: tuple[str, ...] = ()
    contacts: tuple[FamilyContact, ...] = ()


@dataclass(frozen=True, kw_only=True)
class WriteBia(Command):
    safety: str
    family: str
    health: str
    education: str
    child_views: str
    child_views_absent_reason: ChildViewsAbsentReason | None
    recommendation: str
    complete: bool
    written_at: datetime


@dataclass(frozen=True, kw_only=True)
class WriteOriginAssessment(Command):
    family_situation: str
    home_situation: str
    risks_on_return: str
    caregiver: Caregiver | None
    caregiver_agrees_and_able: bool
    complete: bool
    written_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordRiskAssessment(Command):
    findings: str
    mitigation: str
    assessed_at: datetime


@dataclass(frozen=True, kw_only=True)
class DecideBid(Command):
    decision: BidDecision
    reasons: str
    panel: tuple[str, ...]
    child_views_considered: str
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReviewBid(Command):
    reasons: str
    reviewed_at: datetime


@dataclass(frozen=True, kw_only=True)
class PlanReturn(Command):
    reception_point: str  # code; the handler resolves it to a ReceptionPoint
    scheduled_at: datetime
    escort: str
    planned_at: datetime


@dataclass(frozen=True, kw_only=True)
class ConfirmReception(Command):
    received_at: datetime
    received_by_institution: str


@dataclass(frozen=True, kw_only=True)
class RecordFollowUp(Command):
    visited_at: datetime
    notes: str


@dataclass(frozen=True, kw_only=True)
class DecideProtection(Command):
    clear_block: bool
    reasons: str
    decided_at: datetime


@dataclass(frozen=True, kw_only=True)
class CloseCase(Command):
    reason: str
    closed_at: datetime


@dataclass(frozen=True, kw_only=True)
class CheckDeadlines(Command):
    now: datetime
