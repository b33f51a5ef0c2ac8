"""What a service process holds: settings, database engine, NATS connection.

The API process and the worker process of a service both build one `Runtime` from the
service's `ServiceDefinition`; each applies the migrations on start (under an advisory lock)
unless `migrate_on_start` is off, with the owner's URL `migration_database_url` when one is set
(`puebla.db.migrations`: the runtime role `database_url` then gets only what it needs).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from pydantic_settings import BaseSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from puebla.config import PlatformSettings
from puebla.db.availability import database_unavailable
from puebla.db.engine import POOL_SIZE, make_engine, make_session_factory
from puebla.db.migrations import role_of, upgrade_to_head
from puebla.messaging.nats import connect, require_streams
from puebla.observability import get_logger, instrument_engine

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # "repatriation"
    service_dir: Path  # holds alembic.ini and migrations/
    database_url: str
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    pool_size: int = POOL_SIZE
    # The owner role's URL, for migrations only; None: `database_url` migrates (one role).
    migration_database_url: str | None = None
    # Off where migrations run apart (Kubernetes: an init container, `migrate_main`).
    migrate_on_start: bool = True

    @property
    def source(self) -> str:
        return f"puebla/{self.name}"


@dataclass
class Runtime:
    definition: ServiceDefinition
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    nats: Client | None = None
    js: JetStreamContext | None = None

    @classmethod
    async def start(
        cls, definition: ServiceDefinition, *, with_nats: bool = True, migrate: bool = True
    ) -> Runtime:
        engine = make_engine(definition.database_url, pool_size=definition.pool_size)
        if definition.platform.trace_statements:
            instrument_engine(engine)
        patience = definition.platform.startup_wait_seconds
        if migrate and definition.migrate_on_start:
            await patiently(
                "database", lambda: run_migrations(definition), database_unavailable, patience
            )
        runtime = cls(definition, engine, make_session_factory(engine))
        if with_nats:
            runtime.nats = await connect(
                definition.platform.nats_servers,
                name=f"{definition.name}-{id(runtime):x}",
                credentials=definition.platform.nats_credentials,
            )
            js = runtime.js = runtime.nats.jetstream()

            # The streams are declared by the deployment (the provisioner user), not by the
            # services, whose bus users may not create or change them; a service waits
            # until the streams it writes to are there.
            async def streams_declared() -> None:
                await require_streams(js, definition.name)

            await patiently("jetstream", streams_declared, jetstream_settling, patience)
        return runtime

    async def close(self) -> None:
        if self.nats is not None:
            with contextlib.suppress(Exception):
                await self.nats.drain()
        await self.engine.dispose()

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def nats_ready(self) -> bool:
        return self.nats is not None and self.nats.is_connected


async def run_migrations(definition: ServiceDefinition) -> None:
    """Upgrades the service's database to head with the owner's URL (or `database_url` when
    there is none) and grants the runtime role of `database_url` its rights."""
    url = definition.migration_database_url or definition.database_url
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        await upgrade_to_head(
            engine, definition.service_dir, runtime_role=role_of(definition.database_url)
        )
    finally:
        await engine.dispose()


def migrate_main(definition: ServiceDefinition) -> None:
    """`python -m <service>.entrypoints.migrate`: the migrations alone, then exit (Kubernetes
    runs it as an init container with the owner's URL; the services start with
    `<SERVICE>_MIGRATE_ON_START=false`)."""
    asyncio.run(
        patiently(
            "database",
            lambda: run_migrations(definition),
            database_unavailable,
            definition.platform.startup_wait_seconds,
        )
    )


def jetstream_settling(exc: BaseException) -> bool:
    """A cluster electing its meta or stream leaders answers "no responders", "temporarily
    unavailable" (both NATS errors) or not at all (a timeout): worth waiting for."""
    return isinstance(exc, NatsError | TimeoutError)


async def patiently(
    what: str,
    start: Callable[[], Awaitable[object]],
    transient: Callable[[BaseException], bool],
    patience: float,
    pause: float = 0.5,
) -> None:
    """Runs `start`, again every `pause` seconds while it fails for a transient reason (a
    database in crash recovery, a cluster electing leaders) and `patience` seconds have not
    passed: a process started by a supervisor right after such a fault comes up instead of
    crash-looping."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while True:
        try:
            await start()
            return
        except Exception as exc:
            if not transient(exc) or loop.time() > deadline:
                raise
            log.warning("startup.waiting", on=what, error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(pause)


def local_database_url(database: str) -> str:
    """The local stack's database for a service (trust auth on loopback, dev only)."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"


class ServiceSettings(BaseSettings):
    """Base of each service's `Settings`; subclasses set `env_prefix` and the defaults."""

    database_url: str
    # The database owner's URL, used only to migrate (`<SERVICE>_MIGRATION_DATABASE_URL`).
    migration_database_url: str | None = None
    migrate_on_start: bool = True
    port: int
    pool_size: int = POOL_SIZE

    def definition(self, name: str, service_dir: Path) -> ServiceDefinition:
        """The service's `ServiceDefinition` from these settings (every service's
        `config.definition()` is this call)."""
        return ServiceDefinition(
            name=name,
            service_dir=service_dir,
            database_url=self.database_url,
            migration_database_url=self.migration_database_url,
            migrate_on_start=self.migrate_on_start,
            platform=PlatformSettings(),
            pool_size=self.pool_size,
        )
