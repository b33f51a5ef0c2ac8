"""The Fund's API in-process on a scratch database of the session's own (migrated once,
dropped at the end), with real Keycloak tokens.

Approvals are charged to the budget of the year they happen in, so each test that moves money
gets a budget year no other test of the session has used (`next_year`: 2100, 2101, … — the
database is new, so every one is free) and an app whose clock runs in that year (`desk`).
`today_desk` runs on a fixed day, 15 June 2026 (its time of day still moves, so records keep
their order): eligibility depends on ages and on the rules in force that day, which must not
change as the calendar moves.

Defaults of `Desk.body()`: a Guatemalan adult with an illness, in Mexico, filed by Guatemala's
consul in Tapachula, asking USD 300.00.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import text

from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from reserve_fund.config import SERVICE_DIR, definition
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


# The session's database is its own, so no budget year of it was used before: each test that
# moves money takes the next one (the year after each stays a valid datetime year).
_YEARS = itertools.count(2100)


def next_year() -> int:
    return next(_YEARS)


async def claim_year(runtime: Runtime) -> int:
    """The next year, with its budget row (allocated 0) as a test of it finds it. The
    database is the session's own, so the row is always new: this cannot run out."""
    year = next_year()
    async with runtime.sessions() as session:
        await session.execute(text("INSERT INTO budget (year) VALUES (:y)"), {"y": year})
        await session.commit()
    return year


TODAY = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class TodayClock:
    """15 June 2026 (`TODAY`), whatever the calendar says; the time of day moves on with the
    real clock, so what is created later is still newer."""

    def __init__(self, day: datetime = TODAY) -> None:
        self.start = day
        self.started = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.started)


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
    async with scratch_database(infra, "reserve_fund_test", SERVICE_DIR) as db:
        rt = await service_runtime(infra, definition(), database=db.name)
        try:
            yield rt
        finally:
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


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def today_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app on `TodayClock`: 15 June 2026."""
    async with app_client(create_app(runtime, clock=TodayClock())) as http:
        yield http


@pytest_asyncio.fixture(loop_scope="session")
async def today_desk(today_client: httpx.AsyncClient, tokens: KeycloakTokens) -> Desk:
    """A `Desk` on 15 June 2026 (for eligibility, which depends on the day's ages and rules)."""
    return Desk(today_client, tokens, TODAY.year)
