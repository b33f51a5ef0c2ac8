"""`withdrawal` looked up by key prefix (`repatriation:<manifest id>:`): each manifest notice
reads what was withdrawn for its manifest before the notice was consumed. A pattern index keeps
that an index range scan whatever the database's collation, as the table grows with every
removal and protection need."""

from alembic import op

revision = "0005_withdrawal_prefix"
down_revision = "0004_withdrawals_directory"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_withdrawal_source_key_prefix ON withdrawal (source_key text_pattern_ops)"
    )


def downgrade() -> None:
    op.drop_index("ix_withdrawal_source_key_prefix", table_name="withdrawal")
