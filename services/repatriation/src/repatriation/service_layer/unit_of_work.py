"""The manifest unit of work: manifests, their outbox events and audit entries, one commit.

Made for whoever acts (`Repatriation.uow(actor=...)`: the verified caller, or the consul who
decided upstream), who every audit entry of the transaction names."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType

from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from repatriation.adapters import integration
from repatriation.adapters.repository import Scope, SqlManifestRepository


class ManifestUnitOfWork(UnitOfWork):
    manifests: SqlManifestRepository
    scopes_read: Mapping[uuid.UUID, Scope] = MappingProxyType({})  # Repatriation.uow's

    async def _start(self) -> None:
        self.manifests = SqlManifestRepository(self.session, scopes_read=self.scopes_read)

    async def _flush(self) -> None:
        # State first (a stale version raises here, before anything else is written), then
        # the outbox and the audit trail, all in the transaction `UnitOfWork.commit` ends.
        await self.manifests.flush()

    def _collect_events(self) -> list[OutgoingEvent]:
        return self.drain(
            self.manifests.seen, translate=integration.outgoing, audit=integration.audit_record
        )
