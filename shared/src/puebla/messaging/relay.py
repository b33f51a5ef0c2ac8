"""The outbox relay: publishes committed outbox rows to JetStream, in order, at least once.

- One relay per service database: a session-level advisory lock elects the leader, so events
  of one aggregate are published in the order they were committed.
- Rows are claimed by status (`published_at IS NULL`) with FOR UPDATE SKIP LOCKED — never by a
  sequence cursor, which can skip a row whose transaction commits late.
- `Nats-Msg-Id` is the event id, so a retry after an unknown outcome (timeout, crash between
  PubAck and marking) is dropped by the stream's duplicate window; past the window, the
  consumers' inboxes drop it.
- NOTIFY wakes the relay early; the poll is the correctness path.
- A batch is published in waves, each the longest run of rows (in commit order) with no
  aggregate twice: a wave's messages go out together and their acknowledgments are awaited
  together (one PubAck round trip a wave, not one a row: the relay cost more CPU per
  hand-over than the bare endpoint's whole request). One connection keeps the send order,
  so the stream holds them in commit order; an aggregate's next event waits for the next
  wave, so a failure never lets it overtake the one that failed.
- The claim, the marking and the commit go to the driver (`puebla.db.driver`): four round
  trips a batch, without SQLAlchemy's work per statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Any

import asyncpg
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from puebla.clock import utcnow
from puebla.db.driver import driver_connection
from puebla.db.unit_of_work import OUTBOX_CHANNEL
from puebla.observability import get_logger, metrics, publish_span
from puebla.stopping import sleep_or_stop

log = get_logger(__name__)

RELAY_LOCK = 0x52454C59  # "RELY"


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        session_factory: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        publish_timeout: float = 5.0,
        retention: timedelta = timedelta(hours=72),
        service: str = "",
    ) -> None:
        self._engine = engine
        self._published = metrics.PUBLISHED.labels(service)
        self._sessions = session_factory
        self._js = js
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.retention = retention
        self._wake = asyncio.Event()
        # Set while this relay holds the leader lock and listens (tests wait on it).
        self.leading = asyncio.Event()

    async def publish_pending(self) -> int:
        """Publishes what is pending now; returns how many rows were published.

        Stops after the first wave with a failure, so that later events of the same aggregate
        never overtake an earlier one; a failed row is retried on the next pass with the same
        id (an unknown outcome is deduplicated by the stream).
        """
        published = 0
        while True:
            async with self._sessions() as session:
                driver = await driver_connection(session)
                rows = await driver.fetch(_CLAIM, self.batch_size)
                if not rows:
                    return published
                done, failures = await self._publish_in_waves(rows)
                if done:
                    await driver.execute(_MARK_PUBLISHED, done)
                for event_id, error in failures:
                    await driver.execute(_MARK_FAILED, event_id, error[:1000])
                await session.commit()
                published += len(done)
                self._published.inc(len(done))
                for event_id, error in failures:
                    log.warning("outbox.publish_failed", event_id=str(event_id), error=error)
                if failures or len(rows) < self.batch_size:
                    return published

    async def _publish_in_waves(self, rows: list[Any]) -> tuple[list[Any], list[tuple[Any, str]]]:
        done: list[Any] = []
        for wave in _waves(rows):
            # Tasks start in list order and each writes its message before it first waits,
            # so the messages leave in commit order.
            outcomes = await asyncio.gather(
                *(self._publish(row) for row in wave), return_exceptions=True
            )
            failures = [
                (row["id"], f"{type(outcome).__name__}: {outcome}")
                for row, outcome in zip(wave, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
            done += [
                row["id"]
                for row, outcome in zip(wave, outcomes, strict=True)
                if not isinstance(outcome, BaseException)
            ]
            if failures:
                return done, failures
        return done, []

    async def _publish(self, row: Any) -> None:
        # The envelope as PostgreSQL keeps it (`jsonb` text): no decoding and re-encoding.
        body = row["payload"].encode()
        stored = json.loads(row["headers"]) if row["headers"] else {}
        headers = {str(k): str(v) for k, v in stored.items()}
        with publish_span(row["type"], headers):
            headers["Nats-Msg-Id"] = str(row["id"])
            await self._js.publish(row["type"], body, timeout=self.publish_timeout, headers=headers)

    async def purge_published(self) -> int:
        """Deletes published rows older than the retention (kept that long for re-sending)."""
        async with self._sessions() as session:
            result = await session.execute(
                text("DELETE FROM outbox WHERE published_at < :before"),
                {"before": utcnow() - self.retention},
            )
            await session.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Runs until `stop` is set: waits for leadership, then publishes on NOTIFY or poll."""
        while not stop.is_set():
            try:
                await self._lead(stop)
            except Exception as exc:
                # Whatever broke (a restarted database surfaces as asyncpg's InterfaceError,
                # not a PostgresError), the relay leads again: a dead relay loses no event but
                # delays every one of them until someone notices.
                log.warning("outbox.relay_connection_lost", error=f"{type(exc).__name__}: {exc}")
                await sleep_or_stop(stop, self.poll_interval)

    async def _lead(self, stop: asyncio.Event) -> None:
        raw = await self._raw_connection()
        try:
            while not stop.is_set():
                if await raw.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                    break
                await sleep_or_stop(stop, self.poll_interval)
            else:
                return
            await raw.add_listener(OUTBOX_CHANNEL, self._on_notify)
            self.leading.set()
            log.info("outbox.relay_leading")
            passes = 0
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.publish_pending()
                except Exception as exc:  # database or broker trouble: retry after a pause
                    log.warning("outbox.relay_pass_failed", error=f"{type(exc).__name__}: {exc}")
                passes += 1
                if passes % 600 == 0:
                    with contextlib.suppress(Exception):
                        await self.purge_published()
                # Notice a dead listener connection (asyncpg does not without traffic).
                await raw.fetchval("SELECT 1")
                await _wait_any(self._wake, stop, timeout=self.poll_interval)
        finally:
            self.leading.clear()
            with contextlib.suppress(Exception):
                await raw.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _raw_connection(self) -> asyncpg.Connection:
        # A dedicated connection (not pooled): it holds the leader lock and the LISTEN.
        url = self._engine.url.set(drivername="postgresql")
        return await asyncpg.connect(url.render_as_string(hide_password=False))


_CLAIM = (
    "SELECT id, aggregatetype, aggregateid, type,"
    " payload::text AS payload, headers::text AS headers"
    " FROM outbox WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1"
    " FOR UPDATE SKIP LOCKED"
)
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])"
_MARK_FAILED = "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1"


def _waves(rows: list[Any]) -> list[list[Any]]:
    """`rows` cut, in order, into runs in which no aggregate appears twice."""
    waves: list[list[Any]] = []
    current: list[Any] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        aggregate = (row["aggregatetype"], row["aggregateid"])
        if aggregate in seen:
            waves.append(current)
            current, seen = [], set()
        current.append(row)
        seen.add(aggregate)
    if current:
        waves.append(current)
    return waves


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
