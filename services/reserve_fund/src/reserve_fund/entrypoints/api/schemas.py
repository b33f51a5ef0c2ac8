"""Request and response bodies of the Fund's API (API.md "reserve_fund").

Money is a string on the wire in both directions — ``"250.00"`` — matched by a pattern and
parsed into the domain's exact `Money`; a JSON number is refused (422), so no float ever
carries an amount. Request bodies refuse unknown fields; booleans must be real booleans.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from puebla.http.schemas import (
    BirthDate,
    CountryCode,
    LongText,
    Name,
    Page,
    RequestModel,
    ResponseModel,
)


def _storable(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates (which JSON escapes can carry):
    refuse them as input instead of failing on the INSERT."""
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "text cannot contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_not_utf8", "text must be valid Unicode") from None
    return value


def _string_only(value: object) -> object:
    # Dates and times travel as ISO 8601 strings; a number would be read as a Unix timestamp.
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "dates and times are ISO 8601 strings")
    return value


USD_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$"

Usd = Annotated[
    str,
    StringConstraints(pattern=USD_PATTERN),
    Field(
        description="USD as a decimal string, at most two places (e.g. 250.00); never a number",
        examples=["250.00"],
    ),
]
UsdOut = Annotated[
    str, Field(pattern=r"^[0-9]+\.[0-9]{2}$", description="USD, two places", examples=["250.00"])
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_storable),
]
PersonName = Annotated[Name, AfterValidator(_storable)]
Justification = Annotated[LongText, AfterValidator(_storable)]
DateOfBirth = Annotated[BirthDate, BeforeValidator(_string_only)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_string_only)]
Sex = Literal["F", "M", "X"]
CategoryName = Literal["unaccompanied_child", "disability", "over_70", "injury_or_illness"]
CostKindName = Literal["transport", "escort", "lodging", "meals", "medical", "documents"]
ConsentGiverName = Literal["beneficiary", "guardian", "authority"]
StatusName = Literal[
    "draft",
    "submitted",
    "under_review",
    "info_requested",
    "approved",
    "rejected",
    "disbursed",
    "returned",
    "closed",
    "cancelled",
]

# -- requests ------------------------------------------------------------------------------------


class BeneficiaryIn(RequestModel):
    given_names: PersonName
    surnames: PersonName
    sex: Sex
    date_of_birth: DateOfBirth
    nationality: CountryCode
    protection_need: StrictBool = Field(
        description="fear of return, an asylum or refugee application: the Fund pays returns,"
        " so `true` is refused (422 `eligibility.protection_need`)"
    )


class ConsentIn(RequestModel):
    given: StrictBool
    given_by: ConsentGiverName
    recorded_at: Timestamp


class CostItemIn(RequestModel):
    kind: CostKindName
    amount: Usd


class ApplicationCreate(RequestModel):
    beneficiary: BeneficiaryIn
    current_country: CountryCode
    categories: list[CategoryName] = Field(max_length=4)
    voluntary_consent: ConsentIn
    items: list[CostItemIn] = Field(max_length=50)
    justification: Justification
    child_case_id: UUID | None = Field(
        default=None,
        description="for a child with a case: an open case of this child, hosted where the"
        " child is, whose best-interests determination decided return (otherwise 422"
        " `child_case.no_return_determination`)",
    )


class InformationRequestIn(RequestModel):
    question: Text


class InformationAnswerIn(RequestModel):
    answer: Text
    items: list[CostItemIn] | None = Field(
        default=None, max_length=50, description="replaces every cost item when given"
    )


class ReviewIn(RequestModel):
    recommendation: Literal["approve", "reject"]
    note: Text


class ApproveIn(RequestModel):
    note: Text | None = None


class RejectIn(RequestModel):
    reason: Text


class DisbursementIn(RequestModel):
    amount: Usd
    purpose: Text


class CancelIn(RequestModel):
    reason: Text


class BudgetIn(RequestModel):
    allocated: Usd


# -- responses -----------------------------------------------------------------------------------


class BeneficiaryRead(ResponseModel):
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str


class RequesterRead(ResponseModel):
    username: str
    country: str
    role: str


class ConsentRead(ResponseModel):
    given: bool
    given_by: ConsentGiverName
    recorded_at: datetime


class CostItemRead(ResponseModel):
    kind: CostKindName
    amount: UsdOut


class ApprovalRead(ResponseModel):
    by: str
    at: datetime
    note: str | None


class DisbursementRead(ResponseModel):
    amount: UsdOut
    purpose: str
    by: str
    at: datetime


class InformationRequestRead(ResponseModel):
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


class ApplicationRead(ResponseModel):
    id: UUID
    reference: str = Field(examples=["RF-2026-000042"])
    status: StatusName
    version: int
    requesting_country: str
    requested_by: RequesterRead
    beneficiary: BeneficiaryRead
    current_country: str
    categories: list[CategoryName]
    voluntary_consent: ConsentRead
    items: list[CostItemRead]
    justification: str
    child_case_id: UUID | None
    requested_total: UsdOut
    approvals_needed: int
    approvals: list[ApprovalRead]
    approved_total: UsdOut
    disbursed_total: UsdOut
    released_total: UsdOut
    reserved: UsdOut = Field(description="what the application still holds on its year's budget")
    budget_year: int | None
    reviewed_by: str | None
    recommendation: Literal["approve", "reject"] | None
    review_note: str | None
    reviewed_at: datetime | None
    disbursements: list[DisbursementRead]
    information_requests: list[InformationRequestRead]
    rejection_reason: str | None
    cancellation_reason: str | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime


class ApplicationPage(Page[ApplicationRead]):
    pass


class BudgetRead(ResponseModel):
    year: int
    allocated: UsdOut
    reserved: UsdOut
    disbursed: UsdOut
    available: UsdOut = Field(description="allocated - reserved - disbursed; never negative")
    version: int


class TallyRead(ResponseModel):
    count: int
    approved: UsdOut
    disbursed: UsdOut


class KeyedTallyRead(TallyRead):
    key: str


class ReportRead(ResponseModel):
    """Aggregates only: counts and sums; no names, no dates of birth."""

    year: int
    allocated: UsdOut
    reserved: UsdOut
    disbursed: UsdOut
    available: UsdOut
    total: TallyRead
    by_nationality: list[KeyedTallyRead]
    by_category: list[KeyedTallyRead] = Field(
        description="an application with several categories counts once under each"
    )
    by_requesting_country: list[KeyedTallyRead]
