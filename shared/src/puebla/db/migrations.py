"""Alembic glue shared by the services: env.py and the first migration stay a few lines.

The platform tables' DDL is here as frozen literals (`PLATFORM_TABLES_2026_11_26`,
`AUDIT_ANCHOR_2026_12_01`, `TRANSPARENCY_LOG_2026_12_02`), not built from `puebla.db.tables`:
a migration must build tomorrow the database it built the day it was written, or fresh
databases and upgraded ones drift apart unnoticed. `puebla_dev.testing.migrations` checks
that what the migrations build is what the models say.

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
from typing import Any, Protocol

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from puebla.db.tables import APPEND_ONLY_TABLES

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


# FROZEN: never edit these statements. They are what every service's first migration
# (2026-11-26) created; a change to a platform table is a new migration in every service.
# One statement a string: asyncpg prepares each, and a prepared statement holds one command.
PLATFORM_TABLES_2026_11_26: tuple[str, ...] = (
    """
    CREATE TABLE audit (
        seq BIGSERIAL NOT NULL,
        id UUID NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        detail JSONB DEFAULT '{}'::jsonb NOT NULL,
        correlation_id TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        CONSTRAINT pk_audit PRIMARY KEY (seq),
        CONSTRAINT uq_audit_id UNIQUE (id)
    )
    """,
    "CREATE INDEX ix_audit_entity ON audit (entity_type, entity_id, seq)",
    """
    CREATE TABLE idempotency (
        subject TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER,
        body JSONB,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_idempotency PRIMARY KEY (subject, key)
    )
    """,
    """
    CREATE TABLE inbox (
        consumer TEXT NOT NULL,
        event_id UUID NOT NULL,
        type TEXT NOT NULL,
        outcome TEXT DEFAULT 'applied' NOT NULL,
        applied_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_inbox PRIMARY KEY (consumer, event_id)
    )
    """,
    """
    CREATE TABLE outbox (
        id UUID NOT NULL,
        aggregatetype TEXT NOT NULL,
        aggregateid TEXT NOT NULL,
        type TEXT NOT NULL,
        payload JSONB NOT NULL,
        headers JSONB DEFAULT '{}'::jsonb NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        published_at TIMESTAMP WITH TIME ZONE,
        attempts INTEGER DEFAULT 0 NOT NULL,
        last_error TEXT,
        CONSTRAINT pk_outbox PRIMARY KEY (id)
    )
    """,
    "CREATE INDEX ix_outbox_published_at ON outbox (published_at)",
    "CREATE INDEX ix_outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL",
    # Append-only: the database itself refuses to change or delete an audit entry. An operator
    # with superuser rights can still disable the trigger, which is what the hash chain is for.
    """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
)

