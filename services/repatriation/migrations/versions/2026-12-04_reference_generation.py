"""The reference data's generation (issue 19, `puebla.db.reference`): a token that changes with
every statement that writes `reception_point`, `agreement` or `notice_rule`, so an API process
may keep what it read of them. A submission read all three tables inside its locked manifest
(three statements, a fifth of its CPU); now it reads one row, and the tables only after an
edit, which still takes effect without a restart."""

from alembic import op

from puebla.db.reference import create_generation, drop_generation

revision = "0009_reference_generation"
down_revision = "0008_handover_signatures"

TABLES = ("reception_point", "agreement", "notice_rule")


def upgrade() -> None:
    create_generation(op.execute, TABLES)


def downgrade() -> None:
    drop_generation(op.execute, TABLES)
