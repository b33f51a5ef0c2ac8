"""The console's sessions in its PostgreSQL database (table `console_session`).

A row is found by the SHA-256 of the browser's cookie, never by the cookie itself; its tokens
are sealed (`sealing.Sealer`). Renewing a session's tokens happens under the row's lock, so two
requests of one browser never spend the same refresh token (Keycloak rotates them: the second
use of one ends the session).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from console.adapters.sealing import Sealer
from console.domain.officer import Officer
from console.domain.session import Session, Tokens

metadata = sa.MetaData()
sessions = sa.Table(
    "console_session",
    metadata,
    sa.Column("id_hash", sa.LargeBinary, primary_key=True),
    sa.Column("sid", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("officer", JSONB, nullable=False),
    sa.Column("tokens", sa.LargeBinary, nullable=False),
    sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    # Back-channel logout ends every session of a Keycloak session; the idle sweep by age.
    sa.Index("console_session_sid", "sid"),
    sa.Index("console_session_last_seen", "last_seen_at"),
)


class SessionStore:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    async def add(self, session: Session) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sessions.insert().values(**self._row(session)))

    async def get(self, id_hash: bytes) -> Session | None:
        async with self._engine.connect() as conn:
            return await self._read(conn, id_hash, lock=False)

    @asynccontextmanager
    async def locked(self, id_hash: bytes) -> AsyncIterator[tuple[Session | None, Renewal]]:
        """The session under its row lock, and a way to store its renewed tokens before the
        lock is let go."""
        async with self._engine.begin() as conn:
            yield await self._read(conn, id_hash, lock=True), Renewal(conn, id_hash, self._sealer)

    async def touch(self, id_hash: bytes, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                sessions.update()
                .where(sessions.c.id_hash == id_hash, sessions.c.last_seen_at < at)
                .values(last_seen_at=at)
            )

    async def remove(self, id_hash: bytes) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.id_hash == id_hash))

    async def remove_by_sid(self, sid: str) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(sessions.delete().where(sessions.c.sid == sid))
            return result.rowcount

    async def purge_idle(self, before: datetime) -> int:
        """Sessions unused since `before` (past the idle end) are deleted, tokens and all."""
        async with self._engine.begin() as conn:
            result = await conn.execute(sessions.delete().where(sessions.c.last_seen_at < before))
            return result.rowcount

    async def _read(self, conn: AsyncConnection, id_hash: bytes, *, lock: bool) -> Session | None:
        query = sessions.select().where(sessions.c.id_hash == id_hash)
        row = (await conn.execute(query.with_for_update() if lock else query)).mappings().first()
        if row is None:
            return None
        tokens = self._sealer.open(row["tokens"])
        if tokens is None:  # sealed with a key the console no longer has: signed out
            return None
        return Session(
            id_hash=row["id_hash"],
            sid=row["sid"],
            subject=row["subject"],
            officer=Officer.from_record(row["officer"]),
            tokens=Tokens(
                access=tokens["access"],
                refresh=tokens["refresh"],
                id_token=tokens["id_token"],
                access_expires_at=row["access_expires_at"],
            ),
            csrf_token=row["csrf_token"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
        )

    def _row(self, session: Session) -> dict[str, Any]:
        return {
            "id_hash": session.id_hash,
            "sid": session.sid,
            "subject": session.subject,
            "officer": session.officer.record(),
            "tokens": seal_tokens(self._sealer, session.tokens),
            "access_expires_at": session.tokens.access_expires_at,
            "csrf_token": session.csrf_token,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
        }


class Renewal:
    def __init__(self, conn: AsyncConnection, id_hash: bytes, sealer: Sealer) -> None:
        self._conn, self._id_hash, self._sealer = conn, id_hash, sealer

    async def store(self, tokens: Tokens, officer: Officer) -> None:
        await self._conn.execute(
            sessions.update()
            .where(sessions.c.id_hash == self._id_hash)
            .values(
                tokens=seal_tokens(self._sealer, tokens),
                access_expires_at=tokens.access_expires_at,
                officer=officer.record(),
            )
        )

    async def remove(self) -> None:
        await self._conn.execute(sessions.delete().where(sessions.c.id_hash == self._id_hash))


def seal_tokens(sealer: Sealer, tokens: Tokens) -> bytes:
    return sealer.seal(
        {"access": tokens.access, "refresh": tokens.refresh, "id_token": tokens.id_token}
    )
