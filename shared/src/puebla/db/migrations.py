"""Alembic glue shared by the services: env.py and the first migration stay a few lines.

Migrations run under a PostgreSQL advisory lock, so two processes starting together never race
on the schema, and with the database's *owner* role (`<SERVICE>_MIGRATION_DATABASE_URL`): the
service's runtime role (`<SERVICE>_DATABASE_URL`) owns nothing. After the upgrade, in the same
transaction, `grant_runtime_role` gives the runtime role what it needs: SELECT, INSERT, UPDATE,
DELETE on the service's tables, but only INSERT and SELECT on the append-only audit tables, and
TRUNCATE on none (security review 6). Where they run: on service start (API and worker alike)
in the local stack and compose; in Kubernetes in an init container of each Deployment
(`python -m <service>.entrypoints.migrate`), so the owner's credentials never reach the
service's own containers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.operations import Operations
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from puebla.db.tables import (
    APPEND_ONLY_TABLES,
    AUDIT_ANCHOR_SQL,
    AUDIT_APPEND_ONLY_SQL,
    define_audit_anchor_tables,
    define_platform_tables,
    new_metadata,
)

MIGRATION_LOCK = 0x50554542  # "PUEB": one lock id for all services; databases differ anyway


def alembic_config(service_dir: Path, url: str) -> Config:
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade_to_head(
    engine: AsyncEngine, service_dir: Path, *, runtime_role: str | None = None
) -> None:
    """Upgrades to head with `engine` (the owner's), then grants `runtime_role` its rights;
    `None`, or the engine's own user, means one role does both (a test, or a bare checkout)."""
    cfg = alembic_config(service_dir, engine.url.render_as_string(hide_password=False))

    def _run(sync_conn: Connection) -> None:
        sync_conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")
        if runtime_role and runtime_role != engine.url.username:
            grant_runtime_role(sync_conn, runtime_role)

    async with engine.begin() as conn:
        await conn.run_sync(_run)


def role_of(url: str) -> str | None:
    """The user name of a database URL: the role whose rights `grant_runtime_role` sets."""
    return make_url(url).username


def grant_runtime_role(conn: Connection, role: str) -> None:
    """What the runtime role may do, set again after every upgrade (so a new table is covered):
    read and write the service's tables and sequences; on the append-only tables only INSERT
    and SELECT; TRUNCATE, REFERENCES and TRIGGER nowhere; the Alembic version only read."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
    ]
    present = set(
        conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
    )
    statements += [
        f"REVOKE UPDATE, DELETE ON {table} FROM {quoted}"
        for table in APPEND_ONLY_TABLES
        if table in present
    ]
    for statement in statements:
        conn.execute(text(statement))


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


def add_audit_anchor(op: Operations) -> None:
    """Used by each service's audit-anchor migration: the checkpoint tables (own and the other
    services'), append-only like `audit`, and a TRUNCATE guard on all three."""
    metadata = new_metadata()
    define_audit_anchor_tables(metadata)
    metadata.create_all(op.get_bind())
    for statement in AUDIT_ANCHOR_SQL:
        op.execute(statement)


def drop_audit_anchor(op: Operations) -> None:
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP TABLE IF EXISTS audit_witness, audit_checkpoint")


def drop_platform_tables(op: Operations) -> None:
    op.execute("DROP TABLE IF EXISTS idempotency, audit, inbox, outbox CASCADE")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
