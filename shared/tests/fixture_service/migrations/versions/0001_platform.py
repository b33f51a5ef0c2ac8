"""Platform tables plus a `note` table the library tests write to."""

import sqlalchemy as sa
from alembic import op

from puebla.db.migrations import PLATFORM_TABLES_2026_11_26, drop_platform_tables, execute_all

revision = "0001"
down_revision = None


def upgrade() -> None:
    execute_all(op, PLATFORM_TABLES_2026_11_26)
    op.create_table(
        "note",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("note")
    drop_platform_tables(op)
