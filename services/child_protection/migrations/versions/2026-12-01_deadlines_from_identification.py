"""Deadlines count from the child's identification (`identified_at`), not from the opening
(DOMAIN.md §2), and `overdue_after` lets `GET /v1/cases?overdue=` filter in SQL.

Existing cases are recomputed here in SQL, from the same columns the aggregate uses: each
stage is due at `identified_at` + its allowance in the case's own `deadline_rule` (kept from the
day the case opened); it is met once its milestone is in `reached`. `next_deadline_at` (the
scheduler's: open cases, stages not yet reported overdue) and `overdue_after` (every missing act)
are the earliest of those due times (`LEAST` skips NULLs; all NULL → NULL).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_deadlines_identified_at"
down_revision = "0002_child_cases"

# milestone in `reached` → its allowance in `deadline_rule`
_STAGES = (
    ("notified", "notification_seconds"),
    ("interviewed", "interview_seconds"),
    ("assessed", "bia_seconds"),
    ("determined", "bid_seconds"),
)


def _due(stage: str, allowance: str, *, unreported: bool, start: str) -> str:
    due = f"{start} + make_interval(secs => (deadline_rule->>'{allowance}')::double precision)"
    condition = f"NOT (reached ? '{stage}')"
    if unreported:
        condition += f" AND NOT (overdue_reported ? '{stage}')"
    return f"CASE WHEN {condition} THEN {due} END"


def _earliest(*, unreported: bool, start: str = "identified_at") -> str:
    dues = (_due(s, a, unreported=unreported, start=start) for s, a in _STAGES)
    return "LEAST(" + ", ".join(dues) + ")"


def upgrade() -> None:
    op.add_column(
        "child_case", sa.Column("overdue_after", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        f"UPDATE child_case SET overdue_after = {_earliest(unreported=False)},"
        f" next_deadline_at = CASE WHEN closed_at IS NULL THEN {_earliest(unreported=True)} END"
    )


def downgrade() -> None:
    op.drop_column("child_case", "overdue_after")
    next_from_opening = _earliest(unreported=True, start="opened_at")
    op.execute(
        f"UPDATE child_case SET next_deadline_at = CASE WHEN closed_at IS NULL"
        f" THEN {next_from_opening} END"
    )
