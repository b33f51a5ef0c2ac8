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

# Where a session keeps its transaction's connection (`session.info`): the SessionTransaction
# it belongs to, SQLAlchemy's adapter and the asyncpg connection under it.
_HELD = "puebla.driver_connection"


async def driver_connection(session: AsyncSession, *, begin: bool = True) -> asyncpg.Connection:
    """The session's asyncpg connection, its transaction begun (SQLAlchemy's asyncpg adapter
    begins it lazily, at its own first statement: a statement sent here before that would run
    outside the transaction and commit on its own).

    `begin=False` for a session that only reads one row: no BEGIN and no ROLLBACK, two round
    trips of three (the pool's reset on return has no transaction to end).

    Found once per transaction: asking the session again (`connection()`, then the raw
    connection: two greenlet hops and SQLAlchemy's bookkeeping) cost a hand-over more than
    the statements it sent this way. A new transaction (after a commit or a rollback) may hold
    another pooled connection, so it is asked again."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HELD)
    adapted: Any  # sqlalchemy's AsyncAdapt_asyncpg_connection
    driver: asyncpg.Connection
    if (
        held is not None
        and transaction is not None
        and held[0] is transaction
        and transaction.is_active
    ):
        adapted, driver = held[1], held[2]
    else:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection  # sqlalchemy's AsyncAdapt_asyncpg_connection
        driver = adapted.driver_connection
        session.info[_HELD] = (session.sync_session.get_transaction(), adapted, driver)
    if begin and adapted._transaction is None:
        await adapted._start_transaction()
    return driver
