"""State and the events it causes commit together; the relay publishes exactly what committed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from nats.js import JetStreamContext
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
