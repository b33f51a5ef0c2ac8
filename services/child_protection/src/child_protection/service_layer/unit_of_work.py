"""The unit of work of a child case: the case row, its encrypted sections, outbox events and
audit entries, committed together or not at all.

Made for whoever acts (`ChildProtection.uow(actor=...)`: the verified caller, or "system" for
the deadline scheduler and key rotation), who every audit entry of the transaction names; the
handlers hand the same caller to the aggregate as the domain's `Actor` (`case_actor`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from child_protection.adapters import integration
from child_protection.adapters.crypto import KeyRing
from child_protection.adapters.repository import SqlCaseRepository, SqlReferenceData
from child_protection.domain import Actor as CaseActor
from child_protection.domain import ChildCase
from child_protection.service_layer.access import actor_of
from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import Actor, OutgoingEvent, UnitOfWork


class CaseUnitOfWork(UnitOfWork):
    cases: SqlCaseRepository
    reference: SqlReferenceData

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        source: str,
        actor: Actor,
        keyring: KeyRing,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(session_factory, source=source, actor=actor, clock=clock)
        self.keyring = keyring

    @property
    def case_actor(self) -> CaseActor:
        """The verified caller as the domain decides on it: username, roles, country."""
        return actor_of(self.principal)

    async def _start(self) -> None:
        self.cases = SqlCaseRepository(self.session, self.keyring)
        self.reference = SqlReferenceData(self.session)

    async def _flush(self) -> None:
        # State first (a stale version raises here, before anything else is written), then
        # the outbox and the audit trail, all in the transaction `UnitOfWork.commit` ends.
        await self.cases.flush()

    def _collect_events(self) -> list[OutgoingEvent]:
        outgoing: list[OutgoingEvent] = []
        for case in self.cases.seen:
            outgoing += self._drain_one(case)
        return outgoing

    def _drain_one(self, case: ChildCase) -> list[OutgoingEvent]:
        # One case at a time: its contract events carry the case's own countries.
        return self.drain(
            [case],
            translate=lambda event: integration.outgoing(event, case),
            audit=lambda event, actor: integration.audit_record(event, case, actor),
        )
