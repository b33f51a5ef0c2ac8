"""The audit trail becomes a transparency log (issue 18): `audit_pending` (entries waiting for
their place), `audit_leaf` (the place each got), `audit_node` (the Merkle tree's perfect
subtrees), the checkpoints' `format`; the frozen DDL of that day, shared by every service."""

from alembic import op

from puebla.db.migrations import TRANSPARENCY_LOG_2026_12_02, drop_transparency_log, execute_all

revision = "0007_transparency_log"
down_revision = "0006_handover_stored_at"


def upgrade() -> None:
    execute_all(op, TRANSPARENCY_LOG_2026_12_02)


def downgrade() -> None:
    drop_transparency_log(op)
