"""What the consular worker consumes: one module per consumer, each with the subscriptions of
its durables (`subscriptions(svc)`); `entrypoints/worker.py` gathers them (`SUBSCRIPTIONS`).

Each event is read with the producer's contract (`adapters.integration`, through the lenient
reader) and handed to its handler in a unit of work made for the consumer (the audit trail
names the durable) and marked with the event's inbox row, so a redelivered or replayed event
changes nothing. A refusal another delivery would not change (a domain rule, a label that does
not cover the record, a payload that breaks the contract) is recorded as rejected and acked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from consular.bootstrap import Consular
from consular.domain.errors import ConsularError
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import Tracking
from puebla.messaging.consumer import Handler, Subscription
from puebla.refusals import Refused

T = TypeVar("T")

# Refusals that another delivery would not change: recorded in the inbox as rejected, acked.
PERMANENT = (ConsularError, Refused, ValidationError)


def subscription(
    svc: Consular,
    durable: str,
    stream: str,
    subject: str,
    read: Callable[[IncomingEnvelope], T],
    handle: Callable[[T, ConsularUnitOfWork], Awaitable[None]],
) -> Subscription:
    """The durable `durable` on `stream`, filtered to `subject`: `read` the event, `handle` it
    in a tracked unit of work acting as the durable."""

    async def consume(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        uow = svc.uow(actor=tracking.consumer)
        uow.track(tracking)
        await handle(read(envelope), uow)

    handler: Handler = consume
    return Subscription(
        durable=durable,
        stream=stream,
        subjects=[subject],
        handle=handler,
        permanent_errors=PERMANENT,
    )
