"""What operators watch is read at every scrape (`service_layer.monitoring`, issue 20): the
open notices (pending or unroutable) and the pending verifications, by nationality. Partial
indexes keep those counts to the open records, not every notice ever sent."""

import sqlalchemy as sa
from alembic import op

revision = "0009_monitoring_indexes"
down_revision = "0008_transparency_log"


def upgrade() -> None:
    op.create_index(
        "ix_notification_open",
        "notification",
        ["nationality", "status"],
        postgresql_where=sa.text("status IN ('pending', 'unroutable')"),
    )
    op.create_index(
        "ix_verification_pending",
        "verification",
        ["claimed_nationality", "requested_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_verification_pending", table_name="verification")
    op.drop_index("ix_notification_open", table_name="notification")
