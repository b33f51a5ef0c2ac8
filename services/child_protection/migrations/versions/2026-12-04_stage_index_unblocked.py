"""The nationality branch's stage index holds only the cases that branch can see (issue 19).

That branch reads `nationality = X AND blocked_for_consulate IS FALSE AND stage = Y`, newest
first. 0007's index covered the first and last conditions, not the middle one, and on a fresh
seed of 1,000,000 cases PostgreSQL preferred `ix_child_case_nationality_opened` and filtered:
`stage=closed` for Honduras stepped over 35,734 open cases, 17.8 ms warm and 470 ms cold. An
index with the branch's own predicate leaves nothing to filter: 0.1 ms.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_stage_index_unblocked"
down_revision = "0007_stage_indexes"


def upgrade() -> None:
    op.drop_index("ix_child_case_nationality_stage_opened", table_name="child_case")
    op.create_index(
        "ix_child_case_nationality_stage_opened",
        "child_case",
        ["nationality", "stage", "opened_at", "id"],
        postgresql_where=sa.text("blocked_for_consulate IS FALSE"),
    )


def downgrade() -> None:
    op.drop_index("ix_child_case_nationality_stage_opened", table_name="child_case")
    op.create_index(
        "ix_child_case_nationality_stage_opened",
        "child_case",
        ["nationality", "stage", "opened_at", "id"],
    )
