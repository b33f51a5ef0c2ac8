"""The child_protection app in-process on its own test database, called with real Keycloak tokens
of the demo users (POLICY.md): `dif.mx`, `dif.mx.supervisor`, `dinaf.hn`, `sbs.gt`,
`consul.hn.tapachula`, …

`api` is the test's client: `await api.post("dif.mx", "/v1/cases", json=...)`; `outbox(case_id)`
and `audit(case_id)` read what the service committed for a case.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from child_protection.config import definition
from child_protection.entrypoints.api.app import create_app
from puebla.clock import Clock, utcnow
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from puebla_dev.testing.totp import DEMO_TOTP_SECRETS


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(runtime)) as http:
        yield http


class Api:
    def __init__(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens, clock: Clock | None = None
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.clock = clock  # the app's, when it is not the real one

    def headers(
        self, user: str | None, *, step_up: bool = False, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        """`step_up`: a token of the browser flow at acr 2 (password + OTP), as `/sensitive`
        needs, instead of the password grant's acr 1."""
        out = dict(extra or {})
        if user is not None:
            token = self.tokens.step_up(user) if step_up else self.tokens.get(user)
            out["Authorization"] = f"Bearer {token}"
        return out

    async def get(
        self,
        user: str | None,
        path: str,
        *,
        purpose: str | None = None,
        step_up: bool | None = None,
        **params: Any,
    ) -> httpx.Response:
        """`purpose` is sent as the `Puebla-Purpose` header (UTF-8), never in the query.
        `/sensitive` is read with an acr-2 token by the users who have a second factor (the
        child-protection demo users), unless `step_up` says otherwise."""
        if step_up is None:
            step_up = path.endswith("/sensitive") and user in DEMO_TOTP_SECRETS
        # Raw bytes: the purpose in UTF-8, as a client sends it.
        headers = [(k.encode(), v.encode()) for k, v in self.headers(user, step_up=step_up).items()]
        if purpose is not None:
            headers.append((b"Puebla-Purpose", purpose.encode()))
        return await self.client.get(path, headers=headers, params=params)

    async def post(self, user: str | None, path: str, json: Any, **headers: str) -> httpx.Response:
        return await self.client.post(path, headers=self.headers(user, extra=headers), json=json)

    async def put(self, user: str | None, path: str, json: Any, **headers: str) -> httpx.Response:
        return await self.client.put(path, headers=self.headers(user, extra=headers), json=json)

    async def open(self, user: str = "dif.mx", **overrides: Any) -> dict[str, Any]:
        if self.clock is not None:
            overrides.setdefault("identified_at", identified_before(self.clock()))
        response = await self.post(user, "/v1/cases", case_body(**overrides))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def api(client: httpx.AsyncClient, tokens: KeycloakTokens) -> Api:
    return Api(client, tokens)


def identified_before(opened: datetime) -> str:
    """Deadlines count from the identification: a child identified a little before the case is
    opened (on the hour, so that two bodies built in one test agree) has none overdue yet."""
    at = (opened - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return at.isoformat().replace("+00:00", "Z")


def case_body(**overrides: Any) -> dict[str, Any]:
    """A Honduran boy found alone in Tapachula, Mexico, shortly before now (the app's real
    clock); keys of `child` may be overridden with a `child` dict, everything else by name."""
    child = {
        "given_names": "Kevin Josué",
        "surnames": "Martínez Reyes",
        "sex": "M",
        "date_of_birth": "2012-04-09",
        "nationality": "HN",
        "languages": ["es"],
    }
    child.update(overrides.pop("child", {}))
    body: dict[str, Any] = {
        "child": child,
        "identified_at": identified_before(utcnow()),
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "accompaniment": "unaccompanied",
        "age_disputed": False,
        "protection_need": False,
        "trafficking_indicator": False,
    }
    body.update(overrides)
    return body


BIA_COMPLETE = {
    "safety": "No threats known at the mother's home.",
    "family": "Mother in San Pedro Sula; father absent.",
    "health": "Healthy; minor dehydration treated on arrival.",
    "education": "Finished 6th grade in 2024.",
    "child_views": "Wants to go back to his mother.",
    "child_views_absent_reason": None,
    "recommendation": "Return to the mother with DINAF follow-up.",
    "complete": True,
}

ORIGIN_COMPLETE = {
    "family_situation": "Mother works in a market; two younger siblings.",
    "home_situation": "Rented house, stable.",
    "risks_on_return": "None identified by DINAF's home visit.",
    "caregiver": {"name": "Rosa Reyes", "relationship": "mother"},
    "caregiver_agrees_and_able": True,
    "complete": True,
}

BID_RETURN = {
    "decision": "return",
    "reasons": "Safe family environment; the child wishes to return.",
    "panel": ["Lic. Ana Torres (DIF)", "Mtra. Laura Ruiz (PFPNNA)"],
    "child_views_considered": "He asked to return to his mother.",
}


@pytest.fixture
def bodies() -> dict[str, dict[str, Any]]:
    return {"bia": BIA_COMPLETE, "origin": ORIGIN_COMPLETE, "bid": BID_RETURN}


@pytest.fixture
def new_case_body() -> Any:
    return case_body


class Db:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def outbox(self, case_id: str | uuid.UUID) -> list[dict[str, Any]]:
        """The envelopes committed for the case, oldest first."""
        async with self.runtime.sessions() as session:
            rows = await session.execute(
                text("SELECT payload FROM outbox WHERE aggregateid = :id ORDER BY created_at, id"),
                {"id": str(case_id)},
            )
            return [dict(row[0]) for row in rows]

    async def audit(self, case_id: str | uuid.UUID) -> list[dict[str, Any]]:
        async with self.runtime.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT seq, actor, action, detail, at FROM audit"
                    " WHERE entity_type = 'child_case' AND entity_id = :id ORDER BY seq"
                ),
                {"id": str(case_id)},
            )
            return [dict(row._mapping) for row in rows]


@pytest.fixture
def db(runtime: Runtime) -> Db:
    return Db(runtime)
