"""Integration tests share one database per session (migrated by the real migrations, dropped
afterwards), put back as the migrations left it before each test (`fresh`: a few
milliseconds), so the scheduler and the mailer, which act on every due record, see only what
the test made — and a test that edits the directory leaves it whole for the next. No NATS:
the outbox is read in the database, and nothing these tests make reaches the running stack."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from consular.bootstrap import Consular
from consular.config import SERVICE_DIR, definition
from consular.entrypoints.api.app import create_app
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, MigratedDatabase, scratch_database
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client

# 18:00 UTC on 10 March 2026 = 12:00 in Tapachula (America/Mexico_City, UTC-6 all year).
START = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


# What the migrations seed (the directory, the clocks...) is kept aside once, in this schema.
PRISTINE = "pristine"


@dataclasses.dataclass(frozen=True)
class Fresh:
    """Puts the database back as the migrations left it: every table emptied (its sequences
    restarted), the seeded ones filled again from `PRISTINE`."""

    tables: list[str]
    seeded: list[str]
    sequences: list[str]

    async def __call__(self, connection: AsyncConnection) -> None:
        # The audit tables' guards against TRUNCATE are triggers: not fired in replica mode.
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        listed = ", ".join(f'"{t}"' for t in self.tables)
        await connection.execute(text(f"TRUNCATE {listed} RESTART IDENTITY"))
        for table in self.seeded:
            await connection.execute(
                text(f'INSERT INTO "{table}" SELECT * FROM {PRISTINE}."{table}"')
            )
        for sequence in self.sequences:
            await connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


async def _keep_pristine(connection: AsyncConnection) -> Fresh:
    tables = list(
        (
            await connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            )
        ).scalars()
    )
    await connection.execute(text(f"CREATE SCHEMA {PRISTINE}"))
    seeded = []
    for table in tables:
        if (await connection.execute(text(f'SELECT EXISTS (SELECT FROM "{table}")'))).scalar():
            await connection.execute(
                text(f'CREATE TABLE {PRISTINE}."{table}" AS SELECT * FROM "{table}"')
            )
            seeded.append(table)
    sequences = list(
        (
            await connection.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            )
        ).scalars()
    )
    return Fresh(tables, seeded, sequences)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def database(infra: Infra) -> AsyncIterator[tuple[MigratedDatabase, Fresh]]:
    async with scratch_database(infra, "consular_it", SERVICE_DIR) as db:
        async with db.engine.begin() as connection:
            fresh = await _keep_pristine(connection)
        yield db, fresh


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(database: tuple[MigratedDatabase, Fresh]) -> Runtime:
    db, fresh = database
    async with db.engine.begin() as connection:
        await fresh(connection)
    return Runtime(dataclasses.replace(definition(), database_url=db.url), db.engine, db.sessions)


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
