"""The statement counter the tests and `make bench` rely on (`puebla_dev.testing.statements`)
sees what a warm connection sends: SQLAlchemy's cached prepared statements as well as the
driver's own calls, each once, in order."""

from __future__ import annotations

from sqlalchemy import text

from puebla.db.driver import driver_connection
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.statements import sent_statements


async def test_a_warm_connection_s_statements_are_all_counted(library_db: MigratedDatabase) -> None:
    statement = text("SELECT count(*) FROM outbox WHERE aggregateid = :e")
    # Warm: the pool's connection has prepared the statement and cached it.
    async with library_db.sessions() as session:
        await session.execute(statement, {"e": "warm"})

    async with (
        sent_statements(library_db.engine) as sent,
        library_db.sessions() as session,
        session.begin(),
    ):
        await session.execute(statement, {"e": "one"})
        await session.execute(statement, {"e": "two"})
        driver = await driver_connection(session)
        await driver.fetchval("SELECT $1::int + 1", 1)
        await driver.executemany("SELECT $1::int", [(1,), (2,)])

    assert sent == [
        "BEGIN;",
        "SELECT count(*) FROM outbox WHERE aggregateid = $1",
        "SELECT count(*) FROM outbox WHERE aggregateid = $1",
        "SELECT $1::int + 1",
        "SELECT $1::int",
        "COMMIT;",
    ], sent


async def test_other_engines_and_the_time_after_are_not_counted(
    library_db: MigratedDatabase,
) -> None:
    async with sent_statements(library_db.engine) as sent:
        pass
    async with library_db.sessions() as session:
        await session.execute(text("SELECT 1"))
    assert sent == []
