"""Commands, imperative. The service layer has one handler per command; the domain functions
in `triggers.py` and the aggregates' methods do the work.

Who acts does not ride in a command: the handler takes them from its unit of work (given once,
from the verified caller) and hands them to the domain, which enforces who may do what. Nor
does "now": handlers take it from their clock — except `CheckOverdue`,
whose whole point is the scheduler's tick, and the trigger times, which are facts of the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from consular.domain.rules import NotificationKind
from consular.domain.states import ConsularActionKind, Decision
from consular.domain.values import Person, Place, Related


@dataclass(frozen=True, kw_only=True)
class Command:
    pass


@dataclass(frozen=True, kw_only=True)
class ReportNotification(Command):
    """`POST /v1/notifications`: a host authority reports a detention, death, minor needing a
    guardian or accident. One notification is recorded per nationality (dual nationals)."""

    kind: NotificationKind
    person: Person
    nationalities: tuple[str, ...]
    place: Place  # place.country is the host country
    occurred_at: datetime
    protection_need: bool
    person_requests_notification: bool | None = None  # required for a detention
    person_objects_to_consular_action: bool | None = None  # detention only


@dataclass(frozen=True, kw_only=True)
class NotifyRepatriation(Command):
    """A manifest was submitted or amended (`repatriation.manifest.{submitted,amended}.v1`):
    tell the receiving country's consulate in the sending country. `departure` is where the bus
    leaves from (its state routes the notice); `notified_at` is the submission or amendment."""

    manifest_id: str
    manifest_reference: str
    manifest_version: int
    sending_country: str
    receiving_country: str
    departure: Place
    reception_point: str
    scheduled_arrival: datetime | None
    returnee_count: int
    notified_at: datetime


@dataclass(frozen=True, kw_only=True)
class NotifyRepatriationCancelled(Command):
    """`repatriation.manifest.cancelled.v1`: the bus is not coming. The cancellation reason is
    not passed on: it may be about a person."""

    manifest_id: str
    manifest_reference: str
    manifest_version: int
    sending_country: str
    receiving_country: str
    departure: Place
    reception_point: str
    cancelled_at: datetime


@dataclass(frozen=True, kw_only=True)
class NotifyChildCase(Command):
    """A child case the consulate is to be told of (`child.case.consular_notice.v1`), or one
    blocked for it (`child.case.opened.v1`). `blocked_for_consulate` is the case's flag
    (protection need or an uncleared trafficking indicator): the notification is then recorded,
    not sent — and without the child's identity (`child` None), which the host keeps while the
    case is blocked; the clearing's consular notice brings it."""

    case_id: str
    child: Person | None
    nationalities: tuple[str, ...]
    place: Place
    opened_at: datetime
    protection_need: bool
    blocked_for_consulate: bool


@dataclass(frozen=True, kw_only=True)
class NotifyFundReturn(Command):
    """`fund.application.approved.v1`: IOM approved a Reserve Fund return; the beneficiary's
    consulate in the country where the person is learns of it (the event names no state, so
    the notice goes to that country's embassy unless a place is known)."""

    application_id: str
    beneficiary: Person
    nationality: str
    place: Place  # place.country: where the beneficiary is (the host)
    approved_at: datetime
    # The beneficiary's case when a child: its consular block withdraws this notice too.
    child_case_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AcknowledgeNotification(Command):
    notification_id: UUID


@dataclass(frozen=True, kw_only=True)
class CheckOverdue(Command):
    """The scheduler's tick: mark and escalate every pending notification overdue at `now`."""

    now: datetime


@dataclass(frozen=True, kw_only=True)
class RecordConsularAction(Command):
    notification_id: UUID
    kind: ConsularActionKind
    at: datetime
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestVerification(Command):
    """One per returnee of a submitted or amended manifest (or per child case)."""

    person: Person
    claimed_nationality: str
    host_country: str
    related: Related
    requested_at: datetime
    protection_need: bool = False


@dataclass(frozen=True, kw_only=True)
class DecideVerification(Command):
    verification_id: UUID
    decision: Decision
    reason: str | None = None
