"""An `Idempotency-Key`'s claim, written in the same transaction as the effect it guards.

`puebla.http.idempotency` opens a claim for the request; the first `UnitOfWork.commit()` of
that request inserts the key's row (answer still empty) before it commits. So the key is
taken if and only if the effect is: a crash before the commit leaves neither (a retry runs
the request again), a crash after it leaves both (a retry is told the request was applied),
and of two concurrent requests with one key only one commits — the other's insert waits for
the first and fails, which rolls its whole transaction back.

Keys are kept for a retention window (`PUEBLA_IDEMPOTENCY_RETENTION_DAYS`, 7 days by default)
and then purged by every service's worker (`purge_expired`). A purged key is free again: a
request repeated with it after the window runs as a new request. Clients retry for minutes or
hours, not days, so the window is far longer than any honest retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass
class IdempotencyClaim:
    subject: str  # the caller: keys are per person
    key: str
    request_hash: str
    # True once a transaction holding the key's row has committed.
    committed: bool = False


_claim: ContextVar[IdempotencyClaim | None] = ContextVar("puebla_idempotency_claim", default=None)


@contextmanager
def claiming(claim: IdempotencyClaim) -> Iterator[IdempotencyClaim]:
    """Within this block, the first unit of work to commit takes the key with its effect."""
    token = _claim.set(claim)
    try:
        yield claim
    finally:
        _claim.reset(token)


async def take_in(session: AsyncSession) -> IdempotencyClaim | None:
    """Inserts the pending claim's row in `session`'s transaction (once per request); raises
    if another request took the key first. Returns the claim to mark once committed."""
    claim = _claim.get()
    if claim is None or claim.committed:
        return None
    await session.execute(
        text(
            "INSERT INTO idempotency (subject, key, request_hash, created_at)"
            " VALUES (:s, :k, :h, clock_timestamp())"
        ),
        {"s": claim.subject, "k": claim.key, "h": claim.request_hash},
    )
    return claim


async def purge_expired(sessions: async_sessionmaker[AsyncSession], retention: timedelta) -> int:
    """Deletes the keys (and stored answers) taken more than `retention` ago; returns how many.

    Measured on the database's clock, the one that stamped `created_at`. A key still without
    an answer after the window is as dead as any: its request is long over."""
    async with sessions() as session:
        result = await session.execute(
            text(
                "DELETE FROM idempotency"
                " WHERE created_at < clock_timestamp() - CAST(:retention AS interval)"
            ),
            {"retention": retention},
        )
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
