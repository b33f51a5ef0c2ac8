"""State and the events it causes commit together; the relay publishes exactly what committed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from puebla.messaging.relay import RELAY_LOCK, OutboxRelay
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.waiting import wait_until


class Boom(Exception):
    pass


async def write_note(uow: UnitOfWork, note_id: uuid.UUID, *, then_fail: bool) -> None:
    async with uow:
        await uow.session.execute(
            text("INSERT INTO note (id, text) VALUES (:id, 'hello')"), {"id": note_id}
        )
        uow.publish(
            OutgoingEvent(
                event_type="puebla_test.note.written.v1",
                aggregate_type="note",
                aggregate_id=str(note_id),
                data={"version": 1, "note_id": str(note_id)},
                access=["MX"],
            )
        )
        uow.record(AuditRecord("tester", "note.written", "note", str(note_id)))
        if then_fail:
            raise Boom("the use case fails after writing")
        await uow.commit()


async def count(db: MigratedDatabase, sql: str, **params: object) -> int:
    async with db.sessions() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


class TestUnitOfWork:
    async def test_a_failing_use_case_commits_nothing_and_publishes_nothing(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        relay = OutboxRelay(library_db.engine, library_db.sessions, js)
        await relay.publish_pending()  # drain whatever earlier tests left
        before = (await js.stream_info(test_stream)).state.messages
        note_id = uuid.uuid4()
        uow = UnitOfWork(library_db.sessions, source="puebla/test", actor="test")
        with pytest.raises(Boom):
            await write_note(uow, note_id, then_fail=True)

        assert await count(library_db, "SELECT count(*) FROM note WHERE id = :i", i=note_id) == 0
        assert (
            await count(
                library_db, "SELECT count(*) FROM outbox WHERE aggregateid = :a", a=str(note_id)
            )
            == 0
        )
        assert (
            await count(
                library_db, "SELECT count(*) FROM audit WHERE entity_id = :a", a=str(note_id)
            )
            == 0
        )
        assert await relay.publish_pending() == 0
        assert (await js.stream_info(test_stream)).state.messages == before

    async def test_a_committed_use_case_writes_state_event_and_audit_together(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        note_id = uuid.uuid4()
        await write_note(
            UnitOfWork(library_db.sessions, source="puebla/test", actor="test"),
            note_id,
            then_fail=False,
        )
        assert await count(library_db, "SELECT count(*) FROM note WHERE id = :i", i=note_id) == 1
        assert (
            await count(
                library_db,
                "SELECT count(*) FROM outbox WHERE aggregateid = :a AND published_at IS NULL",
                a=str(note_id),
            )
            == 1
        )
        assert (
            await count(
                library_db, "SELECT count(*) FROM audit WHERE entity_id = :a", a=str(note_id)
            )
            == 1
        )

        published = await OutboxRelay(library_db.engine, library_db.sessions, js).publish_pending()
        assert published >= 1
        assert (
            await count(
                library_db,
                "SELECT count(*) FROM outbox WHERE aggregateid = :a AND published_at IS NOT NULL",
                a=str(note_id),
            )
            == 1
        )
        event_id = await count_event_id(library_db, note_id)
        msg = await js.get_last_msg(test_stream, "puebla_test.note.written.v1")
        assert msg.headers is not None
        assert msg.headers["Nats-Msg-Id"] == event_id


async def count_event_id(db: MigratedDatabase, note_id: uuid.UUID) -> str:
    async with db.sessions() as session:
        value = (
            await session.execute(
                text("SELECT id FROM outbox WHERE aggregateid = :a"), {"a": str(note_id)}
            )
        ).scalar_one()
    return str(value)


class TestRelayRetries:
    async def test_republishing_an_already_published_row_is_deduplicated_by_the_stream(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        note_id = uuid.uuid4()
        await write_note(
            UnitOfWork(library_db.sessions, source="puebla/test", actor="test"),
            note_id,
            then_fail=False,
        )
        relay = OutboxRelay(library_db.engine, library_db.sessions, js)
        await relay.publish_pending()
        before = (await js.stream_info(test_stream)).state.messages
        # A crash between the PubAck and marking the row: the row is published again.
        async with library_db.sessions() as session:
            await session.execute(
                text("UPDATE outbox SET published_at = NULL WHERE aggregateid = :a"),
                {"a": str(note_id)},
            )
            await session.commit()
        await relay.publish_pending()
        assert (await js.stream_info(test_stream)).state.messages == before

    async def test_relay_loop_publishes_on_notify(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        relay = OutboxRelay(library_db.engine, library_db.sessions, js, poll_interval=30.0)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            await asyncio.wait_for(relay.leading.wait(), timeout=10)
            note_id = uuid.uuid4()
            await write_note(
                UnitOfWork(library_db.sessions, source="puebla/test", actor="test"),
                note_id,
                then_fail=False,
            )
            # With a 30 s poll, only the NOTIFY can make this quick.
            await wait_until(
                lambda: count(
                    library_db,
                    "SELECT count(*) FROM outbox WHERE aggregateid = :a"
                    " AND published_at IS NOT NULL",
                    a=str(note_id),
                ),
                timeout=10,
            )
        finally:
            stop.set()
            await task

    async def test_relay_survives_losing_its_leader_connection(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        """A database restart kills the connection holding the leader lock: the relay must
        lead again, never die quietly (asyncpg then raises InterfaceError, not a
        PostgresError — found by the fault test: a service's events stayed unpublished)."""
        relay = OutboxRelay(library_db.engine, library_db.sessions, js, poll_interval=0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            await asyncio.wait_for(relay.leading.wait(), timeout=10)
            leader = await relay_leader(library_db)
            async with library_db.sessions() as session:
                await session.execute(text("SELECT pg_terminate_backend(:p)"), {"p": leader})

            async def new_leader() -> bool:
                return (await relay_leader(library_db)) not in (None, leader)

            await wait_until(new_leader, timeout=15, what="the relay leading again")
            note_id = uuid.uuid4()
            await write_note(
                UnitOfWork(library_db.sessions, source="puebla/test", actor="test"),
                note_id,
                then_fail=False,
            )
            await wait_until(
                lambda: count(
                    library_db,
                    "SELECT count(*) FROM outbox WHERE aggregateid = :a"
                    " AND published_at IS NOT NULL",
                    a=str(note_id),
                ),
                timeout=15,
                what="published by the relay after it lost its connection",
            )
            assert relay.leading.is_set()
            assert not task.done()
        finally:
            stop.set()
            await task


async def relay_leader(db: MigratedDatabase) -> int | None:
    """The backend holding this database's relay lock."""
    async with db.sessions() as session:
        found = await session.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :lock"
                " AND granted AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())"
            ),
            {"lock": RELAY_LOCK},
        )
        pid = found.scalar_one_or_none()
        return None if pid is None else int(pid)


