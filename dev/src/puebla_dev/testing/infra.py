"""Session fixtures for the real PostgreSQL and NATS: reused if running, else started once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from puebla.db.engine import make_engine, make_session_factory
from puebla.db.migrations import upgrade_to_head
from puebla.messaging.nats import connect, ensure_streams
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack import postgres as dev_postgres

__all__ = [
    "Infra",
    "MigratedDatabase",
    "infra",
    "js",
    "migrated_database",
    "nats_client",
    "scratch_database",
]


@dataclass(frozen=True)
class Infra:
    pg_port: int
    nats_servers: list[str]

    def database_url(self, name: str) -> str:
        return dev_postgres.url(name, self.pg_port)

    def nats_credentials(self, user: str) -> Path:
        """A bus user's seed (the devstack's): a service's own, or `devadmin` for tests
        that publish any context's events."""
        return dev_nats.credentials(user)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    # The stack's ports (PUEBLA_PORT_OFFSET shifts them, with PUEBLA_VAR_DIR: a second stack).
    from puebla_dev.devstack import stack

    started_pg = dev_postgres.start(stack.pg_port())
    started_nats = not stack.external_nats() and dev_nats.start(
        port=stack.nats_port(),
        monitor_port=dev_nats.MONITOR_PORT + stack.port_offset(),
        leaf_port=dev_nats.LEAF_PORT + stack.port_offset(),
    )
    try:
        yield Infra(stack.pg_port(), stack.nats_servers())
    finally:
        if started_nats:
            dev_nats.stop()
        if started_pg:
            dev_postgres.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def nats_client(infra: Infra) -> AsyncIterator[Client]:
    client = await connect(
        infra.nats_servers, name="pytest", credentials=infra.nats_credentials("devadmin")
    )
    await ensure_streams(client.jetstream())
    yield client
    # close, not drain: tests leave pull subscriptions bound, and drain would wait 30 s.
    await client.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def js(nats_client: Client) -> JetStreamContext:
    return nats_client.jetstream()


@dataclass
class MigratedDatabase:
    name: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


async def migrated_database(
    infra: Infra, name: str, service_dir: Path, *, fresh: bool = False
) -> MigratedDatabase:
    """A database with a service's migrations applied. `fresh` gives a new, unique one."""
    if fresh:
        name = f"{name}_{uuid.uuid4().hex[:10]}"
    await dev_postgres.ensure_databases([name], infra.pg_port)
    url = infra.database_url(name)
    engine = make_engine(url)
    await upgrade_to_head(engine, service_dir)
    return MigratedDatabase(name, url, engine, make_session_factory(engine))


@asynccontextmanager
async def scratch_database(
    infra: Infra, name: str, service_dir: Path
) -> AsyncIterator[MigratedDatabase]:
    """A new migrated database of its own, dropped afterwards (test sessions leave none)."""
    db = await migrated_database(infra, name, service_dir, fresh=True)
    try:
        yield db
    finally:
        await db.engine.dispose()
        await dev_postgres.drop_database(db.name, infra.pg_port)
