"""Platform tables plus a `note` table the library tests write to."""

import sqlalchemy as sa
from alembic import op

from puebla.db.migrations import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "note",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("note")
    drop_platform_tables(op)
