"""Manifests, returnees, versioned reference data and the reference-number sequence."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "0002_manifest_tables"
down_revision = "0001_platform"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE manifest_reference_seq START WITH 1")

    op.create_table(
        "manifest",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("sending_country", sa.Text, nullable=False),
        sa.Column("receiving_country", sa.Text, nullable=False),
        sa.Column("reception_point", sa.Text, nullable=False),
        sa.Column("reception_time_zone", sa.Text, nullable=False),
        sa.Column("scheduled_departure", TZ, nullable=False),
        sa.Column("scheduled_arrival", TZ, nullable=False),
        sa.Column("vehicle_plate", sa.Text, nullable=False),
        sa.Column("vehicle_seats", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("late_notice", sa.Boolean, nullable=False),
        sa.Column("late_notice_reason", sa.Text, nullable=True),
        sa.Column("cancellation_reason", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("submitted_at", TZ, nullable=True),
        sa.Column("dispatched_at", TZ, nullable=True),
        sa.Column("arrived_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("cancelled_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_manifest"),
        sa.UniqueConstraint("reference", name="uq_manifest_reference"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'dispatched', 'arrived', 'closed', 'cancelled')",
            name="ck_manifest_status",
        ),
        sa.CheckConstraint("version >= 1", name="ck_manifest_version"),
        sa.CheckConstraint("vehicle_seats >= 1", name="ck_manifest_vehicle_seats"),
        sa.CheckConstraint(
            "sending_country <> receiving_country", name="ck_manifest_two_countries"
        ),
    )
    op.create_index("ix_manifest_created", "manifest", ["created_at", "id"])
    op.create_index(
        "ix_manifest_sending_country_created", "manifest", ["sending_country", "created_at", "id"]
    )
    op.create_index(
        "ix_manifest_receiving_country_created",
        "manifest",
        ["receiving_country", "created_at", "id"],
    )
    op.create_index(
        "ix_manifest_reception_point_created", "manifest", ["reception_point", "created_at", "id"]
    )
    op.create_index("ix_manifest_status", "manifest", ["status"])

    op.create_table(
        "returnee",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("manifest_id", UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("given_names", sa.Text, nullable=False),
        sa.Column("surnames", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("nationality", sa.Text, nullable=False),
        sa.Column("place_of_origin", sa.Text, nullable=False),
        sa.Column("document_type", sa.Text, nullable=True),
        sa.Column("document_number", sa.Text, nullable=True),
        sa.Column("family_group", sa.Text, nullable=True),
        sa.Column("pregnant", sa.Boolean, nullable=False),
        sa.Column("disability", sa.Boolean, nullable=False),
        sa.Column("illness_or_injury", sa.Boolean, nullable=False),
        sa.Column("trafficking_indicator", sa.Boolean, nullable=False),
        sa.Column("age_disputed", sa.Boolean, nullable=False),
        sa.Column("nationality_status", sa.Text, nullable=False),
        sa.Column("nationality_rejection_reason", sa.Text, nullable=True),
        sa.Column("nationality_decided_at", TZ, nullable=True),
        sa.Column("handover_outcome", sa.Text, nullable=True),
        sa.Column("handover_reason", sa.Text, nullable=True),
        sa.Column("handover_officer", sa.Text, nullable=True),
        sa.Column("handover_post", sa.Text, nullable=True),
        sa.Column("handed_over_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_returnee"),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["manifest.id"],
            name="fk_returnee_manifest_id_manifest",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("manifest_id", "position", name="uq_returnee_manifest_position"),
        sa.CheckConstraint("sex IN ('F', 'M', 'X')", name="ck_returnee_sex"),
        sa.CheckConstraint(
            "nationality_status IN ('pending', 'confirmed', 'rejected')",
            name="ck_returnee_nationality_status",
        ),
        sa.CheckConstraint(
            "handover_outcome IS NULL OR handover_outcome IN ('received', 'not_presented', 'refused')",
            name="ck_returnee_handover_outcome",
        ),
        sa.CheckConstraint(
            "(handover_outcome IS NULL) = (handover_officer IS NULL)"
            " AND (handover_outcome IS NULL) = (handover_post IS NULL)"
            " AND (handover_outcome IS NULL) = (handed_over_at IS NULL)",
            name="ck_returnee_handover_complete",
        ),
        sa.CheckConstraint(
            "(handover_outcome = 'refused') = (handover_reason IS NOT NULL)",
            name="ck_returnee_refusal_reason",
        ),
    )

    op.create_table(
        "reception_point",
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("institution", sa.Text, nullable=False),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("window_opens", sa.Time, nullable=False),
        sa.Column("window_closes", sa.Time, nullable=False),
        sa.Column("window_weekdays", ARRAY(sa.SmallInteger), nullable=False),
        sa.Column("vulnerable_window_opens", sa.Time, nullable=False),
        sa.Column("vulnerable_window_closes", sa.Time, nullable=False),
        sa.Column("vulnerable_window_weekdays", ARRAY(sa.SmallInteger), nullable=False),
        sa.PrimaryKeyConstraint("code", "valid_from", name="pk_reception_point"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_reception_point_validity"
        ),
        sa.CheckConstraint("window_opens < window_closes", name="ck_reception_point_window"),
        sa.CheckConstraint(
            "vulnerable_window_opens < vulnerable_window_closes",
            name="ck_reception_point_vulnerable_window",
        ),
    )

    op.create_table(
        "agreement",
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("country", "valid_from", name="pk_agreement"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_agreement_validity"
        ),
    )

    op.create_table(
        "notice_rule",
        sa.Column("receiving_country", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("lead_time_minutes", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("receiving_country", "valid_from", name="pk_notice_rule"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from", name="ck_notice_rule_validity"
        ),
        sa.CheckConstraint("lead_time_minutes >= 0", name="ck_notice_rule_lead_time"),
    )


def downgrade() -> None:
    op.drop_table("notice_rule")
    op.drop_table("agreement")
    op.drop_table("reception_point")
    op.drop_table("returnee")
    op.drop_table("manifest")
    op.execute("DROP SEQUENCE manifest_reference_seq")
