"""Is this failure the database being away (restarting, unreachable, connection cut)?

Such a failure is not the request's fault nor a bug: the API answers 503 with Retry-After, and a
process starting up waits for the database instead of exiting.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.exc import DBAPIError


def database_unavailable(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):  # along __cause__/__context__, which the driver layers wrap in
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(
            seen,
            OSError  # refused, reset, timeouts (TimeoutError is one)
            | asyncpg.PostgresConnectionError
            | asyncpg.CannotConnectNowError  # starting up, in recovery, shutting down
            | asyncpg.AdminShutdownError
            | asyncpg.CrashShutdownError,
        ):
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "connection is closed" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
