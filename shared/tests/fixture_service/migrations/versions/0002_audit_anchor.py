"""The audit chain's anchor (security review 6): `audit_checkpoint` (this service's signed
checkpoints), `audit_witness` (the other services'), both append-only, and a BEFORE TRUNCATE
guard on them and on `audit`."""

from alembic import op

from puebla.db.migrations import add_audit_anchor, drop_audit_anchor

revision = "0002_audit_anchor"
down_revision = "0001"


def upgrade() -> None:
    add_audit_anchor(op)


def downgrade() -> None:
    drop_audit_anchor(op)