async def commit_event(db: MigratedDatabase, subject: str, aggregate_id: str) -> None:
    uow = UnitOfWork(db.sessions, source="puebla/test", actor="test")
    async with uow:
        uow.publish(OutgoingEvent(subject, "note", aggregate_id, {"version": 1}, ["MX"]))
        await uow.commit()


async def outbox_ids(db: MigratedDatabase, aggregate_ids: list[str]) -> list[str]:
    """The rows of these aggregates in commit order, the order the relay must keep."""
    async with db.sessions() as session:
        found = await session.execute(
            text("SELECT id::text FROM outbox WHERE aggregateid = ANY(:a) ORDER BY created_at, id"),
            {"a": aggregate_ids},
        )
        return [row[0] for row in found]


class TestPublishingInWaves:
    """A batch goes out in waves (the longest runs with no aggregate twice), each wave's
    acknowledgments awaited together (issue 19)."""

    async def test_a_batch_reaches_the_stream_in_commit_order(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        relay = OutboxRelay(library_db.engine, library_db.sessions, js)
        await relay.publish_pending()
        subject = "puebla_test.wave.in_order.v1"
        aggregates = [str(uuid.uuid4()) for _ in range(3)]
        # Interleaved, and twice in a row: waves of 3, 3, 1, 3, 2.
        for n in [0, 1, 2, 0, 1, 2, 2, 0, 1, 2, 0, 1]:
            await commit_event(library_db, subject, aggregates[n])
        expected = await outbox_ids(library_db, aggregates)
        # Only what is published from now on: a rerun in the same session starts clean.
        reader = await js.pull_subscribe(
            subject, stream=test_stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        )
        try:
            assert await relay.publish_pending() == 12
            got = await reader.fetch(12, timeout=5)
        finally:
            await reader.unsubscribe()
        assert [m.headers["Nats-Msg-Id"] for m in got if m.headers] == expected

    async def test_a_failed_event_holds_back_its_aggregates_next_not_the_others(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        relay = OutboxRelay(library_db.engine, library_db.sessions, js, publish_timeout=2.0)
        await relay.publish_pending()
        good = "puebla_test.wave.held_back.v1"
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        await commit_event(library_db, "puebla_unstreamed.wave.refused.v1", a)  # no stream: refused
        await commit_event(library_db, good, b)
        await commit_event(library_db, good, a)
        a1, b1, a2 = await outbox_ids(library_db, [a, b])
        try:
            assert await relay.publish_pending() == 1

            async with library_db.sessions() as session:
                found = await session.execute(
                    text(
                        "SELECT id::text, published_at IS NOT NULL, attempts FROM outbox"
                        " WHERE id = ANY(CAST(:ids AS uuid[]))"
                    ),
                    {"ids": [a1, b1, a2]},
                )
                state = {row[0]: (row[1], row[2]) for row in found}
            # b1 went out in the wave with a1; a2, a's next event, was not sent after a1 failed.
            assert state == {a1: (False, 1), b1: (True, 0), a2: (False, 0)}
        finally:
            async with library_db.sessions() as session:
                await session.execute(
                    text("DELETE FROM outbox WHERE id = ANY(CAST(:ids AS uuid[]))"),
                    {"ids": [a1, a2]},
                )
                await session.commit()
