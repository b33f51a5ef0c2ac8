"""Signing in, keeping a session alive, and signing out.

`begin` turns Keycloak's grant into a console session: the ID token must carry this sign-in's
nonce, the access token must verify as the services verify it. `access_token` hands out a
token with a minute left at least, renewing it (Keycloak rotates the refresh token) under the
session's row lock. A refused renewal means the Keycloak session is over: so is the console's.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from console.adapters.keycloak import Grant, GrantRefused, TokenInvalid
from console.domain.officer import Officer
from console.domain.session import Lifetimes, Session, Tokens


class Renewal(Protocol):
    async def store(self, tokens: Tokens, officer: Officer) -> None: ...
    async def remove(self) -> None: ...


class SessionStore(Protocol):
    """Where sessions live (adapters.session_store: PostgreSQL; tests: a dict)."""

    async def add(self, session: Session) -> None: ...
    async def get(self, id_hash: bytes) -> Session | None: ...
    def locked(
        self, id_hash: bytes
    ) -> AbstractAsyncContextManager[tuple[Session | None, Renewal]]: ...
    async def touch(self, id_hash: bytes, at: datetime) -> None: ...
    async def remove(self, id_hash: bytes) -> None: ...
    async def remove_by_sid(self, sid: str) -> int: ...
    async def purge_idle(self, before: datetime) -> int: ...


class Realm(Protocol):
    """Keycloak as the sessions need it (adapters.keycloak.Keycloak)."""

    async def exchange_code(self, code: str, verifier: str) -> Grant: ...
    async def refresh(self, refresh_token: str) -> Grant: ...
    async def access_claims(self, access_token: str) -> dict[str, Any]: ...
    async def id_claims(self, id_token: str, *, nonce: str) -> dict[str, Any]: ...


class SessionEnded(Exception):
    """The officer must sign in again (idle, too old, logged out elsewhere, revoked)."""


class SignInFailed(Exception):
    """Keycloak's answer to the callback did not hold up (code refused, token invalid)."""


def hash_of(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode()).digest()


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        keycloak: Realm,
        lifetimes: Lifetimes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.keycloak = keycloak
        self.lifetimes = lifetimes
        self.clock = clock

    async def begin(self, *, code: str, verifier: str, nonce: str) -> tuple[str, Session]:
        """The new session's cookie value and the session."""
        try:
            grant = await self.keycloak.exchange_code(code, verifier)
            id_claims = await self.keycloak.id_claims(grant.id_token, nonce=nonce)
            access = await self.keycloak.access_claims(grant.access_token)
        except (GrantRefused, TokenInvalid) as exc:
            raise SignInFailed(str(exc)) from None
        if access.get("sub") != id_claims.get("sub"):
            raise SignInFailed("the access and ID tokens name different people")
        cookie = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(
            id_hash=hash_of(cookie),
            sid=str(id_claims["sid"]),
            subject=str(id_claims["sub"]),
            officer=Officer.from_claims(access),
            tokens=_tokens(grant, previous_id_token=grant.id_token),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
        await self.store.add(session)
        return cookie, session

    async def load(self, cookie: str | None) -> Session | None:
        """The live session of a cookie, touched; None if there is none (any more)."""
        if not cookie:
            return None
        session = await self.store.get(hash_of(cookie))
        if session is None:
            return None
        now = self.clock()
        if self.lifetimes.ended(session, now):
            await self.end(session)
            return None
        if self.lifetimes.needs_touch(session, now):
            await self.store.touch(session.id_hash, now)
            session = _touched(session, now)
        return session

    async def keep_alive(self, session: Session) -> Session:
        """The officer said "stay signed in": the idle clock restarts and the token is renewed."""
        now = self.clock()
        await self.store.touch(session.id_hash, now)
        await self.access_token(_touched(session, now), force=True)
        return _touched(session, now)

    async def access_token(self, session: Session, *, force: bool = False) -> str:
        if not force and not self.lifetimes.needs_renewal(session.tokens, self.clock()):
            return session.tokens.access
        async with self.store.locked(session.id_hash) as (current, renewal):
            if current is None:
                raise SessionEnded("the session was ended")
            # Another request of this browser may have renewed it while this one waited.
            if not force and not self.lifetimes.needs_renewal(current.tokens, self.clock()):
                return current.tokens.access
            try:
                grant = await self.keycloak.refresh(current.tokens.refresh)
                officer = Officer.from_claims(await self.keycloak.access_claims(grant.access_token))
            except (GrantRefused, TokenInvalid):
                await renewal.remove()
                raise SessionEnded("Keycloak refused to renew the session") from None
            await renewal.store(_tokens(grant, previous_id_token=current.tokens.id_token), officer)
            return grant.access_token

    async def end(self, session: Session) -> None:
        """Forgets the session here; the caller sends the browser to Keycloak's logout."""
        await self.store.remove(session.id_hash)

    async def end_cookie(self, cookie: str | None) -> None:
        """Ends the session of a cookie, if it still has one (signing in on top of it)."""
        if cookie:
            await self.store.remove(hash_of(cookie))

    async def end_everywhere_of(self, sid: str) -> int:
        """Back-channel logout: every console session of Keycloak's session `sid` ends."""
        return await self.store.remove_by_sid(sid)

    async def purge(self) -> int:
        return await self.store.purge_idle(self.clock() - self.lifetimes.idle)


def _tokens(grant: Grant, *, previous_id_token: str) -> Tokens:
    return Tokens(
        access=grant.access_token,
        refresh=grant.refresh_token,
        id_token=grant.id_token or previous_id_token,
        access_expires_at=grant.access_expires_at,
    )


def _touched(session: Session, now: datetime) -> Session:
    return replace(session, last_seen_at=now)
