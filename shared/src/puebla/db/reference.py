"""Reference data a process keeps between units of work, and knows when to read again.

Reception points, consular posts, agreements, notice rules: a handful of small tables read on
every submission or notice, and changed a few times a year. Reading them each time cost more
than the work they serve (consular: ~6 ms a notice; repatriation: three statements inside a
submission's locked manifest). So a service's database holds a **generation**: one row, a
token that statement triggers change with every write to those tables
(`create_generation`, in a migration). A unit of work reads the token (one row) and reads
the tables only when it differs from the one its process's kept copy was read under
(`Kept.get`). An edit still takes effect without a restart, at the next unit of work.

A random token, not a counter: a database dropped and made again (tests, a restored backup)
never repeats one, so a kept copy is never taken for another database's.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

from sqlalchemy import Boolean, CheckConstraint, Column, MetaData, Table, text, true
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.db.driver import driver_connection

T = TypeVar("T")

GENERATION_TABLE = "reference_generation"


def define_generation(metadata: MetaData) -> Table:
    """The one-row `reference_generation` table (for the service's metadata)."""
    return Table(
        GENERATION_TABLE,
        metadata,
        Column("id", Boolean, primary_key=True, server_default=true()),
        Column(
            "token", UUID(as_uuid=True), nullable=False, server_default=text("gen_random_uuid()")
        ),
        CheckConstraint("id", name="one_row"),
    )


def create_generation(execute: Callable[[str], object], tables: Iterable[str]) -> None:
    """The migration's upgrade (`execute` is alembic's `op.execute`): the table, its row, and
    a trigger on each of `tables` that changes the token on any INSERT, UPDATE, DELETE or
    TRUNCATE."""
    execute(
        f"""
        CREATE TABLE {GENERATION_TABLE} (
            id BOOLEAN DEFAULT true NOT NULL,
            token UUID DEFAULT gen_random_uuid() NOT NULL,
            CONSTRAINT pk_{GENERATION_TABLE} PRIMARY KEY (id),
            CONSTRAINT ck_{GENERATION_TABLE}_one_row CHECK (id)
        )
        """
    )
    execute(f"INSERT INTO {GENERATION_TABLE} DEFAULT VALUES")
    execute(
        f"""
        CREATE FUNCTION {GENERATION_TABLE}_next() RETURNS trigger AS $$
        BEGIN
            UPDATE {GENERATION_TABLE} SET token = gen_random_uuid();
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    watch(execute, tables)


def watch(execute: Callable[[str], object], tables: Iterable[str]) -> None:
    """Triggers that change the token on any write to `tables` (a later migration adding a
    table to what a process keeps)."""
    for table in tables:
        execute(
            f"CREATE TRIGGER {table}_generation"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {GENERATION_TABLE}_next()"
        )


def unwatch(execute: Callable[[str], object], tables: Iterable[str]) -> None:
    for table in tables:
        execute(f"DROP TRIGGER {table}_generation ON {table}")


def drop_generation(execute: Callable[[str], object], tables: Iterable[str]) -> None:
    """The migration's downgrade."""
    unwatch(execute, tables)
    execute(f"DROP FUNCTION {GENERATION_TABLE}_next()")
    execute(f"DROP TABLE {GENERATION_TABLE}")


class Kept(Generic[T]):
    """What a process read of its reference tables, under the token it read it under. One
    slot: a process serves one database (a test session's several databases only take turns
    in it; their tokens never repeat)."""

    def __init__(self) -> None:
        self._kept: tuple[uuid.UUID, T] | None = None

    async def get(self, session: AsyncSession, read: Callable[[], Awaitable[T]]) -> T:
        """The kept copy if the token on record is still its own, else `read()` (in the
        session's transaction), kept under that token."""
        driver = await driver_connection(session)
        token = await driver.fetchval(f"SELECT token FROM {GENERATION_TABLE}")
        kept = self._kept
        if kept is not None and kept[0] == token:
            return kept[1]
        # Read after the token, so what is kept is never older than the token it is kept under
        # (an edit committed in between: a newer copy under the older token, read again next).
        value = await read()
        self._kept = (token, value)
        return value
