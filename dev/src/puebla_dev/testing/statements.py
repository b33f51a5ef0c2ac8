"""What a piece of code sends to PostgreSQL: every statement asyncpg executes on a connection an
engine's pool checked out meanwhile. SQLAlchemy's events miss the statements the hot paths send
straight to the driver (`puebla.db.driver`); this sees both, and BEGIN and COMMIT too. For tests
and `make bench`'s statement count.

asyncpg's own query loggers are not enough: they see `Connection.execute/fetch*/executemany`
but not a `PreparedStatement`'s executions, which is how SQLAlchemy's dialect sends every
statement (a warm connection's cached statements went uncounted), and they report through
`loop.call_soon`, out of order with anything counted at once. So this wraps, for the duration
of the `async with` only, the four places asyncpg hands a statement to its protocol, and counts
there, in the order sent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from asyncpg.connection import Connection
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["sent_statements"]

Method = Callable[..., Any]


@asynccontextmanager
async def sent_statements(engine: AsyncEngine) -> AsyncIterator[list[str]]:
    """The statements executed on `engine` inside the `async with`, whitespace collapsed, in
    the order sent. A statement prepared (parsed) without being run is not one."""
    seen: list[str] = []
    watched: set[int] = set()  # ids of the asyncpg connections checked out meanwhile

    def note(connection: Any, query: str) -> None:
        if id(connection) in watched:
            seen.append(" ".join(query.split()))

    def checked_out(dbapi_connection: Any, *_: Any) -> None:
        watched.add(id(dbapi_connection.driver_connection))

    originals: dict[tuple[type, str], Method] = {}

    def wrap(owner: type, name: str, query_of: Callable[..., str | None]) -> None:
        original: Method = getattr(owner, name)
        originals[(owner, name)] = original

        async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            query = query_of(self, *args, **kwargs)
            if query is not None:
                note(self if isinstance(self, Connection) else self._connection, query)
            return await original(self, *args, **kwargs)

        setattr(owner, name, counted)

    # `execute` without arguments is the simple-query protocol (BEGIN, COMMIT); with them it
    # goes on to `_execute`, counted there.
    wrap(Connection, "execute", lambda _c, query, *args, **_k: None if args else query)
    wrap(Connection, "_execute", lambda _c, query, *_a, **_k: query)
    wrap(Connection, "_executemany", lambda _c, query, *_a, **_k: query)
    wrap(PreparedStatement, "_PreparedStatement__do_execute", lambda s, *_a, **_k: s._query)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", checked_out)
    try:
        yield seen
    finally:
        event.remove(pool, "checkout", checked_out)
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
