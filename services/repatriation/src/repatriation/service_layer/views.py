"""What the read side answers (`queries`): frozen read models, shaped like the API's read
schemas, which the routers turn into them (`dataclasses.asdict`). Times are aware; codes and
statuses are the stored strings. Nothing here is an aggregate: no rule runs on a read model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class VehicleView:
    plate: str
    seats: int


@dataclass(frozen=True)
class DocumentView:
    type: str
    number: str


@dataclass(frozen=True)
class VulnerabilitiesView:
    pregnant: bool
    disability: bool
    illness_or_injury: bool
    trafficking_indicator: bool


@dataclass(frozen=True)
class ReturneeView:
    id: uuid.UUID
    given_names: str
    surnames: str
    sex: str
    date_of_birth: date
    nationality: str
    place_of_origin: str
    document: DocumentView | None
    family_group: str | None
    vulnerabilities: VulnerabilitiesView
    protection_need: bool  # always False: such a person is never listed
    age_disputed: bool
    vulnerable: bool
    nationality_status: str
    nationality_rejection_reason: str | None
    handover_outcome: str | None
    handover_reason: str | None


@dataclass(frozen=True)
class ProtectionRemovalView:
    """A person taken off for a protection need: the sending officer's read alone."""

    returnee_id: uuid.UUID
    given_names: str
    surnames: str
    sex: str
    date_of_birth: date
    nationality: str
    family_group: str | None
    kind: str
    note: str | None
    family_of: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ManifestFieldsView:
    """The manifest's own fields, without its people."""

    id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    vehicle: VehicleView
    status: str
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


@dataclass(frozen=True)
class ManifestView(ManifestFieldsView):
    returnees: tuple[ReturneeView, ...]  # vulnerable people first
    # None for everyone but the sending country's immigration officers.
    protection_removals: tuple[ProtectionRemovalView, ...] | None


@dataclass(frozen=True)
class PeopleCounts:
    total: int
    nationality_confirmed: int
    nationality_rejected: int
    handed_over: int


NOBODY = PeopleCounts(total=0, nationality_confirmed=0, nationality_rejected=0, handed_over=0)


@dataclass(frozen=True)
class ManifestSummaryView(ManifestFieldsView):
    """A list item: the manifest with counts of its people, not the people."""

    people: PeopleCounts


@dataclass(frozen=True)
class HandoverEntryView:
    returnee_id: uuid.UUID
    given_names: str
    surnames: str
    sex: str
    date_of_birth: date
    nationality: str
    family_group: str | None
    vulnerable: bool
    outcome: str | None
    reason: str | None
    officer: str | None
    post: str | None
    recorded_at: datetime | None  # the post's time
    stored_at: datetime | None  # when Puebla stored it
    listed: bool = True  # False: arrived at the post without being on the manifest


@dataclass(frozen=True)
class HandoverTotalsView:
    received: int
    not_presented: int
    refused: int
    pending: int
    arrived_not_listed: int
    total: int


@dataclass(frozen=True)
class ObjectionView:
    returnee_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class HandoverSignatureView:
    side: str
    country: str
    officer: str
    signed_at: datetime
    digest: str
    objections: tuple[ObjectionView, ...]


@dataclass(frozen=True)
class LogEntryView:
    """Where a signature stands in the service's audit log: its entry's `seq` and the
    commitment (the entry's hash) whose leaf an inclusion proof shows."""

    side: str
    seq: int
    commitment: str


@dataclass(frozen=True)
class HandoverRecordView:
    """The acta de entrega: the same document whichever side reads it."""

    manifest_id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    reception_point_name: str | None
    reception_time_zone: str
    receiving_institution: str | None
    vehicle: VehicleView
    status: str
    version: int
    scheduled_arrival: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None
    closed_at: datetime | None
    entries: tuple[HandoverEntryView, ...]
    totals: HandoverTotalsView
    # Beside the record, not in it (its digest leaves them out): who signed it, and where
    # each signature stands in the audit log.
    signatures: tuple[HandoverSignatureView, ...] = ()
    log_entries: tuple[LogEntryView, ...] = ()


@dataclass(frozen=True)
class WindowView:
    opens: time  # the point's local wall clock
    closes: time
    weekdays: tuple[int, ...]  # ISO weekdays, 1 = Monday


@dataclass(frozen=True)
class ReceptionPointView:
    code: str
    country: str
    name: str
    institution: str
    time_zone: str
    window: WindowView
    vulnerable_window: WindowView
    valid_from: date
    valid_to: date | None
