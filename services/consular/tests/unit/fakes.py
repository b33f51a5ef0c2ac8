"""An in-memory consular unit of work for the handler tests: the repositories' methods the
handlers use, over dictionaries; `committed` says whether the use case committed. No
PostgreSQL, no Keycloak: the actor is a `Principal` built here (or a consumer's name)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from types import TracebackType
from typing import Any

from consular.domain import seed
from consular.domain.model import NationalityVerification, Notification
from consular.domain.reference import ReferenceData
from consular.domain.rules import NotificationKind
from consular.domain.states import Channel, NotificationStatus, WithdrawalReason
from consular.domain.values import Place
from puebla.auth.principal import Principal
from puebla.clock import FrozenClock
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import ActingFor, Actor, OutgoingEvent, Tracking


def principal(username: str, *roles: str, country: str | None = None) -> Principal:
    return Principal(
        subject=f"sub-{username}", username=username, roles=frozenset(roles), country=country
    )


class FakeNotifications:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, Notification] = {}
        self.access: dict[uuid.UUID, list[str]] = {}
        self.reported_by: dict[uuid.UUID, str | None] = {}
        self.retry: dict[tuple[uuid.UUID, Channel], datetime] = {}

    def add(
        self, notification: Notification, *, access: Any, reported_by: str | None = None
    ) -> None:
        self.stored[notification.id] = notification
        self.access[notification.id] = sorted(set(access))
        self.reported_by[notification.id] = reported_by

    async def peek(self, notification_id: uuid.UUID) -> Notification | None:
        return self.stored.get(notification_id)

    async def get(
        self, notification_id: uuid.UUID, *, for_update: bool = False
    ) -> Notification | None:
        return self.stored.get(notification_id)

    async def by_source_key(
        self, source_key: str, *, for_update: bool = False
    ) -> Notification | None:
        return next((n for n in self.stored.values() if n.source_key == source_key), None)

    async def has_key(self, source_key: str) -> bool:
        return any(n.source_key == source_key for n in self.stored.values())

    async def for_related(
        self, service: str, related_id: str, kind: NotificationKind, *, for_update: bool = False
    ) -> list[Notification]:
        return [
            n
            for n in self.stored.values()
            if n.related is not None
            and (n.related.service, n.related.id, n.kind) == (service, related_id, kind)
        ]

    async def about_child_case(
        self, case_id: str, *, for_update: bool = False
    ) -> list[Notification]:
        return [n for n in self.stored.values() if n.child_case_id == case_id]

    async def clock_running_past(
        self, now: datetime, *, after: uuid.UUID | None, limit: int
    ) -> list[Notification]:
        due = sorted(
            (
                n
                for n in self.stored.values()
                if n.status is NotificationStatus.PENDING
                and not n.escalated
                and n.missed_deadline(now) is not None
                and (after is None or n.id > after)
            ),
            key=lambda n: n.id,
        )
        return due[:limit]

    def relabel(self, notification_id: uuid.UUID, access: Any) -> None:
        self.access[notification_id] = sorted(set(access))

    def access_of(self, notification_id: uuid.UUID) -> list[str]:
        return self.access.get(notification_id, [])

    def retry_at(self, notification_id: uuid.UUID, channel: Channel, when: datetime) -> None:
        self.retry[(notification_id, channel)] = when


class FakeVerifications:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, NationalityVerification] = {}
        self.access: dict[uuid.UUID, list[str]] = {}

    def add(self, verification: NationalityVerification, *, access: Any) -> None:
        self.stored[verification.id] = verification
        self.access[verification.id] = sorted(set(access))

    def relabel(self, verification_id: uuid.UUID, access: Any) -> None:
        self.access[verification_id] = sorted(set(access))

    async def peek(self, verification_id: uuid.UUID) -> NationalityVerification | None:
        return self.stored.get(verification_id)

    async def get(
        self, verification_id: uuid.UUID, *, for_update: bool = False
    ) -> NationalityVerification | None:
        return self.stored.get(verification_id)

    async def by_source_key(
        self, source_key: str, *, for_update: bool = False
    ) -> NationalityVerification | None:
        return next((v for v in self.stored.values() if v.source_key == source_key), None)

    async def existing(self, source_keys: Collection[str]) -> set[str]:
        return {v.source_key for v in self.stored.values()} & set(source_keys)

    async def for_related(
        self, service: str, related_id: str, *, for_update: bool = False
    ) -> list[NationalityVerification]:
        return [
            v
            for v in self.stored.values()
            if (v.related.service, v.related.id) == (service, related_id)
        ]


class FakeWithdrawals:
    def __init__(self) -> None:
        self.stored: dict[str, tuple[WithdrawalReason, int]] = {}
        self.blocks: dict[str, tuple[bool, int]] = {}

    async def reason(self, source_key: str) -> WithdrawalReason | None:
        found = self.stored.get(source_key)
        return found[0] if found else None

    async def under(self, prefix: str) -> dict[str, tuple[WithdrawalReason, int]]:
        return {k: v for k, v in self.stored.items() if k.startswith(prefix)}

    async def record(
        self, source_key: str, reason: WithdrawalReason, version: int, at: datetime
    ) -> WithdrawalReason:
        earlier = self.stored.get(source_key)
        if earlier is not None and WithdrawalReason.PROTECTION in (earlier[0], reason):
            reason = WithdrawalReason.PROTECTION
        self.stored[source_key] = (reason, max(version, earlier[1] if earlier else version))
        return reason

    async def serialize_on(self, key: str) -> None:
        return None

    async def record_block(
        self, source_key: str, *, blocked: bool, version: int, at: datetime
    ) -> bool:
        earlier = self.blocks.get(source_key)
        if earlier is None or version >= earlier[1]:
            self.blocks[source_key] = (blocked, version)
            if blocked:
                self.stored[source_key] = (WithdrawalReason.PROTECTION, version)
            else:
                self.stored.pop(source_key, None)
        return self.blocks[source_key][0]


class FakeReference:
    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference

    async def load(self) -> ReferenceData:
        return self.reference

    async def departure(self, reception_point: str, sending_country: str, on: date) -> Place:
        return Place(sending_country)


class FakeConsularUnitOfWork(ActingFor):
    """What `ConsularUnitOfWork` offers the handlers, in memory. Enter and commit as often
    as the handlers do; `committed` counts the commits, `audit` and `published` what they
    would have written."""

    def __init__(self, actor: Actor, clock: FrozenClock, reference: ReferenceData | None = None):
        self.actor = actor
        self.clock = clock
        self.notifications = FakeNotifications()
        self.verifications = FakeVerifications()
        self.withdrawals = FakeWithdrawals()
        self.reference = FakeReference(reference or seed.reference_data())
        self.committed = 0
        self.tracking: Tracking | None = None
        self.audit: list[AuditRecord] = []
        self.published: list[OutgoingEvent] = []

    def track(self, tracking: Tracking) -> None:
        self.tracking = tracking

    async def __aenter__(self) -> FakeConsularUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def record(self, entry: AuditRecord) -> None:
        self.audit.append(entry)

    def publish(self, event: OutgoingEvent) -> None:
        self.published.append(event)

    async def commit(self) -> None:
        self.committed += 1
