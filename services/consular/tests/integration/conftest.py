"""Integration tests run each test on a database of its own (migrated by the real migrations,
dropped afterwards), so the scheduler and the mailer, which act on every due record, see only
what the test made. No NATS: the outbox is read in the database, and nothing these tests make
reaches the running stack."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from consular.bootstrap import Consular
from consular.config import SERVICE_DIR, definition
from consular.entrypoints.api.app import create_app
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client

# 18:00 UTC on 10 March 2026 = 12:00 in Tapachula (America/Mexico_City, UTC-6 all year).
START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(infra: Infra, clock: FrozenClock) -> AsyncIterator[Runtime]:
    async with scratch_database(infra, "consular_it", SERVICE_DIR) as db:
        yield Runtime(
            dataclasses.replace(definition(), database_url=db.url), db.engine, db.sessions
        )


@pytest.fixture
def svc(runtime: Runtime, clock: FrozenClock) -> Consular:
    """The service as the API and the worker build it, on the test's frozen clock."""
    return Consular(runtime, clock=clock)


@pytest_asyncio.fixture(loop_scope="session")
async def http(runtime: Runtime, clock: FrozenClock, tokens: KeycloakTokens) -> AsyncIterator[Any]:
    """The API on this test's database and clock, as one demo user or another:
    `await http("inm.mx").post(...)`."""
    async with app_client(create_app(runtime, clock=clock)) as client:

        class As:
            def __init__(self, username: str) -> None:
                self.headers = {"Authorization": f"Bearer {tokens.get(username)}"}

            async def get(self, url: str, **kwargs: Any) -> httpx.Response:
                return await client.get(url, headers=self.headers, **kwargs)

            async def post(self, url: str, json: Any = None) -> httpx.Response:
                return await client.post(url, json=json, headers=self.headers)

        yield As
