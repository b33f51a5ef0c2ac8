"""The asyncpg connection under a session, inside the session's transaction.

For the few statements of a hot path (a hand-over, a unit of work's outbox and audit rows)
SQLAlchemy's work per statement — compiling, caching, adapting, the greenlet hop — costs
several times the statement itself. They go to the driver directly, on the same connection
and in the same transaction, so they commit or roll back with everything else the session
does. Everything else keeps SQLAlchemy.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession


async def driver_connection(session: AsyncSession, *, begin: bool = True) -> asyncpg.Connection:
    """The session's asyncpg connection, its transaction begun (SQLAlchemy's asyncpg adapter
    begins it lazily, at its own first statement: a statement sent here before that would run
    outside the transaction and commit on its own).

    `begin=False` for a session that only reads one row: no BEGIN and no ROLLBACK, two round
    trips of three (the pool's reset on return has no transaction to end)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection  # sqlalchemy's AsyncAdapt_asyncpg_connection
    if begin and adapted._transaction is None:
        await adapted._start_transaction()
    driver: asyncpg.Connection = adapted.driver_connection
    return driver
