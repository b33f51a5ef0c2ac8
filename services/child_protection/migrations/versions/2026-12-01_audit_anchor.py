"""The audit chain's anchor (security review 6): `audit_checkpoint` (this service's signed
checkpoints), `audit_witness` (the other services'), both append-only, and a BEFORE TRUNCATE
guard on them and on `audit`; the frozen DDL of that day, shared by every service."""

from alembic import op

from puebla.db.migrations import AUDIT_ANCHOR_2026_12_01, drop_audit_anchor, execute_all

revision = "0005_audit_anchor"
down_revision = "0004_reception_points_cp"


def upgrade() -> None:
    execute_all(op, AUDIT_ANCHOR_2026_12_01)


def downgrade() -> None:
    drop_audit_anchor(op)
