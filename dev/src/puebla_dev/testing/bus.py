"""Handing a test's own event to a consumer, on a stream the stack shares.

`make test` runs two pytest sessions side by side on one NATS (`puebla_dev.testing.shards`):
while an in-process test consumes a production subject under a durable of its own, the e2e
session's services publish on the same subject. "The next message" may then be one of
theirs (a consul's decision about a manifest this test's database never had). So a test
fetches until the message that carries its own envelope, and acks the others unread: they
are not for it, and the stack's own durables apply them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

T = TypeVar("T")


def envelope_id(msg: Msg) -> str | None:
    """The `id` of the envelope a message carries; None for anything else."""
    try:
        body: Any = json.loads(msg.data)
    except ValueError:
        return None
    found = body.get("id") if isinstance(body, dict) else None
    return str(found) if found is not None else None


async def process_own(
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    event_id: str,
    process: Callable[[Msg], Awaitable[T]],
    timeout: float = 10.0,
) -> T:
    """Fetches from `durable` until the message whose envelope is `event_id`, acking the
    others, and returns what `process` makes of it."""
    psub = await js.pull_subscribe_bind(durable=durable, stream=stream)
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message with envelope {event_id} on {durable}")
            for msg in await psub.fetch(1, timeout=left):
                if envelope_id(msg) == event_id:
                    return await process(msg)
                await msg.ack()
    finally:
        await psub.unsubscribe()
