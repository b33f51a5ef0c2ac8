"""What callers ask the Fund to do (imperative). One handler per command in the service layer.

Commands carry domain values already parsed at the edge (Money, not strings) and what the
caller asks — never who the caller is: the acting user is the unit of work's, given once from
the verified token (the handler makes the filing `Authority` of it, or takes the username of
IOM staff, who have no country). The clock is the handler's, not the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from reserve_fund.domain.costs import CostItem
from reserve_fund.domain.eligibility import Category
from reserve_fund.domain.model import Recommendation
from reserve_fund.domain.money import Money
from reserve_fund.domain.parties import Beneficiary, Consent


@dataclass(frozen=True, kw_only=True)
class CreateApplication:
    beneficiary: Beneficiary
    current_country: str
    categories: frozenset[Category]
    voluntary_consent: Consent | None
    items: tuple[CostItem, ...]
    justification: str
    child_case_id: UUID | None = None
    # Chosen by the caller so it can read the application back; the reference is assigned by
    # the handler from a database sequence (`format_reference`).
    application_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True, kw_only=True)
class SubmitApplication:
    application_id: UUID


@dataclass(frozen=True, kw_only=True)
class RequestInformation:
    application_id: UUID
    question: str


@dataclass(frozen=True, kw_only=True)
class ProvideInformation:
    """The requesting authority answers a question (`POST …/provide-information`)."""

    application_id: UUID
    answer: str
    items: tuple[CostItem, ...] | None = None  # replaces all items when given


@dataclass(frozen=True, kw_only=True)
class ReviewApplication:
    application_id: UUID
    recommendation: Recommendation
    note: str


@dataclass(frozen=True, kw_only=True)
class ApproveApplication:
    application_id: UUID
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class RejectApplication:
    application_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordDisbursement:
    application_id: UUID
    amount: Money
    purpose: str


@dataclass(frozen=True, kw_only=True)
class CompleteReturn:
    application_id: UUID


@dataclass(frozen=True, kw_only=True)
class CloseApplication:
    application_id: UUID


@dataclass(frozen=True, kw_only=True)
class CancelApplication:
    application_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class SetBudget:
    year: int
    allocated: Money


# -- what the Fund learns of child cases (from child protection's events) ----------------------


@dataclass(frozen=True, kw_only=True)
class ChildCaseFact:
    """Every child event names the case, its countries and the case's version after it."""

    case_id: UUID
    host_country: str
    nationality: str
    version: int


@dataclass(frozen=True, kw_only=True)
class RecordChildCaseBlock(ChildCaseFact):
    """Opened (blocked or not), blocked for the consulate, or the block cleared."""

    blocked: bool


@dataclass(frozen=True, kw_only=True)
class RecordChildCaseDetermination(ChildCaseFact):
    decision: str  # return | stay | asylum | third_country


@dataclass(frozen=True, kw_only=True)
class RecordChildCaseClosed(ChildCaseFact):
    bid_decision: str | None  # the determination in force when it closed


Command = (
    CreateApplication
    | SubmitApplication
    | RequestInformation
    | ProvideInformation
    | ReviewApplication
    | ApproveApplication
    | RejectApplication
    | RecordDisbursement
    | CompleteReturn
    | CloseApplication
    | CancelApplication
    | SetBudget
)
