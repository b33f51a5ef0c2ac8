"""The manifest unit of work: manifests, their outbox events and audit entries, one commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from repatriation.adapters import integration
from repatriation.adapters.repository import SqlManifestRepository


class ManifestUnitOfWork(UnitOfWork):
    manifests: SqlManifestRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        source: str,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(session_factory, source=source, clock=clock)
        # Who the audit entries name: the caller's username, or the upstream decider.
        self.actor = "system"

    async def _start(self) -> None:
        self.manifests = SqlManifestRepository(self.session)

    async def commit(self) -> None:
        # State first (a stale version raises here, before anything else is written), then
        # the outbox and the audit trail, all in the transaction `UnitOfWork.commit` ends.
        await self.manifests.flush()
        await super().commit()

    def _collect_events(self) -> list[OutgoingEvent]:
        out: list[OutgoingEvent] = []
        for manifest in self.manifests.seen:
            for event in manifest.events:
                contracted = integration.outgoing(event)
                if contracted is not None:
                    out.append(contracted)
                self.record(integration.audit_record(event, actor=self.actor_name))
            manifest.events.clear()
        return out
