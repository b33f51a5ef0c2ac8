"""The driver under a session (`puebla.db.driver`) and the pool's check of a connection."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.db import audit
from puebla.db.audit import AuditRecord
from puebla.db.driver import driver_connection
from puebla.db.engine import make_engine, make_session_factory
from puebla.db.unit_of_work import write_trail
from puebla_dev.testing.infra import Infra, MigratedDatabase, scratch_database
from puebla_dev.testing.waiting import wait_until

from .conftest import FIXTURE_SERVICE

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def own_db(infra: Infra) -> AsyncIterator[MigratedDatabase]:
    # Outbox rows no relay is meant to publish: a database of their own.
    async with scratch_database(infra, "puebla_driver", FIXTURE_SERVICE) as db:
        yield db


async def rows_about(db: MigratedDatabase, entity: str) -> tuple[int, int]:
    async with db.sessions() as session:
        outbox = await session.execute(
            text("SELECT count(*) FROM outbox WHERE aggregateid = :e"), {"e": entity}
        )
        trail = await session.execute(
            text("SELECT count(*) FROM audit WHERE entity_id = :e"), {"e": entity}
        )
        return int(outbox.scalar_one()), int(trail.scalar_one())


async def one_event_and_entry(session: AsyncSession, entity: str) -> None:
    record = AuditRecord("test", "note.written", "note", entity)
    outbox = [(uuid.uuid4(), "note", entity, "test.note.v1", "{}", "{}", AT)]
    await write_trail(
        session, outbox=outbox, entries=audit.rows([record], at=AT, correlation_id=None)
    )


class TestTheDriverInTheSessionsTransaction:
    async def test_what_it_wrote_rolls_back_with_the_session(
        self, own_db: MigratedDatabase
    ) -> None:
        """The driver's statement is the session's first: had the transaction not begun, it
        would have committed on its own and outlived the rollback."""
        entity = str(uuid.uuid4())
        async with own_db.sessions() as session:
            await one_event_and_entry(session, entity)
            assert await rows_about(own_db, entity) == (0, 0)  # not visible outside
            await session.rollback()
        assert await rows_about(own_db, entity) == (0, 0)

    async def test_what_it_wrote_commits_with_the_session(self, own_db: MigratedDatabase) -> None:
        entity = str(uuid.uuid4())
        async with own_db.sessions() as session:
            await one_event_and_entry(session, entity)
            await session.commit()
        assert await rows_about(own_db, entity) == (1, 1)

    async def test_a_lone_read_begins_no_transaction(self, own_db: MigratedDatabase) -> None:
        async with own_db.sessions() as session:
            lone = await driver_connection(session, begin=False)
            assert await lone.fetchval("SELECT 1") == 1
            assert not lone.is_in_transaction()
            begun = await driver_connection(session)
            assert begun is lone
            assert begun.is_in_transaction()


class TestTheConnectionFoundOncePerTransaction:
    async def test_the_session_is_asked_once_a_transaction(self, own_db: MigratedDatabase) -> None:
        async with own_db.sessions() as session:
            asked = 0
            ask = session.connection

            async def counted() -> object:
                nonlocal asked
                asked += 1
                return await ask()

            session.connection = counted  # type: ignore[method-assign,assignment]
            first = await driver_connection(session)
            assert await driver_connection(session) is first
            assert asked == 1
            await session.commit()
            await driver_connection(session)
            assert asked == 2  # a new transaction may hold another connection

    async def test_after_a_commit_it_writes_in_the_new_transaction(
        self, own_db: MigratedDatabase
    ) -> None:
        """What was found for the first transaction is not reused for the next: the second
        write rolls back with the session, the first stays committed."""
        kept, undone = str(uuid.uuid4()), str(uuid.uuid4())
        async with own_db.sessions() as session:
            await one_event_and_entry(session, kept)
            await session.commit()
            await one_event_and_entry(session, undone)
            assert await rows_about(own_db, undone) == (0, 0)  # inside a transaction again
            await session.rollback()
        assert await rows_about(own_db, kept) == (1, 1)
        assert await rows_about(own_db, undone) == (0, 0)


class TestThePool:
    async def test_connections_it_opened_are_kept_after_a_burst(
        self, own_db: MigratedDatabase
    ) -> None:
        """A burst past ten requests (the old pool's size; its overflow was closed on return)
        leaves the next burst the same connections: no connect, no type introspection again."""
        engine = make_engine(own_db.url)
        sessions = make_session_factory(engine)
        burst = 14
        try:

            async def backends() -> set[int]:
                together = asyncio.Barrier(burst)

                async def one() -> int:
                    async with sessions() as session:
                        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                        await together.wait()  # all `burst` connections out at once
                        return int(pid)

                return set(await asyncio.gather(*(one() for _ in range(burst))))

            first = await backends()
            assert len(first) == burst
            assert await backends() == first
        finally:
            await engine.dispose()

    async def test_a_connection_the_server_closed_is_replaced_on_checkout(
        self, own_db: MigratedDatabase
    ) -> None:
        """No pre-ping (three round trips a checkout): a restart's closed sockets are noticed
        from the connection's state, and the request gets a live one."""
        engine = make_engine(own_db.url, pool_size=1, max_overflow=0)
        sessions = make_session_factory(engine)
        try:
            async with sessions() as session:
                first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with own_db.sessions() as other:
                await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first})

            async def gone() -> bool:
                async with own_db.sessions() as other:
                    found = await other.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": first}
                    )
                    return bool(found.scalar_one() == 0)

            await wait_until(gone, what="the pooled connection's backend gone")
            async with sessions() as session:
                second = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert second != first
        finally:
            await engine.dispose()
