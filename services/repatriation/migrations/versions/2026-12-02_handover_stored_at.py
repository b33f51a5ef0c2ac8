"""Hand-overs keep two times (issue 16): `handed_over_at` is now the post's time (when the
officer recorded the outcome at the reception point, possibly offline) and the new
`handover_stored_at` is when Puebla stored it. Until now both were the server's time of the
request, so existing outcomes get `handover_stored_at = handed_over_at`."""

import sqlalchemy as sa
from alembic import op

revision = "0006_handover_stored_at"
down_revision = "0005_audit_anchor"

OLD_RULE = (
    "(handover_outcome IS NULL) = (handover_officer IS NULL)"
    " AND (handover_outcome IS NULL) = (handover_post IS NULL)"
    " AND (handover_outcome IS NULL) = (handed_over_at IS NULL)"
)
NEW_RULE = OLD_RULE + " AND (handover_outcome IS NULL) = (handover_stored_at IS NULL)"


def upgrade() -> None:
    op.add_column("returnee", sa.Column("handover_stored_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE returnee SET handover_stored_at = handed_over_at WHERE handed_over_at IS NOT NULL"
    )
    op.drop_constraint("ck_returnee_handover_complete", "returnee", type_="check")
    op.create_check_constraint(op.f("ck_returnee_handover_complete"), "returnee", NEW_RULE)


def downgrade() -> None:
    op.drop_constraint("ck_returnee_handover_complete", "returnee", type_="check")
    op.create_check_constraint(op.f("ck_returnee_handover_complete"), "returnee", OLD_RULE)
    op.drop_column("returnee", "handover_stored_at")