# FROZEN: never edit these statements. They are what every service's audit-anchor migration
# (2026-12-01, security review 6) created: the checkpoint tables, append-only like `audit`,
# and a BEFORE TRUNCATE guard on all three (TRUNCATE fires no row trigger).
AUDIT_ANCHOR_2026_12_01: tuple[str, ...] = (
    """
    CREATE TABLE audit_checkpoint (
        seq BIGSERIAL NOT NULL,
        head TEXT NOT NULL,
        count BIGINT NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        CONSTRAINT pk_audit_checkpoint PRIMARY KEY (seq)
    )
    """,
    """
    CREATE TABLE audit_witness (
        service TEXT NOT NULL,
        seq BIGINT NOT NULL,
        head TEXT NOT NULL,
        count BIGINT NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        event_id UUID NOT NULL,
        received_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
        CONSTRAINT pk_audit_witness PRIMARY KEY (service, seq)
    )
    """,
    """
    CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_witness_no_truncate BEFORE TRUNCATE ON audit_witness
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_witness_append_only BEFORE UPDATE OR DELETE ON audit_witness
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
)


# FROZEN: never edit these statements. They are what every service's transparency-log
# migration (2026-12-02, issue 18) created: the audit trail becomes a Merkle tree in the
# structure of RFC 9162. Writers no longer take a lock: an entry is queued in `audit_pending`
# in its own transaction; the worker's sealer gives it its place in the log (`audit_leaf`)
# and stores the perfect subtrees it completes (`audit_node`, level 0 = the leaf hashes).
# Entries written before are queued too, so the log holds the whole trail. Signed tree heads
# are checkpoints of the format `puebla-audit-log/2`.
TRANSPARENCY_LOG_2026_12_02: tuple[str, ...] = (
    """
    CREATE TABLE audit_pending (
        seq BIGINT NOT NULL,
        CONSTRAINT pk_audit_pending PRIMARY KEY (seq)
    )
    """,
    "INSERT INTO audit_pending (seq) SELECT seq FROM audit",
    """
    CREATE TABLE audit_leaf (
        leaf_index BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        sealed_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_audit_leaf PRIMARY KEY (leaf_index),
        CONSTRAINT uq_audit_leaf_seq UNIQUE (seq)
    )
    """,
    """
    CREATE TABLE audit_node (
        level SMALLINT NOT NULL,
        position BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        CONSTRAINT pk_audit_node PRIMARY KEY (level, position)
    )
    """,
    "ALTER TABLE audit_checkpoint ADD COLUMN format TEXT DEFAULT 'puebla-audit-chain/1' NOT NULL",
    "ALTER TABLE audit_witness ADD COLUMN format TEXT DEFAULT 'puebla-audit-chain/1' NOT NULL",
    # A chain checkpoint's `seq` is an entry's, a tree head's its tree size: both may be 128.
    "ALTER TABLE audit_checkpoint DROP CONSTRAINT pk_audit_checkpoint",
    "ALTER TABLE audit_checkpoint ADD CONSTRAINT pk_audit_checkpoint PRIMARY KEY (format, seq)",
    "ALTER TABLE audit_witness DROP CONSTRAINT pk_audit_witness",
    "ALTER TABLE audit_witness ADD CONSTRAINT pk_audit_witness PRIMARY KEY (service, format, seq)",
    """
    CREATE TRIGGER audit_leaf_append_only BEFORE UPDATE OR DELETE ON audit_leaf
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_node_append_only BEFORE UPDATE OR DELETE ON audit_node
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_leaf_no_truncate BEFORE TRUNCATE ON audit_leaf
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
    """
    CREATE TRIGGER audit_node_no_truncate BEFORE TRUNCATE ON audit_node
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
)


def drop_transparency_log(op: Executes) -> None:
    """The downgrade of `TRANSPARENCY_LOG_2026_12_02`."""
    op.execute("DROP TABLE IF EXISTS audit_node, audit_leaf, audit_pending")
    for table, key in (("audit_witness", "service, seq"), ("audit_checkpoint", "seq")):
        # Back to the chain's keys: its heads alone (a tree head has no place there).
        op.execute(f"DELETE FROM {table} WHERE format <> 'puebla-audit-chain/1'")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({key})")
        op.execute(f"ALTER TABLE {table} DROP COLUMN format")


class Executes(Protocol):
    """What a migration hands in: Alembic's `op` (the module, or an `Operations`)."""

    def execute(self, sqltext: Any, *, execution_options: Any = None) -> None: ...


def execute_all(op: Executes, statements: tuple[str, ...]) -> None:
    """Runs frozen statements one by one (one command per prepared statement)."""
    for statement in statements:
        op.execute(statement)


def drop_audit_anchor(op: Executes) -> None:
    """The downgrade of `AUDIT_ANCHOR_2026_12_01`: its tables as they were named that day."""
    for table in ("audit", "audit_checkpoint", "audit_witness"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP TABLE IF EXISTS audit_witness, audit_checkpoint")


def drop_platform_tables(op: Executes) -> None:
    op.execute("DROP TABLE IF EXISTS idempotency, audit, inbox, outbox CASCADE")
    op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
