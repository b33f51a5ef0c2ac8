"""Composition root of the reserve_fund service: the unit of work, bus and queries of a
process, and what its worker consumes (nothing yet: the Fund only publishes)."""

from __future__ import annotations

from dataclasses import dataclass

from puebla.clock import Clock, utcnow
from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime
from reserve_fund.service_layer.messagebus import MessageBus
from reserve_fund.service_layer.queries import FundQueries
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


@dataclass(frozen=True)
class Fund:
    """What the API needs: commands go to `bus`, reads to `queries`."""

    bus: MessageBus
    queries: FundQueries


def build(runtime: Runtime, clock: Clock = utcnow) -> Fund:
    source = runtime.definition.source

    def new_uow() -> FundUnitOfWork:
        return FundUnitOfWork(runtime.sessions, source=source, clock=clock)

    return Fund(bus=MessageBus(new_uow), queries=FundQueries(runtime.sessions))


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return []
