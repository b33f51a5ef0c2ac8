"""A stage filter walks its own index (`GET /v1/cases?stage=`, issue 19's scale benchmark).

Newest first within a visibility branch, `ix_child_case_*_opened` walks every case of the
country and drops those of another stage: at 1,000,000 cases, `stage=closed` for Honduras
stepped over the 35,734 newest cases (still open) before it had a page, 18 ms in PostgreSQL.
With the stage after the country, each branch reads only that stage's cases, in order.
"""

from alembic import op

revision = "0007_stage_indexes"
down_revision = "0006_transparency_log"


def upgrade() -> None:
    op.create_index(
        "ix_child_case_host_stage_opened",
        "child_case",
        ["host_country", "stage", "opened_at", "id"],
    )
    op.create_index(
        "ix_child_case_nationality_stage_opened",
        "child_case",
        ["nationality", "stage", "opened_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_child_case_nationality_stage_opened", table_name="child_case")
    op.drop_index("ix_child_case_host_stage_opened", table_name="child_case")
