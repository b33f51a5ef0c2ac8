"""Consular posts and reference data (seeded), notifications with deliveries, verifications.

Reference data comes from `consular.domain.seed`, the same rows the unit tests use; every row
carries its validity so that a change is a new row, made without a deploy.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from consular.domain import seed

revision = "0002_consular"
down_revision = "0001_platform"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    posts = op.create_table(
        "consular_post",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("host_country", sa.Text, nullable=False),
        sa.Column("jurisdiction", ARRAY(sa.Text), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('consulate', 'embassy')", name="kind"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    )
    subdivisions = op.create_table(
        "subdivision",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("names", ARRAY(sa.Text), nullable=False),
    )
    mandatory = op.create_table(
        "mandatory_notification",
        sa.Column("host_country", sa.Text, primary_key=True),
        sa.Column("nationality", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=True),
    )
    clocks = op.create_table(
        "notification_clock",
        sa.Column("host_country", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("send_within", sa.Interval, nullable=False),
        sa.Column("acknowledge_within", sa.Interval, nullable=False),
        sa.CheckConstraint(
            "send_within > interval '0' AND acknowledge_within >= send_within", name="periods"
        ),
    )
    departures = op.create_table(
        "departure_point",
        sa.Column("reception_point", sa.Text, primary_key=True),
        sa.Column("sending_country", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("city", sa.Text, nullable=False),
        sa.Column("station", sa.Text, nullable=False),
    )

    op.execute("CREATE SEQUENCE notification_reference_seq")
    op.create_table(
        "notification",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("reference", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("nationality", sa.Text, nullable=False),
        sa.Column("host_country", sa.Text, nullable=False),
        sa.Column("person", JSONB, nullable=True),
        sa.Column("place", JSONB, nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("related_service", sa.Text, nullable=True),
        sa.Column("related_id", sa.Text, nullable=True),
        sa.Column("related_returnee_id", sa.Text, nullable=True),
        sa.Column("source_key", sa.Text, nullable=True, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("suppression_reason", sa.Text, nullable=True),
        sa.Column("consular_post", sa.Text, nullable=True),
        sa.Column("recipient_email", sa.Text, nullable=True),
        sa.Column("time_zone", sa.Text, nullable=False),
        sa.Column("person_requests_notification", sa.Boolean, nullable=True),
        sa.Column("person_objects_to_consular_action", sa.Boolean, nullable=False),
        sa.Column("mandatory", sa.Boolean, nullable=False),
        sa.Column("manifest", JSONB, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=True),
        sa.Column("ack_due_at", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("acknowledged_at", TZ, nullable=True),
        sa.Column("acknowledged_by", sa.Text, nullable=True),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.Column("actions", JSONB, nullable=False),
        sa.Column("reported_by", sa.Text, nullable=True),
        sa.Column("access", ARRAY(sa.Text), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("status IN ('pending', 'acknowledged', 'suppressed')", name="status"),
        # A suppressed notification is never routed, clocked or sent (DOMAIN.md §4 "Never").
        sa.CheckConstraint(
            "status <> 'suppressed' OR (consular_post IS NULL AND sent_at IS NULL"
            " AND suppression_reason IS NOT NULL)",
            name="suppressed_unsent",
        ),
        sa.CheckConstraint(
            "status = 'suppressed' OR (consular_post IS NOT NULL AND due_at IS NOT NULL"
            " AND ack_due_at IS NOT NULL)",
            name="sendable_routed",
        ),
    )
    op.create_index(
        "ix_notification_nationality_created", "notification", ["nationality", "created_at", "id"]
    )
    op.create_index(
        "ix_notification_host_created", "notification", ["host_country", "created_at", "id"]
    )
    op.create_index("ix_notification_related", "notification", ["related_service", "related_id"])
    # What the overdue scheduler scans: pending and not yet escalated.
    op.create_index(
        "ix_notification_clock_running",
        "notification",
        ["due_at"],
        postgresql_where=sa.text("status = 'pending' AND escalated_at IS NULL"),
    )
    op.create_table(
        "notification_delivery",
        sa.Column(
            "notification_id",
            UUID(as_uuid=True),
            sa.ForeignKey("notification.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("next_attempt_at", TZ, nullable=True),
        sa.CheckConstraint("channel IN ('in_app', 'email')", name="channel"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    )
    op.create_index(
        "ix_notification_delivery_due",
        "notification_delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status <> 'sent'"),
    )

    op.create_table(
        "verification",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person", JSONB, nullable=False),
        sa.Column("claimed_nationality", sa.Text, nullable=False),
        sa.Column("host_country", sa.Text, nullable=False),
        sa.Column("related_service", sa.Text, nullable=False),
        sa.Column("related_id", sa.Text, nullable=False),
        sa.Column("related_returnee_id", sa.Text, nullable=True),
        sa.Column("source_key", sa.Text, nullable=False, unique=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("access", ARRAY(sa.Text), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status"),
        sa.CheckConstraint(
            "status <> 'rejected' OR reason IS NOT NULL", name="rejection_has_reason"
        ),
    )
    op.create_index(
        "ix_verification_nationality_requested",
        "verification",
        ["claimed_nationality", "requested_at", "id"],
    )
    op.create_index(
        "ix_verification_host_requested", "verification", ["host_country", "requested_at", "id"]
    )

    op.bulk_insert(
        posts, [{**row, "jurisdiction": list(row["jurisdiction"])} for row in seed.POSTS]
    )
    op.bulk_insert(
        subdivisions,
        [
            {"code": code, "country": code.split("-", 1)[0], "names": list(names)}
            for code, names in seed.MEXICAN_STATES.items()
        ],
    )
    op.bulk_insert(mandatory, [dict(row) for row in seed.MANDATORY_NOTIFICATIONS])
    op.bulk_insert(
        clocks,
        [
            {
                "host_country": row["host_country"],
                "valid_from": row["valid_from"],
                "valid_to": row["valid_to"],
                "time_zone": row["time_zone"],
                "send_within": timedelta(hours=row["send_within_hours"]),
                "acknowledge_within": timedelta(hours=row["acknowledge_within_hours"]),
            }
            for row in seed.CLOCKS
        ],
    )
    op.bulk_insert(departures, [dict(row) for row in seed.DEPARTURES])


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS verification, notification_delivery, notification,"
        " departure_point, notification_clock, mandatory_notification, subdivision,"
        " consular_post CASCADE"
    )
    op.execute("DROP SEQUENCE IF EXISTS notification_reference_seq")
