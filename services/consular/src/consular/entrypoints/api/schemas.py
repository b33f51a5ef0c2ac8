"""Request and response schemas of the consular API (API.md "consular")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StrictBool, StringConstraints

from consular.domain.notification import NOTES_MAX_LENGTH
from puebla.http.schemas import (
    BirthDate,
    CountryCode,
    Name,
    Page,
    RequestModel,
    ResponseModel,
    ShortText,
)

Sex = Literal["F", "M", "X"]
ReportKind = Literal["detention", "death", "minor_guardianship", "accident"]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTES_MAX_LENGTH)]


# --- requests -----------------------------------------------------------------------------------


class PersonReport(RequestModel):
    given_names: Name
    surnames: Name
    sex: Sex
    date_of_birth: BirthDate | None = None
    nationality: CountryCode


class PlaceReport(RequestModel):
    country: CountryCode = Field(description="the host country: where it happened")
    state: ShortText | None = Field(
        default=None, description="ISO 3166-2 code (MX-CHP) or name (Chiapas); routes the notice"
    )
    city: ShortText | None = None


class NotificationReport(RequestModel):
    """What a host authority reports (VCCR arts. 36 and 37)."""

    kind: ReportKind
    person: PersonReport
    place: PlaceReport
    occurred_at: AwareDatetime
    protection_need: StrictBool = Field(
        description="fear of return, asylum or refugee application: nothing is sent"
    )
    person_requests_notification: StrictBool | None = Field(
        default=None, description="required for a detention, absent otherwise"
    )
    person_objects_to_consular_action: StrictBool | None = Field(
        default=None, description="detention only: the consul is told not to act"
    )


class ConsularActionReport(RequestModel):
    """What the consulate did about the notice (VCCR art. 36(1)(a), (c))."""

    kind: Literal["access", "interview", "visit"] = Field(
        description="`access`: communication with the national; `interview`; `visit`"
    )
    at: AwareDatetime = Field(
        description="when it happened: not before the notice's `occurred_at`, not in the future"
    )
    notes: Notes | None = None


class VerificationDecision(RequestModel):
    decision: Literal["confirmed", "rejected"]
    reason: Reason | None = None


# --- responses ----------------------------------------------------------------------------------


class ConsularPostRead(ResponseModel):
    code: str
    country: str
    kind: Literal["consulate", "embassy", "concurrent_accreditation"] = Field(
        description="`concurrent_accreditation`: a mission in a third country (`city`)"
        " accredited to the host country"
    )
    city: str
    host_country: str
    jurisdiction: list[str] = Field(description="ISO 3166-2 codes of the host country's states")
    email: str
    placeholder: bool = Field(description="an invented (demo) address, to be replaced")
    valid_from: date
    valid_to: date | None


class ConsularPostPage(Page[ConsularPostRead]):
    pass


class PersonRead(ResponseModel):
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date | None


class PlaceRead(ResponseModel):
    country: str
    state: str | None
    city: str | None


class RelatedRead(ResponseModel):
    service: str
    id: str


class ManifestRead(ResponseModel):
    reference: str
    version: int
    reception_point: str
    scheduled_arrival: datetime | None
    returnee_count: int


class DeliveryRead(ResponseModel):
    channel: Literal["in_app", "email"]
    status: Literal["pending", "sent", "failed", "cancelled"]
    attempts: int
    sent_at: datetime | None


class ConsularActionRead(ResponseModel):
    kind: Literal["access", "interview", "visit"]
    at: datetime = Field(description="when it happened (host's clock)")
    notes: str | None = Field(description="the consulate's own notes: shown to it alone")
    by: str
    recorded_at: datetime


class NotificationRead(ResponseModel):
    """Times are on the host country's clock (`time_zone`), with their offset."""

    id: uuid.UUID
    reference: str
    kind: str
    nationality: str
    host_country: str
    consular_post: str | None
    person: PersonRead | None = Field(description="the minimum needed; none for a manifest")
    place: PlaceRead
    occurred_at: datetime
    related: RelatedRead | None
    status: Literal["pending", "acknowledged", "suppressed", "unroutable", "withdrawn"] = Field(
        description="`unroutable`: no post to send it to yet (reporting side and auditor only);"
        " `withdrawn`: taken back (`withdrawn_reason`)"
    )
    suppression_reason: str | None = Field(
        description="why it was not sent: shown to the reporting side only"
    )
    withdrawn_reason: Literal["protection", "removed", "cancelled"] | None = Field(
        default=None,
        description="`protection`: a protection need found later (never shown to the"
        " person's consulate, which no longer sees the notice); `cancelled`: the return is off",
    )
    withdrawn_at: datetime | None = None
    time_zone: str
    due_at: datetime | None = Field(description="to be sent by (host's clock)")
    ack_due_at: datetime | None = Field(description="to be acknowledged by")
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    overdue: bool
    escalated_at: datetime | None
    person_requests_notification: bool | None
    do_not_act: bool = Field(description="the person expressly objects to consular action")
    mandatory: bool
    manifest: ManifestRead | None
    deliveries: list[DeliveryRead]
    actions: list[ConsularActionRead] = Field(
        description="consular access, interviews and visits recorded by the consulate, oldest first"
    )
    created_at: datetime
    version: int


class NotificationPage(Page[NotificationRead]):
    pass


class VerificationRelatedRead(ResponseModel):
    service: str
    id: str
    returnee_id: str | None


class VerificationRead(ResponseModel):
    id: uuid.UUID
    status: Literal["pending", "confirmed", "rejected", "withdrawn"]
    person: PersonRead
    claimed_nationality: str
    host_country: str
    related: VerificationRelatedRead
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    withdrawn_reason: Literal["protection", "removed", "cancelled"] | None = Field(
        default=None,
        description="`removed`: the returnee was taken off the manifest; `cancelled`: the"
        " manifest was cancelled; `protection`: host side and auditor only",
    )
    withdrawn_at: datetime | None = None
    version: int


class VerificationPage(Page[VerificationRead]):
    pass


class OperationsCounts(ResponseModel):
    """Figures for the operators; no personal data."""

    unroutable_notifications: int = Field(
        description="notices kept because the directory has no post for them (routed again"
        " by the worker as soon as it has one)"
    )
