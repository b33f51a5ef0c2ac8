"""A readable record of a journey: who did what, where they work, which call they made, and
what they could and could not see.

Calls go through `Actor`, which never records by itself: the journey records one line per act
(`Actor.record`) with what the caller saw in the answer, and one summary line for a batch of
calls (`Actor.note`), so that polling and 30 similar decisions do not drown the story.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote_plus

import httpx

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def short(text: str) -> str:
    """Ids shortened to their last 8 characters (the random part of a UUIDv7; the first ones
    are a timestamp that ids minted together share), so a path fits on a line."""
    return _UUID.sub(lambda m: "…" + m.group(0)[-8:], text)


class TokenSource(Protocol):
    def get(self, username: str) -> str: ...


@dataclass(frozen=True)
class Entry:
    at: float  # seconds since the journey began
    who: str  # "inm.mx (MX · INM)"
    did: str
    call: str  # "repatriation POST /v1/manifests → 201"
    sees: tuple[str, ...] = ()
    cannot_see: tuple[str, ...] = ()

    def render(self) -> str:
        lines = [f"{self.at:6.1f}s  {self.who}", f"         {self.did}"]
        if self.call:
            lines.append(f"         {self.call}")
        lines += [f"         sees: {item}" for item in self.sees]
        lines += [f"         cannot see: {item}" for item in self.cannot_see]
        return "\n".join(lines)


@dataclass
class Timeline:
    title: str
    entries: list[Entry] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(
        self,
        who: str,
        did: str,
        call: str = "",
        *,
        sees: Iterable[str] = (),
        cannot_see: Iterable[str] = (),
    ) -> None:
        self.entries.append(
            Entry(
                at=time.monotonic() - self.started,
                who=who,
                did=did,
                call=short(call),
                sees=tuple(sees),
                cannot_see=tuple(cannot_see),
            )
        )

    def render(self) -> str:
        rule = "=" * max(len(self.title), 20)
        body = "\n".join(entry.render() for entry in self.entries)
        return f"{rule}\n{self.title}\n{rule}\n{body}\n"

    def __str__(self) -> str:
        return self.render()

    @contextmanager
    def attached_to_failure(self) -> Iterator[None]:
        """An exception leaving the block carries the timeline so far (as a note)."""
        try:
            yield
        except Exception as exc:
            exc.add_note(self.render())
            raise


class Actor:
    """One demo user calling the services over HTTP with their own Keycloak token."""

    def __init__(
        self,
        username: str,
        *,
        http: httpx.AsyncClient,
        tokens: TokenSource,
        services: Mapping[str, str],
        timeline: Timeline,
    ) -> None:
        self.username = username
        self.http = http
        self.tokens = tokens
        self.services = dict(services)
        self.timeline = timeline
        self.where = ""

    async def identify(self) -> Actor:
        """Reads the caller's verified claims (`GET /v1/me`) to say where they work."""
        me = (await self.call("GET", "repatriation", "/v1/me")).json()
        parts = [me.get("country") or "no country", me.get("agency") or ""]
        post = me.get("border_post") or me.get("consular_post")
        if post:
            parts.append(post)
        self.where = " · ".join(p for p in parts if p)
        return self

    @property
    def who(self) -> str:
        return f"{self.username} ({self.where})" if self.where else self.username

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        accept: str | None = None,
        headers: Mapping[str, str | bytes] | None = None,
    ) -> httpx.Response:
        given: dict[str, str | bytes] = {
            **(headers or {}),
            "Authorization": f"Bearer {self.tokens.get(self.username)}",
        }
        if accept:
            given["Accept"] = accept
        # As bytes, so a value in UTF-8 (a purpose typed with accents) goes as it is.
        sent = {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in given.items()}
        response = await self.http.request(
            method,
            f"{self.services[service]}{path}",
            json=json,
            params=dict(params) if params else None,
            headers=sent,
        )
        response.extensions["puebla_service"] = service
        return response

    async def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        return await self.call("GET", service, path, params=params or None)

    async def read_sensitive(self, case_id: str, purpose: str) -> httpx.Response:
        """A child case's sensitive sections; the purpose goes in the `Puebla-Purpose` header
        (UTF-8), never in the URL."""
        return await self.call(
            "GET",
            "child_protection",
            f"/v1/cases/{case_id}/sensitive",
            headers={"Puebla-Purpose": purpose.encode()},
        )

    async def post(self, service: str, path: str, json: Any = None) -> httpx.Response:
        return await self.call("POST", service, path, json=json)

    async def put(self, service: str, path: str, json: Any = None) -> httpx.Response:
        return await self.call("PUT", service, path, json=json)

    def record(
        self,
        did: str,
        response: httpx.Response,
        *,
        sees: Iterable[str] = (),
        cannot_see: Iterable[str] = (),
    ) -> httpx.Response:
        """One line of the timeline for one call; returns the response for chaining."""
        self.timeline.add(self.who, did, describe(response), sees=sees, cannot_see=cannot_see)
        return response

    def note(
        self, did: str, call: str = "", *, sees: Iterable[str] = (), cannot_see: Iterable[str] = ()
    ) -> None:
        """A line for a batch of calls or a wait, summarised by the journey."""
        self.timeline.add(self.who, did, call, sees=sees, cannot_see=cannot_see)


def describe(response: httpx.Response) -> str:
    """`consular GET /v1/notifications?related_id=… → 200`"""
    request = response.request
    service = response.extensions.get("puebla_service", "")
    target = unquote_plus(request.url.raw_path.decode())
    return f"{service} {request.method} {target} → {response.status_code}".strip()
