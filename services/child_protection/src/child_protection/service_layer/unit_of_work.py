"""The unit of work of a child case: the case row, its encrypted sections, outbox events and
audit entries, committed together or not at all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from child_protection.adapters import integration
from child_protection.adapters.crypto import KeyRing
from child_protection.adapters.repository import SqlCaseRepository, SqlReferenceData
from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork


class CaseUnitOfWork(UnitOfWork):
    cases: SqlCaseRepository
    reference: SqlReferenceData

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        source: str,
        keyring: KeyRing,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(session_factory, source=source, clock=clock)
        self.keyring = keyring

    async def _start(self) -> None:
        self.cases = SqlCaseRepository(self.session, self.keyring)
        self.reference = SqlReferenceData(self.session)

    def _collect_events(self) -> list[OutgoingEvent]:
        events: list[OutgoingEvent] = []
        for case in self.cases.seen.values():
            events.extend(integration.translate(case))
            for entry in integration.audit_records(case):
                self.record(entry)
            case.events.clear()
        return events

    async def commit(self) -> None:
        await self.cases.flush()  # state first: a stale version fails before anything else
        await super().commit()
