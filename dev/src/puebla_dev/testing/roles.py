"""A scratch service database with the production split of roles, for the tests of it.

`role_separated_database` gives a new database of its own (unique name, so concurrent test
sessions never meet) whose roles are those of the local stack (`puebla_dev.devstack.postgres`):
`<db>_owner` owns everything and runs the service's migrations, `<db>` is what the service runs
as. The database and both roles are dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from puebla.db.engine import make_engine, make_session_factory
from puebla.db.migrations import upgrade_to_head
from puebla_dev.devstack import postgres as dev_postgres
from puebla_dev.testing.infra import Infra

__all__ = ["RoleSeparatedDatabase", "role_separated_database"]


@dataclass
class RoleSeparatedDatabase:
    name: str
    runtime_url: str  # as `<db>`: what the service's processes use
    owner_url: str  # as `<db>_owner`: migrations only
    superuser_url: str  # as postgres: what an operator with the cluster's keys could do
    runtime: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]  # on `runtime`

    @property
    def runtime_role(self) -> str:
        return dev_postgres.runtime_role(self.name)

    @property
    def owner_role(self) -> str:
        return dev_postgres.owner_role(self.name)


@asynccontextmanager
async def role_separated_database(
    infra: Infra, name: str, service_dir: Path, *, migrate_as_superuser_first: bool = False
) -> AsyncIterator[RoleSeparatedDatabase]:
    """`migrate_as_superuser_first`: the database is first migrated as postgres, before the
    roles exist, as the local stack's databases were before the split (the upgrade path)."""
    name = f"{name}_{uuid.uuid4().hex[:10]}"
    port = infra.pg_port
    await dev_postgres.ensure_databases([name], port)
    superuser_url = infra.database_url(name)
    if migrate_as_superuser_first:
        engine = make_engine(superuser_url, pool_size=1)
        try:
            await upgrade_to_head(engine, service_dir)
        finally:
            await engine.dispose()
    try:
        await dev_postgres.ensure_service_roles([name], port)
        runtime_url, owner_url = dev_postgres.service_urls(name, port)
        owner = make_engine(owner_url, pool_size=1)
        try:
            await upgrade_to_head(owner, service_dir, runtime_role=dev_postgres.runtime_role(name))
        finally:
            await owner.dispose()
        runtime = make_engine(runtime_url)
        try:
            yield RoleSeparatedDatabase(
                name,
                runtime_url,
                owner_url,
                superuser_url,
                runtime,
                make_session_factory(runtime),
            )
        finally:
            await runtime.dispose()
    finally:
        await dev_postgres.drop_database(name, port)
        await dev_postgres.drop_service_roles(name, port)
