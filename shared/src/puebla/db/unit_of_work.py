"""The unit of work: state, outbox events, audit entries and the inbox row in one transaction.

Only the unit of work commits. A use case that raises before `commit()` leaves nothing behind:
no state, no event, no audit entry — the session is rolled back on exit.

Services subclass `UnitOfWork`, add their repositories in `_start()`, write what changed in
`_flush()`, and override `_collect_events()` — usually one call of `drain` — to audit and
translate the new events of the aggregates they touched (the translation lives in the
service's `adapters/integration.py`).

Who acts is given once, when the unit of work is made (`actor=`: the verified caller, or for a
consumer the name of whoever decided upstream): every audit entry of the transaction names
them, so no use case writes the actor by hand.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.auth.principal import Principal
from puebla.clock import Clock, utcnow
from puebla.contracts.envelope import make_envelope
from puebla.db import audit as audit_trail
from puebla.db import idempotency
from puebla.db.audit import AuditRecord
from puebla.db.driver import driver_connection
from puebla.ids import new_id
from puebla.observability import inject_traceparent

OUTBOX_CHANNEL = "puebla_outbox"


_OUTBOX_COLUMNS = ("id", "aggregatetype", "aggregateid", "type", "payload", "headers", "created_at")
# Arrays in, one row per element (`unnest`, in order): the outbox rows, the audit rows and their
# queue entries, and the NOTIFY — delivered by PostgreSQL only if the transaction commits — when
# there are events. Data-modifying CTEs always run, whatever the final SELECT reads.
_WRITE_TRAIL = f"""
WITH events AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, headers, created_at)
    SELECT id, aggregatetype, aggregateid, type, payload::jsonb, headers::jsonb, created_at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::timestamptz[]) WITH ORDINALITY
        AS e(id, aggregatetype, aggregateid, type, payload, headers, created_at, n)
    ORDER BY n
), entries AS (
    INSERT INTO audit (id, at, actor, action, entity_type, entity_id, detail, correlation_id,
                       prev_hash, hash)
    SELECT id, at, actor, action, entity_type, entity_id, detail::jsonb, correlation_id,
           prev_hash, hash
    FROM unnest($8::uuid[], $9::timestamptz[], $10::text[], $11::text[], $12::text[],
                $13::text[], $14::text[], $15::text[], $16::text[], $17::text[]) WITH ORDINALITY
        AS a(id, at, actor, action, entity_type, entity_id, detail, correlation_id, prev_hash,
             hash, n)
    ORDER BY n
    RETURNING seq
), queued AS (
    INSERT INTO audit_pending (seq) SELECT seq FROM entries
)
SELECT pg_notify('{OUTBOX_CHANNEL}', '') WHERE cardinality($1::uuid[]) > 0
"""


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as one list per column: what `unnest` takes (an empty list for each when none)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


async def write_trail(
    session: AsyncSession, *, outbox: list[tuple[Any, ...]], entries: list[tuple[Any, ...]]
) -> None:
    """Outbox rows (`_OUTBOX_COLUMNS`) and audit rows (`puebla.db.audit.rows`) in `session`'s
    transaction, with the relay's wake-up if there are events: one statement (`_WRITE_TRAIL`)."""
    driver = await driver_connection(session)
    await driver.execute(
        _WRITE_TRAIL,
        *_columns(outbox, len(_OUTBOX_COLUMNS)),
        *_columns(entries, len(audit_trail.COLUMNS)),
    )


# On the driver (`puebla.db.driver`): every event of every consumer sends it first.
_CLAIM_INBOX = (
    "INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
)


class AlreadyApplied(Exception):
    """The inbox already holds this (consumer, event id): the effect was applied before."""


@dataclass(frozen=True)
class OutgoingEvent:
    """A contract event ready for the outbox: type (= subject), aggregate, data, access label."""

    event_type: str
    aggregate_type: str
    aggregate_id: str
    data: BaseModel | dict[str, Any]
    access: Sequence[str]


