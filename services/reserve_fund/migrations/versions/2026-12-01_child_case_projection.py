"""`child_case`: what the Fund knows of child cases, kept from child protection's events.

One row per case named by `child.case.opened|determined|consular_block_set|
consular_block_cleared|closed.v1`; each fact carries the version of the event that set it.
`ix_application_child_case_id` serves the join that hides an application linked to a blocked
case from the child's own state.
"""

from alembic import op

revision = "0003_child_case"
down_revision = "0002_fund"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE child_case (
            case_id uuid CONSTRAINT pk_child_case PRIMARY KEY,
            host_country text NOT NULL,
            nationality text NOT NULL,
            blocked_for_consulate boolean,
            block_version integer NOT NULL DEFAULT 0,
            bid_decision text,
            bid_version integer NOT NULL DEFAULT 0,
            closed boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_application_child_case_id ON application (child_case_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_application_child_case_id")
    op.execute("DROP TABLE IF EXISTS child_case")
