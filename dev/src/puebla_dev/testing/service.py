"""Running a service in-process for its API and integration tests.

`service_runtime` gives the service its own test database (`<name>_test`, migrated by the
service's real migrations) and a NATS connection, apart from the databases of a running
local stack, so tests never race the stack's own workers for outbox rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from puebla.db.engine import make_engine, make_session_factory
from puebla.db.migrations import upgrade_to_head
from puebla.messaging.nats import connect, ensure_streams
from puebla.runtime import Runtime, ServiceDefinition
from puebla_dev.devstack import postgres as dev_postgres
from puebla_dev.testing.infra import Infra

__all__ = ["app_client", "service_runtime"]


async def service_runtime(
    infra: Infra, definition: ServiceDefinition, *, database: str | None = None
) -> Runtime:
    name = database or f"{definition.name}_test"
    await dev_postgres.ensure_databases([name], infra.pg_port)
    definition = dataclasses.replace(definition, database_url=infra.database_url(name))
    engine = make_engine(definition.database_url, pool_size=definition.pool_size)
    await upgrade_to_head(engine, definition.service_dir)
    runtime = Runtime(definition, engine, make_session_factory(engine))
    admin = await connect(
        infra.nats_servers, name="test-streams", credentials=infra.nats_credentials("devadmin")
    )
    try:
        await ensure_streams(admin.jetstream())
    finally:
        await admin.close()
    # The service's own bus user, as in production: a test of it runs within its permissions.
    runtime.nats = await connect(
        infra.nats_servers,
        name=f"test-{definition.name}",
        credentials=infra.nats_credentials(definition.name),
    )
    runtime.js = runtime.nats.jetstream()
    return runtime


@asynccontextmanager
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app in-process, with its lifespan run (httpx does not run it)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
