"""What happened to a manifest, in the past tense.

Each method of `Manifest` appends its events to `manifest.events`; the unit of work drains them
and `adapters/integration.py` turns the contracted ones into `repatriation.*.v1` contract events
(domain events never go on the wire as they are). The others are internal: the unit of work
writes them to the audit trail only.

Contracted (domain event → contract subject):

- ManifestSubmitted  → repatriation.manifest.submitted.v1
- ManifestAmended    → repatriation.manifest.amended.v1
- ManifestDispatched → repatriation.manifest.dispatched.v1
- ManifestCancelled  → repatriation.manifest.cancelled.v1
- ManifestClosed     → repatriation.manifest.closed.v1
- ReturneeHandedOver → repatriation.returnee.handed_over.v1
- ReturneeProtectionNeedRecorded → repatriation.returnee.protection_need_recorded.v1
  (labelled for the sending country alone; carries neither the kind of need nor the note)

Internal (audit trail only): ManifestDrafted, ReturneeAdded, ReturneeRemoved, ManifestArrived,
NationalityConfirmed, NationalityRejected, PersonArrivedNotListed, HandoverRecordSigned.

Every event carries the manifest's header (`ManifestEvent`): id, readable reference, sending
and receiving country (the `access` label of the envelope), reception point, scheduled arrival,
the aggregate `version` after the change (consumers drop stale updates with it) and when it
happened. Personal data is limited to what consular nationality verification needs
(`ReturneeSummary`) and only for people on the manifest — a person with a protection need is
never admitted to a manifest, so never appears in any event; one whose need is found later
leaves the manifest with `ReturneeProtectionNeedRecorded` (no `ManifestAmended`) and never
appears in an event the receiving country may read again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind
from repatriation.domain.returnee import HandoverOutcome, RefusalReason, Returnee, Sex
from repatriation.domain.status import ManifestStatus


@dataclass(frozen=True, kw_only=True)
class ReturneeSummary:
    """The minimum a consulate needs to verify a person's nationality."""

    id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str

    @classmethod
    def of(cls, returnee: Returnee) -> ReturneeSummary:
        return cls(
            id=returnee.id,
            given_names=returnee.given_names,
            surnames=returnee.surnames,
            sex=returnee.sex,
            date_of_birth=returnee.date_of_birth,
            nationality=returnee.nationality,
        )

    def __repr__(self) -> str:
        return f"ReturneeSummary(id={self.id})"  # names stay out of logs


@dataclass(frozen=True, kw_only=True)
class ManifestEvent:
    """The header every manifest event carries."""

    manifest_id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_arrival: datetime
    version: int
    occurred_at: datetime


# --- contracted -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ManifestSubmitted(ManifestEvent):
    """The receiving side is notified; consular notification and one nationality-verification
    request per returnee follow."""

    scheduled_departure: datetime
    late_notice: bool  # submitted with less than the required advance notice: flag it
    late_notice_reason: str | None
    returnees: tuple[ReturneeSummary, ...]


@dataclass(frozen=True, kw_only=True)
class ManifestAmended(ManifestEvent):
    """A returnee was added or removed after submission: the receiving side is notified again
    and an added person's nationality must be verified."""

    added: tuple[ReturneeSummary, ...]
    removed: tuple[uuid.UUID, ...]
    removal_reason: str | None
    returnee_count: int
    # People added inside the advance-notice period: allowed only with a reason, and flagged.
    late_notice: bool = False
    late_notice_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReturneeProtectionNeedRecorded(ManifestEvent):
    """A protection need found after the person was put on the manifest: they (and the family
    members who leave with them) are off it. Only the sending state may learn of it; the kind
    and the note stay in the sending state's own record (audit, manifest read)."""

    returnee_id: uuid.UUID  # whose need it is
    returnee_ids: tuple[uuid.UUID, ...]  # everyone taken off: the person and leaving family
    kind: ProtectionNeedKind = field(repr=False)  # never in a log line
    note: str | None = field(repr=False)
    family: FamilyChoice | None
    returnee_count: int  # left on the manifest


@dataclass(frozen=True, kw_only=True)
class ManifestDispatched(ManifestEvent):
    returnee_ids: tuple[uuid.UUID, ...]
    returnee_count: int


@dataclass(frozen=True, kw_only=True)
class ManifestCancelled(ManifestEvent):
    reason: str
    previous_status: ManifestStatus


@dataclass(frozen=True, kw_only=True)
class ManifestClosed(ManifestEvent):
    """Every returnee has an outcome: the totals both countries publish."""

    received: int
    not_presented: int
    refused: int


@dataclass(frozen=True, kw_only=True)
class ReturneeHandedOver(ManifestEvent):
    """One person's outcome at the reception point (received, not presented or refused)."""

    returnee_id: uuid.UUID
    outcome: HandoverOutcome
    reason: RefusalReason | None
    officer: str
    post: str
    recorded_at: datetime  # the post's time; `occurred_at` is when Puebla stored it


# --- internal (audit trail only) --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ManifestDrafted(ManifestEvent):
    scheduled_departure: datetime
    returnee_count: int


@dataclass(frozen=True, kw_only=True)
class ReturneeAdded(ManifestEvent):
    """Added while in draft (after submission the change is a `ManifestAmended`)."""

    returnee_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class ReturneeRemoved(ManifestEvent):
    """Removed while in draft (after submission the change is a `ManifestAmended`)."""

    returnee_id: uuid.UUID
    reason: str | None


@dataclass(frozen=True, kw_only=True)
class ManifestArrived(ManifestEvent):
    """The first hand-over was recorded at the reception point."""


@dataclass(frozen=True, kw_only=True)
class PersonArrivedNotListed(ManifestEvent):
    """Someone not on the manifest arrived at the post (their identity stays in the record:
    the audit names only their nationality)."""

    arrival_id: uuid.UUID
    nationality: str
    officer: str
    post: str
    recorded_at: datetime  # the post's time


@dataclass(frozen=True, kw_only=True)
class HandoverRecordSigned(ManifestEvent):
    """One side signed the closed manifest's hand-over record (`objected`: the people whose
    outcome it disputes; the reasons stay in the record)."""

    side: str
    country: str
    officer: str
    digest: str
    objected: tuple[uuid.UUID, ...]


@dataclass(frozen=True, kw_only=True)
class NationalityConfirmed(ManifestEvent):
    returnee_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class NationalityRejected(ManifestEvent):
    returnee_id: uuid.UUID
    reason: str


Event = (
    ManifestSubmitted
    | ManifestAmended
    | ManifestDispatched
    | ManifestCancelled
    | ManifestClosed
    | ReturneeHandedOver
    | ReturneeProtectionNeedRecorded
    | ManifestDrafted
    | ReturneeAdded
    | ReturneeRemoved
    | ManifestArrived
    | NationalityConfirmed
    | NationalityRejected
    | PersonArrivedNotListed
    | HandoverRecordSigned
)
