"""Alembic glue shared by the services: env.py and the first migration stay a few lines.

Migrations run on service start (API and worker alike) under a PostgreSQL advisory lock, so
two processes starting together never race on the schema.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from puebla.db.tables import AUDIT_APPEND_ONLY_SQL, define_platform_tables, new_metadata

MIGRATION_LOCK = 0x50554542  # "PUEB": one lock id for all services; databases differ anyway


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade_to_head(engine: AsyncEngine, service_dir: Path) -> None:
    cfg = alembic_config(service_dir, engine.url.render_as_string(hide_password=False))

    def _run(sync_conn: Connection) -> None:
        sync_conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


def run_env(target_metadata: MetaData | None) -> None:
    """The body of every service's `migrations/env.py`."""

    def do_migrations(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    given = context.config.attributes.get("connection")
    if given is not None:
        do_migrations(given)
        return

    async def _online() -> None:
        url = context.config.get_main_option("sqlalchemy.url")
        assert url, "sqlalchemy.url is not set"
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(do_migrations)
            await conn.commit()
        await engine.dispose()

    asyncio.run(_online())


def create_platform_tables(op: Operations) -> None:
    """Used by each service's first migration: outbox, inbox, idempotency, append-only audit."""
    metadata = new_metadata()
    define_platform_tables(metadata)
    bind = op.get_bind()
    metadata.create_all(bind)
    for statement in AUDIT_APPEND_ONLY_SQL:
        op.execute(statement)


def drop_platform_tables(op: Operations) -> None:
    op.execute("DROP TABLE IF EXISTS idempotency, audit, inbox, outbox CASCADE")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
