"""Outbox, inbox, idempotency and the append-only audit trail, as they were on 2026-11-26.

The DDL is the frozen literal every service's first migration shares; a later change to a
platform table is a new migration here (and in every other service)."""

from alembic import op

from puebla.db.migrations import PLATFORM_TABLES_2026_11_26, drop_platform_tables, execute_all

revision = "0001_platform"
down_revision = None


def upgrade() -> None:
    execute_all(op, PLATFORM_TABLES_2026_11_26)


def downgrade() -> None:
    drop_platform_tables(op)
