"""The audit chain's anchor (security review 6): `audit_checkpoint` (this service's signed
checkpoints), `audit_witness` (the other services'), both append-only, and a BEFORE TRUNCATE
guard on them and on `audit`."""

from alembic import op

from puebla.db.migrations import AUDIT_ANCHOR_2026_12_01, drop_audit_anchor, execute_all

revision = "0002_audit_anchor"
down_revision = "0001"


def upgrade() -> None:
    execute_all(op, AUDIT_ANCHOR_2026_12_01)


def downgrade() -> None:
    drop_audit_anchor(op)
