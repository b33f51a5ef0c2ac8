"""Composition root of the reserve_fund service: the `Fund` service object.

The API (`entrypoints.api.app`) and the worker (`entrypoints.worker`) each build one from the
process's runtime; a use case gets a fresh unit of work from it for whoever acts —
`fund.uow(actor=caller)` — and reads go through `service_layer.queries` with it. Tests hand in
their own clock: `Fund(runtime, clock=FrozenClock(...))`.
"""

from __future__ import annotations

from puebla.db.unit_of_work import Actor
from puebla.service import Service
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


class Fund(Service[FundUnitOfWork]):
    def uow(self, actor: Actor) -> FundUnitOfWork:
        return FundUnitOfWork(self.sessions, source=self.source, actor=actor, clock=self.clock)
