"""Outbox, inbox and the append-only audit trail."""

from alembic import op

from puebla.db.migrations import create_platform_tables, drop_platform_tables

revision = "0001_platform"
down_revision = None


def upgrade() -> None:
    create_platform_tables(op)


def downgrade() -> None:
    drop_platform_tables(op)
