"""Protection needs found after a person was put on a manifest (`protection_removal`), and the
hand-over reason `returned_to_station` for people not presented (a bus that turned back)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004_protection_removal"
down_revision = "0003_reference_data_seed"

HANDOVER_REASON_RULE = (
    "CASE handover_outcome"
    " WHEN 'refused' THEN handover_reason IS NOT NULL"
    " WHEN 'not_presented' THEN handover_reason IS NULL"
    " OR handover_reason = 'returned_to_station'"
    " ELSE handover_reason IS NULL END"
)


def upgrade() -> None:
    op.create_table(
        "protection_removal",
        sa.Column("returnee_id", UUID(as_uuid=True), nullable=False),
        sa.Column("manifest_id", UUID(as_uuid=True), nullable=False),
        sa.Column("given_names", sa.Text, nullable=False),
        sa.Column("surnames", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("nationality", sa.Text, nullable=False),
        sa.Column("family_group", sa.Text, nullable=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("family_of", UUID(as_uuid=True), nullable=True),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("returnee_id", name="pk_protection_removal"),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["manifest.id"],
            name="fk_protection_removal_manifest_id_manifest",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "kind IN ('asylum', 'fear_of_return', 'refugee', 'trafficking')",
            name="ck_protection_removal_kind",
        ),
    )
    op.create_index("ix_protection_removal_manifest_id", "protection_removal", ["manifest_id"])
    op.drop_constraint("ck_returnee_refusal_reason", "returnee", type_="check")
    op.create_check_constraint(
        op.f("ck_returnee_handover_reason"), "returnee", HANDOVER_REASON_RULE
    )


def downgrade() -> None:
    op.drop_constraint("ck_returnee_handover_reason", "returnee", type_="check")
    op.create_check_constraint(
        op.f("ck_returnee_refusal_reason"),
        "returnee",
        "(handover_outcome = 'refused') = (handover_reason IS NOT NULL)",
    )
    op.drop_index("ix_protection_removal_manifest_id", table_name="protection_removal")
    op.drop_table("protection_removal")
