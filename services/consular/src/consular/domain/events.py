"""Domain events, past tense. Aggregates append them to their `events`; the unit of work turns
the ones that leave the service into contract events (`adapters/integration.py`) and writes all
of them to the audit trail.

They carry ids, states and times, not personal data: a consumer that needs the person reads the
record. Every event carries the aggregate's `version` after the change, so consumers can drop
stale updates.

`NotificationSuppressed` is for the reporting side and the audit only: it must never reach a
stream the person's country can read. Only `NotificationCreated` and `NotificationReleased`
start a delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from consular.domain.rules import NotificationKind, SuppressionReason
from consular.domain.states import Channel, ConsularActionKind, Deadline, WithdrawalReason
from consular.domain.values import Related


@dataclass(frozen=True, kw_only=True)
class Event:
    pass


@dataclass(frozen=True, kw_only=True)
class NotificationCreated(Event):
    """A notification that must be sent now: deliver it on every channel."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    consular_post: str
    related: Related | None
    occurred_at: datetime
    due_at: datetime
    ack_due_at: datetime
    do_not_act: bool
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationSuppressed(Event):
    """Recorded, never sent. Reporting side and audit only."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    reason: SuppressionReason
    related: Related | None
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationReleased(Event):
    """A blocked child-case notification was allowed by a host supervisor: deliver it now."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    consular_post: str
    related: Related | None
    released_at: datetime
    due_at: datetime
    ack_due_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationUnroutable(Event):
    """No post to send it to: kept for the reporting side and the auditor, routed again when
    the directory has a row. Never leaves the service."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    related: Related | None
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationRouted(Event):
    """An unroutable notification found its post (the directory gained a row): deliver it."""

    notification_id: UUID
    consular_post: str
    routed_at: datetime
    due_at: datetime
    ack_due_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationWithdrawn(Event):
    """Taken back: clocks stopped, undelivered channels cancelled. Audit only: for a protection
    withdrawal the person's country must not learn even that."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    related: Related | None
    reason: WithdrawalReason
    withdrawn_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationRecounted(Event):
    """A manifest notice no longer counts people taken off for a protection need (which
    people is not said: audit only, and the count is all the receiving side ever saw)."""

    notification_id: UUID
    returnee_count: int
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationSent(Event):
    """The first successful delivery on one channel."""

    notification_id: UUID
    channel: Channel
    sent_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class DeliveryFailed(Event):
    notification_id: UUID
    channel: Channel
    attempts: int
    error: str
    failed_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationAcknowledged(Event):
    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    consular_post: str
    related: Related | None
    acknowledged_by: str
    acknowledged_at: datetime
    overdue: bool  # a deadline had been missed before the acknowledgment
    version: int


@dataclass(frozen=True, kw_only=True)
class NotificationOverdue(Event):
    """Emitted once per notification: the first deadline found missed (`missed`, `due_at`)."""

    notification_id: UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    consular_post: str
    related: Related | None
    missed: Deadline
    due_at: datetime
    detected_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class ConsularActionRecorded(Event):
    """No notes: the consulate's free text stays on the record, out of the audit trail."""

    notification_id: UUID
    action: ConsularActionKind
    by: str
    at: datetime
    recorded_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class VerificationRequested(Event):
    verification_id: UUID
    claimed_nationality: str
    host_country: str
    related: Related
    requested_at: datetime
    version: int


@dataclass(frozen=True, kw_only=True)
class NationalityConfirmed(Event):
    verification_id: UUID
    related: Related  # service, id (manifest or case), returnee_id
    claimed_nationality: str
    decided_by: str
    decided_at: datetime
    reason: str | None
    version: int


@dataclass(frozen=True, kw_only=True)
class NationalityRejected(Event):
    verification_id: UUID
    related: Related
    claimed_nationality: str
    decided_by: str
    decided_at: datetime
    reason: str
    version: int


@dataclass(frozen=True, kw_only=True)
class VerificationWithdrawn(Event):
    verification_id: UUID
    claimed_nationality: str
    host_country: str
    related: Related
    reason: WithdrawalReason
    withdrawn_at: datetime
    version: int
