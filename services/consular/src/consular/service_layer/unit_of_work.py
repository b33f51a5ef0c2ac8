"""The consular unit of work: repositories, then state + outbox + audit in one transaction.

On commit it saves every aggregate the repositories saw (insert or optimistic update), writes
each new domain event to the audit trail (as `actor`), and hands the events that leave the
service to the outbox through `adapters.integration.translate`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from consular.adapters import integration
from consular.adapters.repository import (
    NotificationRepository,
    ReferenceRepository,
    VerificationRepository,
    WithdrawalRepository,
)
from consular.domain.events import Event
from consular.domain.model import NationalityVerification, Notification
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork


def audit_action(event: Event) -> str:
    """`NotificationCreated` → `notification.created`, `ConsularActionRecorded` →
    `consular_action.recorded`."""
    words: list[str] = re.findall(r"[A-Z][a-z]*", type(event).__name__)
    return "_".join(w.lower() for w in words[:-1]) + "." + words[-1].lower()


def _audit_detail(event: Event) -> dict[str, Any]:
    # Domain events carry ids, states and times, no personal data: the whole event is the detail.
    return dataclasses.asdict(event)


class ConsularUnitOfWork(UnitOfWork):
    notifications: NotificationRepository
    verifications: VerificationRepository
    reference: ReferenceRepository
    withdrawals: WithdrawalRepository
    # Who the audit trail names for what this unit of work changes: a username, or the
    # consumer / scheduler / mailer acting on its own.
    actor: str = "system"

    async def _start(self) -> None:
        self.notifications = NotificationRepository(self.session)
        self.verifications = VerificationRepository(self.session)
        self.reference = ReferenceRepository(self.session)
        self.withdrawals = WithdrawalRepository(self.session)

    async def commit(self) -> None:
        await self.notifications.flush()
        await self.verifications.flush()
        await super().commit()

    def _collect_events(self) -> list[OutgoingEvent]:
        outgoing: list[OutgoingEvent] = []
        aggregates: list[Notification | NationalityVerification] = [
            *self.notifications.seen,
            *self.verifications.seen,
        ]
        for aggregate in aggregates:
            entity = "notification" if isinstance(aggregate, Notification) else "verification"
            for event in aggregate.events:
                self.record(
                    AuditRecord(
                        self.actor,
                        audit_action(event),
                        entity,
                        str(aggregate.id),
                        _audit_detail(event),
                    )
                )
                label = (
                    self.notifications.access_of(aggregate.id)
                    if isinstance(aggregate, Notification)
                    else None
                )
                outgoing.extend(integration.translate(event, aggregate, label))
            aggregate.events.clear()
        return outgoing
