"""The idempotent consumer runner.

Per message: parse the envelope → the service's handler applies the effect in a unit of work
whose first statement claims the event in the inbox (a duplicate stops there) → commit →
`ack_sync`. Transient failures are `nak`ed with a growing delay; a message that cannot be
parsed, or that still fails after `max_deliver` attempts, is parked on the dead-letter
stream with the reason and terminated, so the stream behind it keeps flowing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import AlreadyApplied, Tracking, record_rejected
from puebla.messaging.permissions import publisher_of
from puebla.observability import consume_span, get_logger, metrics
from puebla.stopping import sleep_or_stop

log = get_logger(__name__)

Handler = Callable[[IncomingEnvelope, Tracking], Awaitable[None]]

DEADLETTER_PREFIX = "deadletter"


@dataclass
class Subscription:
    """One durable pull consumer: `durable` names it, e.g. `consular-manifest-submitted`.
    One filter subject per durable: the bus permissions grant the durable with exactly that
    filter (permissions.DURABLES), so a service cannot widen what it reads."""

    durable: str
    stream: str
    subjects: list[str]
    handle: Handler
    # Business refusals: recorded in the inbox as rejected and acked, never retried.
    permanent_errors: tuple[type[BaseException], ...] = ()
    max_deliver: int = 8
    ack_wait: float = 30.0
    batch: int = 20
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL
    backoff_base: float = 0.5
    # Which service may publish a subject (the bus permissions' table; tests name their own).
    publisher: Callable[[str], str | None] = publisher_of

    def __post_init__(self) -> None:
        if len(self.subjects) != 1:
            raise ValueError(f"{self.durable}: one filter subject per durable, not {self.subjects}")

    def config(self) -> ConsumerConfig:
        # `name` and one `filter_subject` make nats-py create it through
        # $JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>, the subject the permission names.
        return ConsumerConfig(
            name=self.durable,
            durable_name=self.durable,
            deliver_policy=self.deliver_policy,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            # One more than our own limit: we park the message ourselves on the last try, so
            # the server never silently stops redelivering something we have not parked.
            max_deliver=self.max_deliver + 1,
            filter_subject=self.subjects[0],
            max_ack_pending=1000,
        )


class ConsumerRunner:
    def __init__(
        self,
        js: JetStreamContext,
        session_factory: async_sessionmaker[AsyncSession],
        subscription: Subscription,
        *,
        fetch_timeout: float = 2.0,
        service: str = "",
    ) -> None:
        self._js = js
        self.service = service
        self._sessions = session_factory
        self.sub = subscription
        self.fetch_timeout = fetch_timeout

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._js.add_consumer(self.sub.stream, self.sub.config())
                psub = await self._js.pull_subscribe_bind(
                    durable=self.sub.durable, stream=self.sub.stream
                )
            except Exception as exc:  # broker away: retry binding
                log.warning("consumer.bind_failed", consumer=self.sub.durable, error=str(exc))
                await sleep_or_stop(stop, 1.0)
                continue
            try:
                await self._loop(psub, stop)
            finally:
                with contextlib.suppress(Exception):
                    await psub.unsubscribe()

    async def _loop(self, psub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                msgs = await psub.fetch(self.sub.batch, timeout=self.fetch_timeout)
            except (NatsTimeoutError, TimeoutError):
                continue  # no work (nats-py raises instead of returning [])
            except Exception as exc:
                failures += 1
                log.warning("consumer.fetch_failed", consumer=self.sub.durable, error=str(exc))
                if failures >= 5:
                    return  # re-bind: the pull request may have died with a server
                await sleep_or_stop(stop, 0.5)
                continue
            failures = 0
            for msg in msgs:
                await self.process(msg)

    async def process(self, msg: Msg) -> str:
        """Handles one message; returns what happened (for logs, tests and the
        `puebla_consumer_messages_total` counter)."""
        outcome = await self._process(msg)
        metrics.CONSUMED.labels(self.service, self.sub.durable, outcome).inc()
        return outcome

    async def _process(self, msg: Msg) -> str:
        deliveries = msg.metadata.num_delivered
        try:
            envelope = IncomingEnvelope.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._park(msg, f"unparseable envelope: {exc.error_count()} error(s)")
            return "parked"
        forged = _forgery(msg.subject, envelope, self.sub.publisher(msg.subject))
        if forged is not None:
            await self._park(msg, forged)
            return "parked"
        tracking = Tracking(self.sub.durable, envelope.id, envelope.type)
        structlog.contextvars.bind_contextvars(
            event_id=str(envelope.id),
            type=envelope.type,
            correlation_id=envelope.correlationid,
        )
        try:
            with consume_span(msg.subject, msg.headers):
                # No look at the inbox first: the handler's unit of work claims the event as
                # its first statement and finds a duplicate there (one checkout and one round
                # trip fewer on every event; duplicates are the rare case).
                try:
                    await self.sub.handle(envelope, tracking)
                    outcome = "applied"
                except AlreadyApplied:
                    outcome = "duplicate"
                except self.sub.permanent_errors as exc:
                    recorded = await record_rejected(self._sessions, tracking, repr(exc))
                    # Refused before: a redelivery of an event already recorded as refused.
                    outcome = "rejected" if recorded else "duplicate"
            await msg.ack_sync()
            log.info("consumer.done", consumer=self.sub.durable, outcome=outcome)
            return outcome
        except Exception as exc:
            if deliveries >= self.sub.max_deliver:
                await self._park(msg, f"failed {deliveries} times: {type(exc).__name__}: {exc}")
                return "parked"
            delay = self.sub.backoff_base * 2 ** (deliveries - 1)
            log.warning(
                "consumer.retry",
                consumer=self.sub.durable,
                deliveries=deliveries,
                delay=delay,
                error=f"{type(exc).__name__}: {exc}",
            )
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)
            return "retry"
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "type", "correlation_id")

    async def _park(self, msg: Msg, reason: str) -> None:
        headers = {
            "Puebla-Original-Subject": msg.subject,
            "Puebla-Consumer": self.sub.durable,
            "Puebla-Reason": reason[:1000],
            "Puebla-Stream-Sequence": str(msg.metadata.sequence.stream),
        }
        for key, value in (msg.headers or {}).items():
            if key.lower() == "traceparent":
                headers["traceparent"] = value
        await self._js.publish(f"{DEADLETTER_PREFIX}.{self.sub.durable}", msg.data, headers=headers)
        await msg.term()
        log.error("consumer.parked", consumer=self.sub.durable, reason=reason)


def _forgery(subject: str, envelope: IncomingEnvelope, publisher: str | None) -> str | None:
    """Why this message is not what it claims, or None: its `type` is the subject it came on,
    and its `source` the one service allowed to publish there."""
    if envelope.type != subject:
        return f"type {envelope.type!r} arrived on subject {subject!r}"
    if publisher is None or envelope.source != f"puebla/{publisher}":
        return f"source {envelope.source!r} may not publish {subject!r}"
    return None
