"""Request and read schemas of the repatriation API (API.md "repatriation").

Requests refuse unknown fields, take booleans only as JSON true/false (`StrictBool`: an
unanswered or "yes" flag must never read as "not vulnerable"), integers only as JSON numbers,
times only as RFC 3339 strings with an offset and dates only as `YYYY-MM-DD` strings; every
string and list is bounded. A manifest may carry up to 300 returnees.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from puebla.http.schemas import BirthDate, Code, CountryCode, Name, RequestModel, ShortText

MAX_RETURNEES = 300
MAX_HANDOVER_ITEMS = 300


def _text_only(kind: str) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise PydanticCustomError(f"{kind}_type", f"Give the {kind} as a string.")
        return value

    return BeforeValidator(check)


# RFC 3339 with an offset, as a string (a bare number would be read as a Unix timestamp).
Timestamp = Annotated[AwareDatetime, _text_only("datetime")]
DateOfBirth = Annotated[BirthDate, _text_only("date")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
DocumentText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
FamilyGroup = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Plate = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Sex = Literal["F", "M", "X"]
Outcome = Literal["received", "not_presented", "refused", "arrived_not_listed"]
Digest = Annotated[str, StringConstraints(pattern="^[0-9a-f]{64}$")]
RefusalReason = Literal[
    "not_a_national",
    "identity_mismatch",
    "not_on_manifest",
    "medically_unfit",
    "outside_window",
    "returned_to_station",
    "other",
]
ProtectionNeedKind = Literal["asylum", "fear_of_return", "refugee", "trafficking"]
FamilyChoice = Literal["stay", "leave_with"]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Status = Literal["draft", "submitted", "dispatched", "arrived", "closed", "cancelled"]


# -- requests --------------------------------------------------------------------------------


class VulnerabilitiesIn(RequestModel):
    """Each flag answered explicitly, true or false."""

    pregnant: StrictBool
    disability: StrictBool
    illness_or_injury: StrictBool
    trafficking_indicator: StrictBool


class DocumentIn(RequestModel):
    type: DocumentText = Field(examples=["passport"])
    number: DocumentText


class ReturneeCreate(RequestModel):
    given_names: Name
    surnames: Name
    sex: Sex
    date_of_birth: DateOfBirth
    nationality: CountryCode
    place_of_origin: ShortText
    document: DocumentIn | None = None
    family_group: FamilyGroup | None = Field(
        default=None, description="Chosen by the sending officer; unique within a manifest."
    )
    vulnerabilities: VulnerabilitiesIn
    protection_need: StrictBool = Field(
        description="Fear of return, asylum or refugee application. Such a person is refused."
    )
    age_disputed: StrictBool = False


class ReturneeAdd(ReturneeCreate):
    """A returnee added to a draft or (an amendment) a submitted manifest."""

    late_notice_reason: Reason | None = Field(
        default=None,
        description="Once submitted, needed to add people inside the advance-notice period; "
        "the amendment is then flagged late in the audit trail.",
    )


class ProtectionNeedRequest(RequestModel):
    """A protection need found after the person was put on the manifest: they come off it."""

    kind: ProtectionNeedKind
    note: Note | None = Field(
        default=None, description="Kept by the sending state; never sent to the other country."
    )
    family: FamilyChoice | None = Field(
        default=None,
        description="Required when other members of the person's family group are on the "
        "manifest: `stay` (they travel on; not if a child would be left without an adult of "
        "the group) or `leave_with` (they come off with the person).",
    )


class VehicleIn(RequestModel):
    plate: Plate
    seats: Annotated[StrictInt, Field(ge=1, le=MAX_RETURNEES)]


class ManifestCreate(RequestModel):
    receiving_country: CountryCode
    reception_point: Code
    scheduled_departure: Timestamp
    scheduled_arrival: Timestamp
    vehicle: VehicleIn
    returnees: Annotated[list[ReturneeCreate], Field(max_length=MAX_RETURNEES)]
    late_notice_reason: Reason | None = None

    @field_validator("scheduled_arrival")
    @classmethod
    def _after_departure(cls, value: datetime, info: ValidationInfo) -> datetime:
        departure = info.data.get("scheduled_departure")
        if isinstance(departure, datetime) and value <= departure:
            raise PydanticCustomError(
                "arrival_before_departure", "The scheduled arrival must be after the departure."
            )
        return value


class SubmitRequest(RequestModel):
    late_notice_reason: Reason | None = None


class CancelRequest(RequestModel):
    reason: Reason


class ArrivedPersonIn(RequestModel):
    """Who a person not on the manifest says they are, as recorded at the post."""

    given_names: Name
    surnames: Name
    sex: Sex
    date_of_birth: DateOfBirth
    nationality: CountryCode


class HandoverItemIn(RequestModel):
    returnee_id: uuid.UUID | None = Field(
        default=None,
        description="The listed person; absent for `arrived_not_listed` (give `person`).",
    )
    person: ArrivedPersonIn | None = Field(
        default=None,
        description="Only with `arrived_not_listed`: someone who arrived without being on the "
        "manifest, by the identity given at the post. Recorded once (the same identity again "
        "is a no-op); also once the manifest is closed, until a side has signed its record "
        "(then 409 `record_signed`).",
    )
    outcome: Outcome
    reason: RefusalReason | None = Field(
        default=None,
        description="Required when refused; not_presented takes only returned_to_station (a "
        "bus that turned back); received takes none.",
    )
    recorded_at: Timestamp | None = Field(
        default=None,
        description="When the officer recorded this outcome at the post (RFC 3339 with an "
        "offset): a post without a link sends its hand-overs later with the time each was "
        "recorded. Absent: the server's time of this request. Refused (422) when more than 2 "
        "minutes after the server's time (`recorded_at_in_future`) or before the manifest was "
        "dispatched (`recorded_before_dispatch`). An outcome already on record keeps its time.",
        examples=["2026-12-01T10:05:00-06:00"],
    )


class HandoverRequest(RequestModel):
    items: Annotated[list[HandoverItemIn], Field(min_length=1, max_length=MAX_HANDOVER_ITEMS)]


class ObjectionIn(RequestModel):
    returnee_id: uuid.UUID = Field(description="A person of the record (listed or not).")
    reason: Reason = Field(description="Why this side disagrees with the recorded outcome.")


class SignatureRequest(RequestModel):
    """One side's signature of the closed manifest's hand-over record."""

    digest: Digest = Field(
        description="The `digest` of the record the officer read and signs: it must be the "
        "record's as it stands (else 409 `digest_not_current`: read it again)."
    )
    objections: Annotated[list[ObjectionIn], Field(max_length=2 * MAX_RETURNEES)] = Field(
        default_factory=list,
        description="One per person whose outcome this side disputes, with the reason: the "
        "record then shows the disagreement to both sides.",
    )


# -- reads -----------------------------------------------------------------------------------


class VulnerabilitiesRead(BaseModel):
    pregnant: bool
    disability: bool
    illness_or_injury: bool
    trafficking_indicator: bool


class DocumentRead(BaseModel):
    type: str
    number: str


class ReturneeRead(BaseModel):
    id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str
    place_of_origin: str
    document: DocumentRead | None
    family_group: str | None
    vulnerabilities: VulnerabilitiesRead
    protection_need: bool = Field(description="Always false: such a person is never listed.")
    age_disputed: bool
    vulnerable: bool = Field(description="A vulnerability flag, or aged 60+ on arrival.")
    nationality_status: Literal["pending", "confirmed", "rejected"]
    nationality_rejection_reason: str | None
    handover_outcome: Outcome | None
    handover_reason: RefusalReason | None


class VehicleRead(BaseModel):
    plate: str
    seats: int


class ManifestFields(BaseModel):
    id: uuid.UUID
    reference: str = Field(examples=["MX-GT-2026-000123"])
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    vehicle: VehicleRead
    status: Status
    version: int
    late_notice: bool
    late_notice_reason: str | None
    cancellation_reason: str | None
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None


class ProtectionRemovalRead(BaseModel):
    """A person taken off for a protection need (or a family member who left with them)."""

    returnee_id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str
    family_group: str | None
    kind: ProtectionNeedKind
    note: str | None
    family_of: uuid.UUID | None = Field(
        description="Null for the person whose need it is; else that person's returnee id."
    )
    recorded_by: str
    recorded_at: datetime


class ManifestRead(ManifestFields):
    returnees: list[ReturneeRead] = Field(description="Vulnerable people first.")
    protection_removals: list[ProtectionRemovalRead] | None = Field(
        default=None,
        description="People taken off for a protection need, with the kind and note: shown to "
        "the sending country's immigration officers only (null for everyone else, and the "
        "receiving country never sees these people anywhere).",
    )


class PeopleCounts(BaseModel):
    total: int
    nationality_confirmed: int
    nationality_rejected: int
    handed_over: int = Field(description="People with a hand-over outcome recorded.")


class ManifestSummary(ManifestFields):
    """A list item: the manifest without its people (GET /v1/manifests/{id} has them)."""

    people: PeopleCounts


class ManifestPage(BaseModel):
    items: list[ManifestSummary]
    next_cursor: str | None = None


class ReturneeAdded(BaseModel):
    returnee_id: uuid.UUID
    manifest: ManifestRead


class ProtectionNeedRecorded(BaseModel):
    taken_off: list[uuid.UUID] = Field(description="The person and any family leaving with them.")
    manifest: ManifestRead


class HandoverEntry(BaseModel):
    returnee_id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str
    family_group: str | None
    vulnerable: bool
    outcome: Outcome | None
    reason: RefusalReason | None
    officer: str | None
    post: str | None
    recorded_at: datetime | None = Field(
        description="When the officer recorded the outcome at the post (the post's time, also "
        "when it was sent later from an offline post); null while pending."
    )
    # In the digest too, like every member of the record: it never changes once stored, so the
    # digest is as stable as before, and "the answer without `digest`" stays the one rule a
    # reader recomputes it by. Operational (the sync time); the PDF does not print it.
    stored_at: datetime | None = Field(
        description="When Puebla stored the outcome (later than `recorded_at` when the post "
        "was offline); null while pending."
    )
    listed: bool = Field(
        description="False for a person who arrived without being on the manifest (outcome "
        "`arrived_not_listed`, identity as given at the post, `returnee_id` the arrival's id)."
    )


class HandoverTotals(BaseModel):
    received: int
    not_presented: int
    refused: int
    pending: int
    arrived_not_listed: int = Field(description="People who arrived without being listed.")
    total: int = Field(description="Everyone the record names, listed or not.")


class HandoverVehicle(BaseModel):
    plate: str
    seats: int


class HandoverRecordBody(BaseModel):
    """The record without its digest: what the digest is computed over."""

    manifest_id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    reception_point_name: str | None
    reception_time_zone: str = Field(
        description="The reception point's IANA time zone, in which the PDF shows every time."
    )
    receiving_institution: str | None
    vehicle: HandoverVehicle
    status: Status
    version: int
    scheduled_arrival: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    entries: list[HandoverEntry]
    totals: HandoverTotals


class ObjectionRead(BaseModel):
    returnee_id: uuid.UUID
    reason: str


class SignatureRead(BaseModel):
    side: Literal["sending", "receiving"]
    country: str
    officer: str
    signed_at: datetime
    digest: str = Field(description="The record's digest the officer signed.")
    objections: list[ObjectionRead]


class LogEntryRead(BaseModel):
    side: Literal["sending", "receiving"]
    seq: int = Field(description="The signature's entry in the service's audit log.")
    commitment: str = Field(
        description="The entry's commitment: `GET /v1/audit/log/inclusion?seq=` proves it is "
        "a leaf of the signed log."
    )


class SealRead(BaseModel):
    format: Literal["puebla-seal/1"]
    key_id: str = Field(description="Which of the service's published audit keys sealed it.")
    signature: str = Field(
        description="Ed25519 (base64) over the statement `puebla-seal/1`, `repatriation`, "
        "`handover-record <manifest_id> <status>`, the record's `digest`, `signatures_digest`, "
        "one per line, each ending in a newline."
    )


class AttestationRead(BaseModel):
    """Who signed the record, beside it (the record's digest leaves this member out)."""

    signatures: list[SignatureRead]
    signatures_digest: str = Field(
        description="SHA-256 of `signatures` in the same canonical JSON as the record's."
    )
    seal: SealRead | None = Field(
        description="The service's seal on the record's digest and these signatures; null "
        "until a side signs."
    )
    log_entries: list[LogEntryRead]
    status: Literal["unsigned", "signed_by_one_side", "signed", "disputed"] = Field(
        description="`signed`: both sides signed this digest without objection; `disputed`: "
        "a side objected to an outcome."
    )


class HandoverRecordRead(HandoverRecordBody):
    """The acta de entrega: the same document for the sending and the receiving side, and
    the SHA-256 of its canonical JSON, the digest the PDF prints on every page."""

    digest: str = Field(
        pattern="^[0-9a-f]{64}$",
        description=(
            "SHA-256 (lowercase hex) of the record's canonical JSON: this answer's object "
            "without `digest` and `attestation`, keys sorted at every level, no whitespace "
            "(separators `,` and `:`), non-ASCII characters written as themselves (not `\\u` "
            "escapes), encoded in UTF-8. The PDF of the record prints the same digest on "
            "every page."
        ),
    )
    attestation: AttestationRead


class SignatureResult(BaseModel):
    signed: bool = Field(description="False: this side had signed exactly this already.")
    record: HandoverRecordRead


class VerificationRead(BaseModel):
    """Whether a printed record (by its digest) is the record both sides signed."""

    manifest_id: uuid.UUID
    digest: str = Field(description="The digest asked about.")
    current: bool = Field(description="It is the digest of the record as it stands.")
    signed_by: list[Literal["sending", "receiving"]] = Field(
        description="The sides whose signature covers this digest."
    )
    verified: bool = Field(
        description="Both sides signed exactly this digest: the printed record is the signed one."
    )
    disputed: bool = Field(description="A side objected to an outcome of it.")
    attestation: AttestationRead


class HandoverOnRecord(BaseModel):
    """One item of the request as the record now holds it."""

    returnee_id: uuid.UUID = Field(
        description="The returnee's id; for a person who arrived without being listed, the "
        "id of their arrival in the record (`listed` false)."
    )
    listed: bool
    outcome: Outcome
    reason: RefusalReason | None
    officer: str
    post: str
    recorded_at: datetime = Field(description="The post's time of the outcome.")
    stored_at: datetime = Field(description="When Puebla stored it.")


class HandoverResult(BaseModel):
    """What the request changed, not the whole record (`GET .../handover-record` gives it)."""

    manifest_id: uuid.UUID
    recorded: list[bool] = Field(
        description="Per item: true if recorded now, false if the same outcome was on record."
    )
    items: list[HandoverOnRecord] = Field(
        description="Per item, in the request's order: the outcome on record."
    )
    status: Status
    version: int
    totals: HandoverTotals


# Wall-clock times in the reception point's own time zone: "08:00", not an RFC 3339
# full-time (which needs an offset — the post's zone gives it, and it moves with DST).
LocalTime = Annotated[
    time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "examples": ["08:00"]}),
]


class WindowRead(BaseModel):
    opens: LocalTime
    closes: LocalTime
    weekdays: list[int] = Field(description="ISO weekdays, 1 = Monday")


class ReceptionPointRead(BaseModel):
    code: str
    country: str
    name: str
    institution: str
    time_zone: str
    window: WindowRead
    vulnerable_window: WindowRead
    valid_from: date
    valid_to: date | None


class ReceptionPointPage(BaseModel):
    items: list[ReceptionPointRead]
    next_cursor: str | None = None
