"""Signing in, renewing and ending sessions, with the realm and the store faked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.adapters.keycloak import Grant, GrantRefused, TokenInvalid
from console.domain.officer import Officer
from console.domain.session import Lifetimes, Session, Tokens
from console.service_layer.sessions import SessionEnded, Sessions, SignInFailed, hash_of

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CLAIMS = {"sub": "s-1", "preferred_username": "inm.mx", "realm_access": {"roles": []}}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class FakeRealm:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.refreshes: list[str] = []
        self.refused = False
        self.nonce = "n-1"
        self.id_sub = "s-1"

    def grant(self, n: int) -> Grant:
        return Grant(f"a{n}", f"r{n}", f"i{n}", self.clock() + timedelta(minutes=15))

    async def exchange_code(self, code: str, verifier: str) -> Grant:
        if code != "good":
            raise GrantRefused("invalid_grant")
        return self.grant(0)

    async def refresh(self, refresh_token: str) -> Grant:
        await asyncio.sleep(0)  # another request may run meanwhile
        if self.refused:
            raise GrantRefused("invalid_grant")
        self.refreshes.append(refresh_token)
        return self.grant(len(self.refreshes))

    async def access_claims(self, access_token: str) -> dict[str, Any]:
        return CLAIMS

    async def id_claims(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        if nonce != self.nonce:
            raise TokenInvalid("nonce")
        return {"sub": self.id_sub, "sid": "kc-1"}


class FakeRenewal:
    def __init__(self, rows: dict[bytes, Session], id_hash: bytes) -> None:
        self.rows, self.id_hash = rows, id_hash

    async def store(self, tokens: Tokens, officer: Officer) -> None:
        self.rows[self.id_hash] = replace(self.rows[self.id_hash], tokens=tokens, officer=officer)

    async def remove(self) -> None:
        self.rows.pop(self.id_hash, None)


class FakeStore:
    def __init__(self) -> None:
        self.rows: dict[bytes, Session] = {}
        self.lock = asyncio.Lock()

    async def add(self, session: Session) -> None:
        self.rows[session.id_hash] = session

    async def get(self, id_hash: bytes) -> Session | None:
        return self.rows.get(id_hash)

    @asynccontextmanager
    async def locked(self, id_hash: bytes) -> AsyncIterator[tuple[Session | None, FakeRenewal]]:
        async with self.lock:
            yield self.rows.get(id_hash), FakeRenewal(self.rows, id_hash)

    async def touch(self, id_hash: bytes, at: datetime) -> None:
        if id_hash in self.rows:
            self.rows[id_hash] = replace(self.rows[id_hash], last_seen_at=at)

    async def remove(self, id_hash: bytes) -> None:
        self.rows.pop(id_hash, None)

    async def remove_by_sid(self, sid: str) -> int:
        gone = [h for h, s in self.rows.items() if s.sid == sid]
        for h in gone:
            del self.rows[h]
        return len(gone)

    async def purge_idle(self, before: datetime) -> int:
        gone = [h for h, s in self.rows.items() if s.last_seen_at < before]
        for h in gone:
            del self.rows[h]
        return len(gone)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def realm(clock: Clock) -> FakeRealm:
    return FakeRealm(clock)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def sessions(store: FakeStore, realm: FakeRealm, clock: Clock) -> Sessions:
    lifetimes = Lifetimes(timedelta(minutes=30), timedelta(hours=10), timedelta(minutes=2))
    return Sessions(store, realm, lifetimes, clock)


async def test_a_sign_in_stores_the_session_by_the_hash_of_its_cookie(
    sessions: Sessions, store: FakeStore
) -> None:
    cookie, session = await sessions.begin(code="good", verifier="v", nonce="n-1")
    assert set(store.rows) == {hash_of(cookie)}
    assert cookie.encode() not in store.rows  # the cookie itself is never a key
    assert (session.sid, session.officer.username) == ("kc-1", "inm.mx")
    assert session.csrf_token
    assert session.csrf_token != cookie


@pytest.mark.parametrize("what", ["code", "nonce", "subject"])
async def test_a_sign_in_that_does_not_hold_up_opens_no_session(
    what: str, sessions: Sessions, store: FakeStore, realm: FakeRealm
) -> None:
    code, nonce = "good", "n-1"
    if what == "code":
        code = "used"
    elif what == "nonce":
        nonce = "another sign-in's"
    else:
        realm.id_sub = "someone else"
    with pytest.raises(SignInFailed):
        await sessions.begin(code=code, verifier="v", nonce=nonce)
    assert store.rows == {}


async def test_an_idle_session_is_gone_and_deleted(
    sessions: Sessions, store: FakeStore, clock: Clock
) -> None:
    cookie, _ = await sessions.begin(code="good", verifier="v", nonce="n-1")
    clock.now += timedelta(minutes=29)
    assert await sessions.load(cookie) is not None  # and touched
    clock.now += timedelta(minutes=29)
    assert await sessions.load(cookie) is not None
    clock.now += timedelta(minutes=30)
    assert await sessions.load(cookie) is None
    assert store.rows == {}


async def test_the_token_is_renewed_once_for_two_requests_at_the_same_time(
    sessions: Sessions, realm: FakeRealm, clock: Clock
) -> None:
    cookie, _ = await sessions.begin(code="good", verifier="v", nonce="n-1")
    clock.now += timedelta(minutes=14, seconds=30)  # within the renewal minute
    session = await sessions.load(cookie)
    assert session is not None
    tokens = await asyncio.gather(sessions.access_token(session), sessions.access_token(session))
    # Keycloak rotates refresh tokens: spending r0 twice would end the session.
    assert realm.refreshes == ["r0"]
    assert list(tokens) == ["a1", "a1"]


async def test_a_refused_renewal_ends_the_session(
    sessions: Sessions, store: FakeStore, realm: FakeRealm, clock: Clock
) -> None:
    _cookie, session = await sessions.begin(code="good", verifier="v", nonce="n-1")
    realm.refused = True
    clock.now += timedelta(minutes=15)
    with pytest.raises(SessionEnded):
        await sessions.access_token(session)
    assert store.rows == {}


async def test_back_channel_logout_ends_every_session_of_that_keycloak_session(
    sessions: Sessions, store: FakeStore
) -> None:
    first, _ = await sessions.begin(code="good", verifier="v", nonce="n-1")
    second, _ = await sessions.begin(code="good", verifier="v", nonce="n-1")
    assert await sessions.end_everywhere_of("kc-1") == 2
    assert await sessions.load(first) is None
    assert await sessions.load(second) is None


async def test_signing_in_on_top_of_a_session_ends_the_old_one(
    sessions: Sessions, store: FakeStore
) -> None:
    old, _ = await sessions.begin(code="good", verifier="v", nonce="n-1")
    await sessions.end_cookie(old)
    await sessions.end_cookie(None)  # no cookie: nothing to end
    assert store.rows == {}