@dataclass(frozen=True)
class Tracking:
    """Which consumer is applying which event: becomes the inbox row."""

    consumer: str
    event_id: uuid.UUID
    event_type: str


# The verified caller of a request, or the name of who decided upstream (a consumer).
Actor = Principal | str


class HasEvents(Protocol):
    @property
    def events(self) -> list[Any]: ...


def audit_action(aggregate_type: str, event: object) -> str:
    """The one naming rule of audit actions, in every service: the aggregate type, a dot, and
    the event's class name in snake case without a leading repeat of the aggregate's (last)
    word — `manifest.returnee_added` (`ReturneeAdded`), `manifest.submitted`
    (`ManifestSubmitted`), `child_case.opened` (`CaseOpened`), `application.approved`."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(event).__name__).lower()
    repeated = aggregate_type.rsplit("_", 1)[-1] + "_"
    if name.startswith(repeated) and len(name) > len(repeated):
        name = name[len(repeated) :]
    return f"{aggregate_type}.{name}"


class ActingFor:
    """Who a unit of work acts for (`actor`): the verified caller, or the name of whoever
    decided upstream. The real unit of work and the handler tests' fakes share it."""

    actor: Actor

    @property
    def actor_name(self) -> str:
        """What the audit trail names: the caller's username, or the upstream decider."""
        return self.actor.username if isinstance(self.actor, Principal) else self.actor

    @property
    def principal(self) -> Principal:
        """The verified caller (a use case that decides access needs one)."""
        if not isinstance(self.actor, Principal):
            raise TypeError(f"this unit of work acts for {self.actor!r}, not a signed-in caller")
        return self.actor


