"""What a service process holds: settings, database engine, NATS connection.

The API process and the worker process of a service both build one `Runtime` from the
service's `ServiceDefinition`; each applies the migrations on start (under an advisory lock).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nats.aio.client import Client
from nats.js import JetStreamContext
from pydantic_settings import BaseSettings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from puebla.config import PlatformSettings
from puebla.db.engine import make_engine, make_session_factory
from puebla.db.migrations import upgrade_to_head
from puebla.messaging.nats import connect, ensure_streams
from puebla.observability import get_logger, instrument_engine

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str  # "repatriation"
    service_dir: Path  # holds alembic.ini and migrations/
    database_url: str
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    pool_size: int = 10

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
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    async def start(
        cls, definition: ServiceDefinition, *, with_nats: bool = True, migrate: bool = True
    ) -> Runtime:
        engine = make_engine(definition.database_url, pool_size=definition.pool_size)
        instrument_engine(engine)
        if migrate:
            await upgrade_to_head(engine, definition.service_dir)
        runtime = cls(definition, engine, make_session_factory(engine))
        if with_nats:
            runtime.nats = await connect(
                definition.platform.nats_servers, name=f"{definition.name}-{id(runtime):x}"
            )
            runtime.js = runtime.nats.jetstream()
            await ensure_streams(runtime.js, replicas=definition.platform.nats_stream_replicas)
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


ServiceFactory = Callable[[], ServiceDefinition]


def local_database_url(database: str) -> str:
    """The local stack's database for a service (trust auth on loopback, dev only)."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"


class ServiceSettings(BaseSettings):
    """Base of each service's `Settings`; subclasses set `env_prefix` and the defaults."""

    database_url: str
    port: int
    pool_size: int = 10
