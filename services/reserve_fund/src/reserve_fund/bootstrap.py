"""Composition root of the reserve_fund service: the unit of work, bus and queries of a
process; what its worker consumes is wired in `entrypoints.consumers`."""

from __future__ import annotations

from dataclasses import dataclass

from puebla.clock import Clock, utcnow
from puebla.runtime import Runtime
from reserve_fund.service_layer.messagebus import MessageBus
from reserve_fund.service_layer.queries import FundQueries
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


@dataclass(frozen=True)
class Fund:
    """What the API needs: commands go to `bus`, reads to `queries`."""

    bus: MessageBus
    queries: FundQueries


def unit_of_work(runtime: Runtime, clock: Clock = utcnow) -> FundUnitOfWork:
    return FundUnitOfWork(runtime.sessions, source=runtime.definition.source, clock=clock)


def build(runtime: Runtime, clock: Clock = utcnow) -> Fund:
    def new_uow() -> FundUnitOfWork:
        return unit_of_work(runtime, clock)

    return Fund(bus=MessageBus(new_uow), queries=FundQueries(runtime.sessions))
