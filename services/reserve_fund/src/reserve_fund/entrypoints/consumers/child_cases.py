"""The CHILD stream: what the Fund keeps of child cases, to check an application's
`child_case_id` and to hide it from the child's own state while the case is blocked — without
ever calling child protection.

One durable consumer per event type; each event is read with the producer's contract, leniently
(`adapters.integration`: `puebla.contracts.lenient.read_lenient`), and applied in a unit of
work that records it in the inbox, so a redelivery changes nothing. The unit of work acts for
the event's source (child protection decided it; nothing the Fund audits comes of it). A payload
that does not fit the contract is refused for good (recorded as rejected), not retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import Tracking
from puebla.messaging.consumer import Handler, Subscription
from reserve_fund.adapters import integration
from reserve_fund.bootstrap import Fund
from reserve_fund.service_layer import handlers

STREAM = "CHILD"

READERS: dict[str, tuple[str, Callable[[IncomingEnvelope], Any]]] = {
    integration.CHILD_CASE_OPENED: (
        "reserve-fund-child-case-opened",
        integration.child_case_opened,
    ),
    integration.CHILD_CASE_DETERMINED: (
        "reserve-fund-child-case-determined",
        integration.child_case_determined,
    ),
    integration.CHILD_CASE_BLOCK_SET: (
        "reserve-fund-child-block-set",
        integration.child_case_block_set,
    ),
    integration.CHILD_CASE_BLOCK_CLEARED: (
        "reserve-fund-child-block-cleared",
        integration.child_case_block_cleared,
    ),
    integration.CHILD_CASE_CLOSED: (
        "reserve-fund-child-case-closed",
        integration.child_case_closed,
    ),
}


def _handler(fund: Fund, read: Callable[[IncomingEnvelope], Any]) -> Handler:
    async def consume(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        command = read(envelope)
        uow = fund.uow(actor=envelope.source)
        uow.track(tracking)
        await handlers.record_child_case(command, uow)

    return consume


def subscriptions(fund: Fund) -> list[Subscription]:
    return [
        Subscription(
            durable=durable,
            stream=STREAM,
            subjects=[subject],
            handle=_handler(fund, read),
            permanent_errors=(ValidationError,),
        )
        for subject, (durable, read) in READERS.items()
    ]
