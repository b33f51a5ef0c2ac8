"""What the read side answers (`queries`): frozen records, one per shape of the API's read
schemas, which the routers turn into the response (`ApplicationRead.model_validate(view)`).

Money is a two-place decimal string here already, built from the `Decimal`s PostgreSQL returns
— never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class RequesterView:
    username: str
    country: str
    role: str


@dataclass(frozen=True)
class BeneficiaryView:
    given_names: str
    surnames: str
    sex: str
    date_of_birth: date
    nationality: str


@dataclass(frozen=True)
class ConsentView:
    given: bool
    given_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class CostItemView:
    kind: str
    amount: str


@dataclass(frozen=True)
class ApprovalView:
    by: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class DisbursementView:
    amount: str
    purpose: str
    by: str
    at: datetime


@dataclass(frozen=True)
class QuestionView:
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class ApplicationView:
    """One application as the caller may read it, with its items, approvals, disbursements
    and questions."""

    id: UUID
    reference: str
    status: str
    version: int
    requesting_country: str
    requested_by: RequesterView
    beneficiary: BeneficiaryView
    current_country: str
    categories: list[str]
    voluntary_consent: ConsentView
    items: list[CostItemView]
    justification: str
    child_case_id: UUID | None
    requested_total: str
    approvals_needed: int
    approvals: list[ApprovalView]
    approved_total: str
    disbursed_total: str
    released_total: str
    reserved: str
    budget_year: int | None
    reviewed_by: str | None
    recommendation: str | None
    review_note: str | None
    reviewed_at: datetime | None
    disbursements: list[DisbursementView]
    information_requests: list[QuestionView]
    rejection_reason: str | None
    cancellation_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class BudgetFigures:
    """A year's budget: allocated, reserved, disbursed, available (all zero until set)."""

    year: int
    allocated: str
    reserved: str
    disbursed: str
    available: str
    version: int
