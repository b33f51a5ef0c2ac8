"""`notification.child_case_id`: the child's case a Reserve Fund return notice is about
(`fund.application.approved.v1` names it), so that a block set on that case later
(`child.case.consular_block_set.v1`) withdraws the Fund notice too. Looked up by case on every
block and clearing: a partial index, as most notices name none.

Notices made before this revision carry no case: the approval events are not kept here, so
there is nothing to fill it from."""

import sqlalchemy as sa
from alembic import op

revision = "0006_fund_notice_child_case"
down_revision = "0005_withdrawal_prefix"


def upgrade() -> None:
    op.add_column("notification", sa.Column("child_case_id", sa.Text(), nullable=True))
    op.create_index(
        "ix_notification_child_case_id",
        "notification",
        ["child_case_id"],
        postgresql_where=sa.text("child_case_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_child_case_id", table_name="notification")
    op.drop_column("notification", "child_case_id")
