"""What a piece of code sends to PostgreSQL: every statement asyncpg itself sends on an engine's
pool (a query logger on each connection checked out meanwhile). SQLAlchemy's events miss the
statements the hot paths send straight to the driver (`puebla.db.driver`); this sees both, and
BEGIN and COMMIT too. For tests and `make bench`'s statement count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["sent_statements"]


@asynccontextmanager
async def sent_statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The statements sent on `engine` inside the `async with`, whitespace collapsed, in
    order."""
    seen: list[str] = []
    logged: list[Any] = []

    def log(record: Any) -> None:
        seen.append(" ".join(record.query.split()))

    def checked_out(dbapi_connection: Any, *_: Any) -> None:
        connection = dbapi_connection.driver_connection
        connection.add_query_logger(log)  # a set: a connection checked out twice logs once
        logged.append(connection)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    try:
        yield seen
        # asyncpg hands each record to its loggers with `loop.call_soon`: the last statements
        # (the COMMIT) are logged once the loop has turned, which this one yield lets happen.
        await asyncio.sleep(0)
    finally:
        event.remove(pool, "checkout", checked_out)
        for connection in logged:
            connection.remove_query_logger(log)
