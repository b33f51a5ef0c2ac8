"""What happened, in the Fund's words (past tense).

Each change to an aggregate appends exactly one event and bumps its `version`; the event
carries that new version so consumers can drop stale updates. Amounts are decimal strings with
two places (``"250.00"``), as on the wire. Application events carry the three countries that
decide who may see them (requesting, nationality, current) and no personal data: no names, no
date of birth. `adapters/integration.py` maps them to the contract models; they never go on the
wire as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class Event:
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ApplicationEvent(Event):
    application_id: UUID
    reference: str
    version: int
    beneficiary_nationality: str
    current_country: str
    requesting_country: str


@dataclass(frozen=True, kw_only=True)
class ApplicationCreated(ApplicationEvent):
    created_by: str
    requested_total: str


@dataclass(frozen=True, kw_only=True)
class ApplicationSubmitted(ApplicationEvent):
    submitted_by: str
    categories: tuple[str, ...]
    requested_total: str
    approvals_needed: int
    child_case_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class InformationRequested(ApplicationEvent):
    question: str
    asked_by: str


@dataclass(frozen=True, kw_only=True)
class InformationProvided(ApplicationEvent):
    answer: str
    answered_by: str
    items_changed: bool
    requested_total: str
    approvals_needed: int


@dataclass(frozen=True, kw_only=True)
class ApplicationReviewed(ApplicationEvent):
    reviewed_by: str
    recommendation: str
    note: str


@dataclass(frozen=True, kw_only=True)
class ApprovalRecorded(ApplicationEvent):
    """A first approval of two: nothing is reserved yet."""

    approver: str
    approvals_given: int
    approvals_needed: int


@dataclass(frozen=True, kw_only=True)
class ApplicationApproved(ApplicationEvent):
    """The last approval needed: `approved_total` is now reserved on the `budget_year` budget."""

    approvers: tuple[str, ...]
    approved_total: str
    budget_year: int
    categories: tuple[str, ...]
    note: str | None


@dataclass(frozen=True, kw_only=True)
class ApplicationRejected(ApplicationEvent):
    rejected_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class DisbursementRecorded(ApplicationEvent):
    amount: str
    purpose: str
    disbursed_total: str
    approved_total: str
    budget_year: int
    recorded_by: str


@dataclass(frozen=True, kw_only=True)
class ReturnCompleted(ApplicationEvent):
    """The return happened; whatever was approved but not disbursed went back to the budget."""

    completed_by: str
    disbursed_total: str
    released: str
    budget_year: int


@dataclass(frozen=True, kw_only=True)
class ApplicationClosed(ApplicationEvent):
    closed_by: str


@dataclass(frozen=True, kw_only=True)
class ApplicationCancelled(ApplicationEvent):
    """`released` is the reservation given back ("0.00" if it was not yet approved)."""

    cancelled_by: str
    reason: str
    released: str
    budget_year: int | None


@dataclass(frozen=True, kw_only=True)
class BudgetSet(Event):
    year: int
    allocated: str
    reserved: str
    disbursed: str
    available: str
    version: int
    set_by: str
