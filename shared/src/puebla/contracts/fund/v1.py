"""fund.application.*.v1 — RCM Reserve Fund applications (IOM manages the Fund).

`access` on every envelope: ``["IOM", <requesting country>, <beneficiary's nationality>]``
(without repeats). "IOM" is not a country: it labels the Fund itself, whose officers see every
application.

No personal data, except in `fund.application.approved.v1`: the consular service notifies the
beneficiary's consulate of an approved return, and the consulate must identify the person, so
that event alone carries the beneficiary's names, sex, date of birth and nationality, and the
country the beneficiary is in. Amounts are USD decimal strings with two places (``"250.00"``),
never JSON numbers.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from puebla.contracts.base import EventData, register
from puebla.contracts.common import ContractPart

Usd = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{1,10}\.[0-9]{2}$"),
    Field(description="USD amount, two decimal places, e.g. 250.00"),
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
FundCategory = Literal["unaccompanied_child", "disability", "over_70", "injury_or_illness"]

_APPLICATION: dict[str, Any] = {
    "version": 2,
    "application_id": "0190f3c2-0000-7000-8000-0000000000f1",
    "reference": "RF-2026-000042",
    "requesting_country": "GT",
    "beneficiary_nationality": "GT",
    "current_country": "MX",
}


def _examples(version: int, **extra: Any) -> ConfigDict:
    return ConfigDict(
        json_schema_extra={"examples": [{**_APPLICATION, "version": version, **extra}]}
    )


class FundApplicationEventV1(EventData):
    """What every fund.application event carries: which application, and the three countries
    that decide who may see it."""

    application_id: uuid.UUID
    reference: str
    requesting_country: CountryCode
    beneficiary_nationality: CountryCode
    current_country: CountryCode


class FundBeneficiary(ContractPart):
    """The minimum a consulate needs to identify the person whose return was approved."""

    given_names: str
    surnames: str
    sex: Literal["F", "M", "X"]
    date_of_birth: date
    nationality: CountryCode


@register
class FundApplicationSubmittedV1(FundApplicationEventV1):
    """The requesting authority filed the application with IOM."""

    event_type: ClassVar[str] = "fund.application.submitted.v1"
    model_config = _examples(
        2,
        submitted_by="consul.gt.tapachula",
        submitted_at="2026-12-01T15:00:00Z",
        categories=["injury_or_illness"],
        requested_total="300.00",
        approvals_needed=1,
        child_case_id=None,
    )

    submitted_by: str
    submitted_at: AwareDatetime
    categories: list[FundCategory]
    requested_total: Usd
    approvals_needed: int = Field(ge=1)
    child_case_id: uuid.UUID | None


@register
class FundApplicationApprovedV1(FundApplicationEventV1):
    """The last approval needed was given: `approved_total` is reserved on `budget_year`.

    For the consular service, which tells the beneficiary's consulate in `current_country`."""

    event_type: ClassVar[str] = "fund.application.approved.v1"
    model_config = _examples(
        5,
        approved_at="2026-12-02T10:00:00Z",
        approvers=["iom.approver"],
        approved_total="300.00",
        budget_year=2026,
        categories=["injury_or_illness"],
        child_case_id=None,
        beneficiary={
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-03-01",
            "nationality": "GT",
        },
    )

    approved_at: AwareDatetime
    approvers: list[str] = Field(min_length=1)
    approved_total: Usd
    budget_year: int
    categories: list[FundCategory]
    child_case_id: uuid.UUID | None
    beneficiary: FundBeneficiary


@register
class FundApplicationRejectedV1(FundApplicationEventV1):
    event_type: ClassVar[str] = "fund.application.rejected.v1"
    model_config = _examples(
        4,
        rejected_by="iom.approver",
        rejected_at="2026-12-02T10:00:00Z",
        reason="The costs are covered by another programme.",
    )

    rejected_by: str
    rejected_at: AwareDatetime
    reason: str


@register
class FundApplicationDisbursedV1(FundApplicationEventV1):
    """One instalment paid out of the approved total (reserved → disbursed)."""

    event_type: ClassVar[str] = "fund.application.disbursed.v1"
    model_config = _examples(
        6,
        disbursed_at="2026-12-03T09:00:00Z",
        amount="250.00",
        purpose="Bus ticket Tapachula-Quetzaltenango and escort",
        disbursed_total="250.00",
        approved_total="300.00",
        budget_year=2026,
        recorded_by="iom.officer",
    )

    disbursed_at: AwareDatetime
    amount: Usd
    purpose: str
    disbursed_total: Usd
    approved_total: Usd
    budget_year: int
    recorded_by: str


@register
class FundApplicationCompletedV1(FundApplicationEventV1):
    """The return happened; what was approved but not paid went back to the budget."""

    event_type: ClassVar[str] = "fund.application.completed.v1"
    model_config = _examples(
        7,
        completed_at="2026-12-05T18:00:00Z",
        completed_by="iom.officer",
        disbursed_total="250.00",
        released="50.00",
        budget_year=2026,
    )

    completed_at: AwareDatetime
    completed_by: str
    disbursed_total: Usd
    released: Usd
    budget_year: int


@register
class FundApplicationCancelledV1(FundApplicationEventV1):
    """Cancelled before any disbursement. `released` is the reservation given back ("0.00"
    unless it had been approved); a consumer that announced an approval withdraws it."""

    event_type: ClassVar[str] = "fund.application.cancelled.v1"
    model_config = _examples(
        6,
        cancelled_at="2026-12-03T09:00:00Z",
        cancelled_by="iom.officer",
        reason="The beneficiary withdrew consent.",
        was_approved=True,
        released="300.00",
        budget_year=2026,
    )

    cancelled_at: AwareDatetime
    cancelled_by: str
    reason: str
    was_approved: bool
    released: Usd
    budget_year: int | None
