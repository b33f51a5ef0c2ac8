"""The consular unit of work: repositories, then state + outbox + audit in one transaction.

On commit it saves every aggregate the repositories saw (insert or versioned update: a stale
version is `ConcurrentChange`, before anything else is written), writes each new domain event
to the audit trail as the unit of work's actor (`drain`), and hands the events that leave the
service to the outbox through `adapters.integration.translate`, with the record's own access
label.
"""

from __future__ import annotations

from consular.adapters import integration
from consular.adapters.repository import (
    NotificationRepository,
    ReferenceRepository,
    VerificationRepository,
    WithdrawalRepository,
)
from consular.domain.model import NationalityVerification, Notification
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork


class ConsularUnitOfWork(UnitOfWork):
    notifications: NotificationRepository
    verifications: VerificationRepository
    reference: ReferenceRepository
    withdrawals: WithdrawalRepository

    async def _start(self) -> None:
        self.notifications = NotificationRepository(self.session)
        self.verifications = VerificationRepository(self.session)
        self.reference = ReferenceRepository(self.session)
        self.withdrawals = WithdrawalRepository(self.session)

    async def _flush(self) -> None:
        await self.notifications.flush()
        await self.verifications.flush()

    def _collect_events(self) -> list[OutgoingEvent]:
        outgoing: list[OutgoingEvent] = []
        for notification in self.notifications.seen:
            outgoing += self._drain_one(notification, self.notifications.access_of(notification.id))
        for verification in self.verifications.seen:
            outgoing += self._drain_one(verification, None)
        return outgoing

    def _drain_one(
        self, aggregate: Notification | NationalityVerification, label: list[str] | None
    ) -> list[OutgoingEvent]:
        # One aggregate at a time: its contract events carry its own label.
        return self.drain(
            [aggregate],
            translate=lambda event: integration.translate(event, aggregate, label),
            audit=lambda event, actor: integration.audit_record(aggregate, event, actor),
        )
