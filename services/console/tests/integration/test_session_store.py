"""The session store in the console's real PostgreSQL schema (its migrations applied)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from console.adapters.sealing import Sealer
from console.adapters.session_store import SessionStore
from console.config import DEV_SESSION_KEY, SERVICE_DIR
from console.domain.officer import Officer
from console.domain.session import Session, Tokens
from console.service_layer.sessions import hash_of
from puebla_dev.testing.infra import Infra, MigratedDatabase, scratch_database

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def database(infra: Infra) -> AsyncIterator[MigratedDatabase]:
    async with scratch_database(infra, "console", SERVICE_DIR) as db:
        yield db


def a_session(sid: str = "kc-1", *, seen: datetime = NOW) -> tuple[str, Session]:
    cookie = secrets.token_urlsafe(32)
    tokens = Tokens("access-SECRET", "refresh-SECRET", "id-SECRET", NOW + timedelta(minutes=15))
    officer = Officer("border.gt.tecun", "Tomás Cux", ("border_officer",), "GT")
    return cookie, Session(hash_of(cookie), sid, "s-1", officer, tokens, "csrf", NOW, seen)


async def test_tokens_are_sealed_at_rest_and_the_cookie_is_not_stored(
    database: MigratedDatabase,
) -> None:
    store = SessionStore(database.engine, Sealer(DEV_SESSION_KEY))
    cookie, session = a_session()
    await store.add(session)
    async with database.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT * FROM console_session"))).mappings().one()
    dumped = repr(dict(raw)).encode()
    assert b"SECRET" not in dumped
    assert cookie.encode() not in dumped
    assert await store.get(hash_of(cookie)) == session
    # Sealed with another key (a rotated key, a copied row): no session, not an error.
    other = SessionStore(database.engine, Sealer(Sealer.new_key()))
    assert await other.get(hash_of(cookie)) is None


async def test_renewed_tokens_are_stored_under_the_rows_lock(database: MigratedDatabase) -> None:
    store = SessionStore(database.engine, Sealer(DEV_SESSION_KEY))
    cookie, session = a_session("kc-renew")
    await store.add(session)
    renewed = Tokens("a2", "r2", "i2", NOW + timedelta(minutes=30))
    async with store.locked(hash_of(cookie)) as (current, renewal):
        assert current == session
        await renewal.store(renewed, session.officer)
    stored = await store.get(hash_of(cookie))
    assert stored is not None
    assert stored.tokens == renewed


async def test_sessions_end_by_keycloak_session_and_by_idleness(
    database: MigratedDatabase,
) -> None:
    store = SessionStore(database.engine, Sealer(DEV_SESSION_KEY))
    one, first = a_session("kc-shared")
    two, second = a_session("kc-shared")
    three, idle = a_session("kc-idle", seen=NOW - timedelta(hours=2))
    for s in (first, second, idle):
        await store.add(s)
    assert await store.remove_by_sid("kc-shared") == 2
    assert await store.get(hash_of(one)) is None
    assert await store.get(hash_of(two)) is None
    assert await store.purge_idle(NOW - timedelta(minutes=30)) == 1
    assert await store.get(hash_of(three)) is None
