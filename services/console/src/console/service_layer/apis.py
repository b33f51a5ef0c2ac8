"""The APIs as one officer calls them: their token, their language, and the answers sorted
into what a page does with them.

- 2xx: the JSON (or bytes) answered.
- 401: the session is over (`SessionEnded`): sign in again.
- 404: `NotFound` — a "not found" page, never a hint that something exists.
- 403: `Forbidden`.
- 400/409/422: `Refused`, with the problem (its `errors[].field/rule`), for the form to show.
- anything else, or no answer: `Unavailable` — nothing was changed, or (a write with an
  `Idempotency-Key`) trying again changes it once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from console.adapters.apis import Apis
from console.domain.session import Session
from console.service_layer.sessions import SessionEnded, Sessions


@dataclass(frozen=True)
class FieldRefusal:
    field: str  # the API's field path, e.g. "people.3.birth_date" or "reason"
    rule: str
    detail: str = ""


@dataclass
class ApiError(Exception):
    service: str
    status: int
    problem: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.problem.get('detail', '')}"


class NotFound(ApiError):
    pass


class Forbidden(ApiError):
    pass


class Refused(ApiError):
    @property
    def code(self) -> str:
        """The rule that stopped it (a 409's `rule`, else the problem `type`'s last part)."""
        code = self.problem.get("rule")
        if isinstance(code, str) and code:
            return code
        return str(self.problem.get("type", "")).rstrip("/").rsplit("/", 1)[-1]

    @property
    def fields(self) -> list[FieldRefusal]:
        found = []
        if isinstance(self.problem.get("field"), str):  # a 409 naming the field it concerns
            found.append(FieldRefusal(str(self.problem["field"]), self.code))
        for error in self.problem.get("errors") or []:
            if isinstance(error, Mapping):
                found.append(
                    FieldRefusal(
                        field=str(error.get("field", "")),
                        rule=str(error.get("rule", "")),
                        detail=str(error.get("detail", error.get("message", ""))),
                    )
                )
        return found


class Unavailable(ApiError):
    pass


class StepUpNeeded(ApiError):
    """The API wants a stronger or fresher sign-in (RFC 9470: `WWW-Authenticate: Bearer
    error="insufficient_user_authentication", acr_values="2", max_age="300"`): the officer
    signs in again at that level and comes back to the same page."""

    @property
    def challenge(self) -> dict[str, str]:
        return dict(self.problem.get("_challenge", {}))

    @property
    def acr_values(self) -> str | None:
        return self.challenge.get("acr_values")

    @property
    def max_age(self) -> int | None:
        value = self.challenge.get("max_age", "")
        return int(value) if value.isdigit() else None


def bearer_challenge(header: str) -> dict[str, str]:
    """The parameters of a `Bearer` challenge: `error`, `acr_values`, `max_age`…"""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return {}
    found: dict[str, str] = {}
    for part in re.finditer(r'([a-zA-Z_]+)="([^"]*)"|([a-zA-Z_]+)=([^,\s]+)', rest):
        name = part.group(1) or part.group(3)
        found[name] = part.group(2) if part.group(1) else part.group(4)
    return found


def idempotency_key() -> str:
    """A key for one write the officer may send twice (a double click, a retry on a poor
    link): forms carry it, so the API applies the write once."""
    return secrets.token_urlsafe(18)


class OfficerApis:
    def __init__(self, apis: Apis, sessions: Sessions, session: Session, locale: str) -> None:
        self._apis = apis
        self._sessions = sessions
        self.session = session
        self.locale = locale

    async def get(self, service: str, path: str, **params: Any) -> Any:
        return (await self._send(service, "GET", path, params=params)).json()

    async def get_with(self, service: str, path: str, *, headers: Mapping[str, str]) -> Any:
        """A read that states something in a header (child_protection's `Puebla-Purpose`)."""
        return (await self._send(service, "GET", path, headers=headers)).json()

    async def get_bytes(self, service: str, path: str, *, accept: str) -> bytes:
        response = await self._send(service, "GET", path, headers={"Accept": accept})
        return response.content

    async def post(
        self,
        service: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        method: str = "POST",
    ) -> Any:
        headers = {"Idempotency-Key": key or idempotency_key()}
        response = await self._send(service, method, path, json=body, headers=headers)
        return response.json() if response.content else None

    async def delete(
        self, service: str, path: str, body: Any = None, *, key: str | None = None
    ) -> Any:
        return await self.post(service, path, body, key=key, method="DELETE")

    async def _send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        token = await self._sessions.access_token(self.session)
        try:
            response = await self._apis.send(
                service,
                method,
                path,
                token=token,
                locale=self.locale,
                params=params,
                json=json,
                headers=headers,
            )
        except httpx.HTTPError:
            raise Unavailable(service, 0) from None
        status = response.status_code
        if status < 300:
            return response
        problem = _problem(response)
        if status == 401:
            challenge = bearer_challenge(response.headers.get("www-authenticate", ""))
            if challenge.get("error") == "insufficient_user_authentication":
                raise StepUpNeeded(service, status, {**problem, "_challenge": challenge})
            raise SessionEnded(f"{service} refused the officer's token")
        if status == 404:
            raise NotFound(service, status, problem)
        if status == 403:
            raise Forbidden(service, status, problem)
        if status in (400, 409, 412, 413, 415, 422):
            raise Refused(service, status, problem)
        raise Unavailable(service, status, problem)


def _problem(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}
