"""The Fund's API in-process on its own test database, with real Keycloak tokens.

Approvals are charged to the budget of the year they happen in, so each test that moves money
gets a budget year no other test (and no earlier run) has used — claimed by inserting its row —
and an app whose clock runs in that year (`fund`). Everything else about time is real.

Defaults of `Desk.body()`: a Guatemalan adult with an illness, in Mexico, filed by Guatemala's
consul in Tapachula, asking USD 300.00.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import text

from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from reserve_fund.config import definition
from reserve_fund.entrypoints.api.app import create_app

CONSENT_AT = "2026-01-10T09:00:00+00:00"


class YearClock:
    """Real time, moved to `year`: approvals made through this app are charged to that year."""

    def __init__(self, year: int) -> None:
        self.year = year

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        try:
            return now.replace(year=self.year)
        except ValueError:  # 29 February in a common year
            return now.replace(year=self.year, day=28)


async def claim_year(runtime: Runtime) -> int:
    """A budget year nobody has used: its row is inserted here, so no other test gets it.
    Each full run claims about 60 of the 7,899 years; when they run out, say so."""
    async with runtime.sessions() as session:
        for _ in range(500):
            year = random.randint(2100, 9998)  # the year after stays a valid datetime year
            claimed = await session.execute(
                text("INSERT INTO budget (year) VALUES (:y) ON CONFLICT DO NOTHING RETURNING year"),
                {"y": year},
            )
            if claimed.first() is not None:
                await session.commit()
                return year
    raise AssertionError(
        "the reserve_fund_test database has used up its test budget years: drop it"
        " (dropdb -h 127.0.0.1 -U postgres reserve_fund_test); the next run recreates it"
    )


def body(**overrides: Any) -> dict[str, Any]:
    """A valid application body; `overrides` replace top-level fields."""
    fields: dict[str, Any] = {
        "beneficiary": {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-03-01",
            "nationality": "GT",
            "protection_need": False,
        },
        "current_country": "MX",
        "categories": ["injury_or_illness"],
        "voluntary_consent": {
            "given": True,
            "given_by": "beneficiary",
            "recorded_at": CONSENT_AT,
        },
        "items": [{"kind": "transport", "amount": "250.00"}, {"kind": "meals", "amount": "50.00"}],
        "justification": "Needs treatment at home; family in Quetzaltenango.",
    }
    fields.update(overrides)
    return fields


def items(*amounts: str) -> list[dict[str, str]]:
    return [{"kind": "transport", "amount": amount} for amount in amounts]


class Desk:
    """Drives the API as the demo users, one helper per step; each returns the response."""

    def __init__(self, client: httpx.AsyncClient, tokens: KeycloakTokens, year: int) -> None:
        self.client = client
        self.tokens = tokens
        self.year = year

    body = staticmethod(body)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.get(user)}"}

    async def post(self, user: str, path: str, json: Any = None, **headers: str) -> httpx.Response:
        return await self.client.post(path, json=json, headers={**self.auth(user), **headers})

    async def get(self, user: str, path: str, **headers: str) -> httpx.Response:
        return await self.client.get(path, headers={**self.auth(user), **headers})

    async def set_budget(self, allocated: str, user: str = "iom.approver") -> httpx.Response:
        return await self.client.put(
            f"/v1/budgets/{self.year}", json={"allocated": allocated}, headers=self.auth(user)
        )

    async def create(self, user: str = "consul.gt.tapachula", **overrides: Any) -> httpx.Response:
        return await self.post(user, "/v1/applications", body(**overrides))

    async def submit(self, app_id: str, user: str = "consul.gt.tapachula") -> httpx.Response:
        return await self.post(user, f"/v1/applications/{app_id}/submit")

    async def review(
        self, app_id: str, user: str = "iom.officer", recommendation: str = "approve"
    ) -> httpx.Response:
        return await self.post(
            user,
            f"/v1/applications/{app_id}/review",
            {"recommendation": recommendation, "note": "Eligible; costs checked."},
        )

    async def approve(self, app_id: str, user: str = "iom.approver") -> httpx.Response:
        return await self.post(user, f"/v1/applications/{app_id}/approve", {})

    async def read(self, app_id: str, user: str = "iom.officer") -> httpx.Response:
        return await self.get(user, f"/v1/applications/{app_id}")

    async def budget(self) -> dict[str, Any]:
        response = await self.get("iom.approver", f"/v1/budgets/{self.year}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def reviewed(self, user: str = "consul.gt.tapachula", **overrides: Any) -> str:
        """Created, submitted and reviewed (recommend approval); returns its id."""
        created = await self.create(user, **overrides)
        assert created.status_code == 201, created.text
        app_id: str = created.json()["id"]
        submitted = await self.submit(app_id, user)
        assert submitted.status_code == 200, submitted.text
        reviewed = await self.review(app_id)
        assert reviewed.status_code == 200, reviewed.text
        return app_id

    async def approved(self, user: str = "consul.gt.tapachula", **overrides: Any) -> str:
        app_id = await self.reviewed(user, **overrides)
        response = await self.approve(app_id)
        assert response.status_code == 200, response.text
        if response.json()["approvals_needed"] == 2:
            response = await self.approve(app_id, "iom.approver2")
            assert response.status_code == 200, response.text
        assert response.json()["status"] == "approved"
        return app_id


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the real clock."""
    async with app_client(create_app(runtime)) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def desk(runtime: Runtime, tokens: KeycloakTokens) -> AsyncIterator[Desk]:
    """A `Desk` on an app whose clock runs in a budget year of this test's own."""
    year = await claim_year(runtime)
    async with app_client(create_app(runtime, clock=YearClock(year))) as http:
        yield Desk(http, tokens, year)


@pytest_asyncio.fixture(loop_scope="session")
async def today_desk(client: httpx.AsyncClient, tokens: KeycloakTokens) -> Desk:
    """A `Desk` on the real clock (for eligibility, which depends on today's ages)."""
    return Desk(client, tokens, datetime.now(UTC).year)
