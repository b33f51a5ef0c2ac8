"""The hand-over record both countries sign (issue 18): `unlisted_arrival` (people who arrived
without being on the manifest) and `handover_signature` (a side's signature of the record)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0008_handover_signatures"
down_revision = "0007_transparency_log"


def upgrade() -> None:
    op.create_table(
        "unlisted_arrival",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("manifest_id", UUID(as_uuid=True), nullable=False),
        sa.Column("given_names", sa.Text, nullable=False),
        sa.Column("surnames", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("nationality", sa.Text, nullable=False),
        sa.Column("officer", sa.Text, nullable=False),
        sa.Column("post", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unlisted_arrival"),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["manifest.id"],
            name="fk_unlisted_arrival_manifest_id_manifest",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("sex IN ('F', 'M', 'X')", name="ck_unlisted_arrival_sex"),
    )
    op.create_index("ix_unlisted_arrival_manifest_id", "unlisted_arrival", ["manifest_id"])
    op.create_table(
        "handover_signature",
        sa.Column("manifest_id", UUID(as_uuid=True), nullable=False),
        sa.Column("side", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("officer", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("objections", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "side", name="pk_handover_signature"),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["manifest.id"],
            name="fk_handover_signature_manifest_id_manifest",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("side IN ('sending', 'receiving')", name="ck_handover_signature_side"),
        sa.CheckConstraint("digest ~ '^[0-9a-f]{64}$'", name="ck_handover_signature_digest"),
    )


def downgrade() -> None:
    op.drop_table("handover_signature")
    op.drop_index("ix_unlisted_arrival_manifest_id", table_name="unlisted_arrival")
    op.drop_table("unlisted_arrival")