class UnitOfWork(ActingFor):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        source: str,
        actor: Actor,
        clock: Clock = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self.source = source
        self.clock = clock
        self.actor = actor
        self._tracking: Tracking | None = None
        self._session: AsyncSession | None = None
        self._events: list[OutgoingEvent] = []
        self._audit: list[AuditRecord] = []
        self._depth = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    def track(self, tracking: Tracking) -> None:
        """Marks this unit of work as applying an incoming event (set before entering)."""
        self._tracking = tracking

    async def __aenter__(self) -> Self:
        # Re-entrant: a consumer may open the unit of work and pass it to a handler that
        # opens it again; only the outermost exit closes it.
        self._depth += 1
        if self._depth > 1:
            return self
        self._session = self._session_factory()
        self._events = []
        self._audit = []
        try:
            await self._start()
            if self._tracking is not None:
                await self._claim_inbox(self._tracking)
        except BaseException:
            # __aexit__ does not run when __aenter__ raises: close the session here.
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        session, self._session = self._session, None
        if session is not None:
            await session.rollback()  # no-op after a commit; undoes everything otherwise
            await session.close()

    async def _start(self) -> None:
        """Hook: create repositories bound to `self.session`."""

    async def _flush(self) -> None:
        """Hook: write every new or changed aggregate (a stale version raises here, before
        the outbox and the audit trail are written)."""

    def _collect_events(self) -> list[OutgoingEvent]:
        """Hook: translate the new domain events of the aggregates this unit of work saw."""
        return []

    def drain(
        self,
        aggregates: Iterable[HasEvents],
        *,
        translate: Callable[[Any], OutgoingEvent | Sequence[OutgoingEvent] | None],
        audit: Callable[[Any, str], AuditRecord],
    ) -> list[OutgoingEvent]:
        """Every new event of `aggregates`, once: recorded in the audit trail
        (`audit(event, actor_name)`, its action named by `audit_action`) and published as
        the contract events `translate` gives for it (none, one, or several: a child case's
        opening is also its consular notice); then the aggregates' events are cleared (a
        second commit of the same unit of work does not repeat them)."""
        out: list[OutgoingEvent] = []
        for aggregate in aggregates:
            for event in aggregate.events:
                contracted = translate(event)
                if isinstance(contracted, OutgoingEvent):
                    out.append(contracted)
                elif contracted is not None:
                    out.extend(contracted)
                self.record(audit(event, self.actor_name))
            aggregate.events.clear()
        return out

    # -- what a use case adds ------------------------------------------------------------------

    def publish(self, event: OutgoingEvent) -> None:
        self._events.append(event)

    def record(self, entry: AuditRecord) -> None:
        self._audit.append(entry)

    # -- commit --------------------------------------------------------------------------------

    async def commit(self) -> None:
        session = self.session
        await self._flush()
        events = [*self._collect_events(), *self._events]
        now = self.clock()
        correlation_id = structlog.contextvars.get_contextvars().get("correlation_id")
        # A request's Idempotency-Key is taken in the transaction of its effect: a concurrent
        # request with the same key fails here and is rolled back.
        claim = await idempotency.take_in(session)
        if events or self._audit:
            await self._write_trail(session, events, now, correlation_id)
        await session.commit()
        if claim is not None:
            claim.committed = True
        self._events = []
        self._audit = []

    async def _write_trail(
        self,
        session: AsyncSession,
        events: list[OutgoingEvent],
        now: Any,
        correlation_id: str | None,
    ) -> None:
        """The outbox rows of `events`, the audit entries with their place in the log's queue
        (no lock: the worker's sealer orders them, `puebla.transparency.log`), and the relay's
        wake-up: one statement, one round trip, on the driver (`puebla.db.driver`): the
        hand-over's hot path spent more in SQLAlchemy's three statements than in the writes."""
        await write_trail(
            session,
            outbox=self._outbox_rows(events, now, correlation_id),
            entries=audit_trail.rows(self._audit, at=now, correlation_id=correlation_id),
        )

    def _outbox_rows(
        self, events: list[OutgoingEvent], now: Any, correlation_id: str | None
    ) -> list[tuple[Any, ...]]:
        """The outbox rows of `events` (`_OUTBOX_COLUMNS`), each the whole envelope."""
        # The trace context of the request that caused the events, captured now: the relay
        # publishes later, from another task, and must continue this trace, not its own.
        headers = json.dumps(inject_traceparent()) if events else "{}"
        causation = str(self._tracking.event_id) if self._tracking else None
        rows = []
        for event in events:
            data = (
                event.data.model_dump(mode="json")
                if isinstance(event.data, BaseModel)
                else event.data
            )
            envelope = make_envelope(
                event_id=new_id(),
                event_type=event.event_type,
                source=self.source,
                subject=event.aggregate_id,
                time=now,
                access=list(event.access),
                data=data,
                correlation_id=correlation_id,
                causation_id=causation,
            )
            rows.append(
                (
                    envelope.id,
                    event.aggregate_type,
                    event.aggregate_id,
                    event.event_type,
                    envelope.model_dump_json(),
                    headers,
                    now,
                )
            )
        return rows

    async def _claim_inbox(self, tracking: Tracking) -> None:
        # First statement of the transaction: a concurrent duplicate delivery waits here on
        # our uncommitted row and then finds it, instead of applying the effect twice.
        driver = await driver_connection(self.session)
        inserted = await driver.fetchval(
            _CLAIM_INBOX, tracking.consumer, tracking.event_id, tracking.event_type
        )
        if inserted is None:
            raise AlreadyApplied(f"{tracking.consumer} already applied {tracking.event_id}")


async def record_rejected(
    session_factory: async_sessionmaker[AsyncSession], tracking: Tracking, reason: str
) -> bool:
    """Records in the inbox that an event was refused for good (a business rule), so that a
    redelivery is skipped rather than retried. Returns False if it was already recorded."""
    async with session_factory() as session:
        result = await session.execute(
            text(
                "INSERT INTO inbox (consumer, event_id, type, outcome) VALUES (:c, :e, :t, :o)"
                " ON CONFLICT DO NOTHING RETURNING event_id"
            ),
            {
                "c": tracking.consumer,
                "e": tracking.event_id,
                "t": tracking.event_type,
                "o": f"rejected: {reason}"[:500],
            },
        )
        await session.commit()
        return result.first() is not None
