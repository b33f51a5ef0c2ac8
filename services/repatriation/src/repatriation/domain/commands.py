"""What a user or an upstream event asks of the repatriation service, in the imperative.

Routers and consumers build these; one handler per command (`service_layer/handlers.py`)
loads the manifest and calls the method named beside each. Who is asking is not in a command:
it is the unit of work's actor, given once when the router or the consumer makes it (the
sending country of a new manifest, the officer and post of a hand-over come from that verified
caller). Ids of new things, the readable reference and the time are supplied by the handler.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from repatriation.domain.handover_record import Objection
from repatriation.domain.model import HandoverItem, Vehicle
from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind
from repatriation.domain.returnee import ReturneeData


@dataclass(frozen=True, kw_only=True)
class CreateManifest:
    """→ `Manifest.create` (a draft), sent from the caller's own country."""

    receiving_country: str
    reception_point: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    vehicle: Vehicle
    returnees: tuple[ReturneeData, ...]
    late_notice_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AddReturnee:
    """→ `Manifest.add_returnee` (draft or submitted; an amendment once submitted)."""

    manifest_id: uuid.UUID
    returnee: ReturneeData
    late_notice_reason: str | None = None  # needed inside the notice period once submitted


@dataclass(frozen=True, kw_only=True)
class RemoveReturnee:
    """→ `Manifest.remove_returnee`; `reason` is required once submitted."""

    manifest_id: uuid.UUID
    returnee_id: uuid.UUID
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordProtectionNeed:
    """→ `Manifest.record_protection_need`: takes the person (and `leave_with` family) off."""

    manifest_id: uuid.UUID
    returnee_id: uuid.UUID
    # Neither the kind nor the note belongs in a log line or a traceback.
    kind: ProtectionNeedKind = field(repr=False)
    note: str | None = field(default=None, repr=False)
    family: FamilyChoice | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitManifest:
    """→ `Manifest.submit`; `late_notice_reason` overrides a too-short advance notice."""

    manifest_id: uuid.UUID
    late_notice_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class DispatchManifest:
    """→ `Manifest.dispatch`."""

    manifest_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class CancelManifest:
    """→ `Manifest.cancel`."""

    manifest_id: uuid.UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordHandovers:
    """→ `Manifest.record_handovers`, by the caller (the officer) at their border post."""

    manifest_id: uuid.UUID
    items: tuple[HandoverItem, ...]


@dataclass(frozen=True, kw_only=True)
class SignHandoverRecord:
    """→ `Manifest.sign_handover_record`, by the caller for their side, over `digest`."""

    manifest_id: uuid.UUID
    digest: str
    objections: tuple[Objection, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ConfirmNationality:
    """→ `Manifest.confirm_nationality`, from `consular.nationality.confirmed.v1`."""

    manifest_id: uuid.UUID
    returnee_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class RejectNationality:
    """→ `Manifest.reject_nationality`, from `consular.nationality.rejected.v1`."""

    manifest_id: uuid.UUID
    returnee_id: uuid.UUID
    reason: str


Command = (
    CreateManifest
    | AddReturnee
    | RemoveReturnee
    | RecordProtectionNeed
    | SubmitManifest
    | DispatchManifest
    | CancelManifest
    | RecordHandovers
    | SignHandoverRecord
    | ConfirmNationality
    | RejectNationality
)
