"""The consular tables (SQLAlchemy Core; the migrations create them, never `create_all`).

Reference data (versioned on `[valid_from, valid_to)`): `consular_post`, `subdivision`,
`mandatory_notification`, `notification_clock`, `departure_point`.
Records: `notification` (+ `notification_delivery`, one row per channel) and `verification`;
`source_key` (unique) makes the event-driven ones replay-safe; `withdrawal` remembers what was
taken back, keyed the same way.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Interval,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from puebla.db.reference import define_generation
from puebla.db.tables import new_metadata

metadata = new_metadata()

consular_post = Table(
    "consular_post",
    metadata,
    Column("code", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("country", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("host_country", Text, nullable=False),
    Column("jurisdiction", ARRAY(Text), nullable=False),
    Column("email", Text, nullable=False),
    # An invented (demo) address; a row added by hand is real unless marked (migration 0004).
    Column("placeholder", Boolean, nullable=False, server_default=false()),
)

subdivision = Table(
    "subdivision",
    metadata,
    Column("code", Text, primary_key=True),
    Column("country", Text, nullable=False),
    Column("names", ARRAY(Text), nullable=False),
)

mandatory_notification = Table(
    "mandatory_notification",
    metadata,
    Column("host_country", Text, primary_key=True),
    Column("nationality", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
)

notification_clock = Table(
    "notification_clock",
    metadata,
    Column("host_country", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("time_zone", Text, nullable=False),
    Column("send_within", Interval, nullable=False),
    Column("acknowledge_within", Interval, nullable=False),
)

# One row: a token the migrations' triggers change with every write to the reference tables
# (the four above and `departure_point` below), so a process may keep what it read of them
# (`ReferenceRepository`, `puebla.db.reference`).
reference_generation = define_generation(metadata)

departure_point = Table(
    "departure_point",
    metadata,
    Column("reception_point", Text, primary_key=True),
    Column("sending_country", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("state", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("station", Text, nullable=False),
)

notification = Table(
    "notification",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("reference", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("nationality", Text, nullable=False),
    Column("host_country", Text, nullable=False),
    Column("person", JSONB, nullable=True),
    Column("place", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("related_service", Text, nullable=True),
    Column("related_id", Text, nullable=True),
    Column("related_returnee_id", Text, nullable=True),
    Column("source_key", Text, nullable=True),
    Column("status", Text, nullable=False),
    Column("suppression_reason", Text, nullable=True),
    Column("consular_post", Text, nullable=True),
    Column("recipient_email", Text, nullable=True),
    Column("time_zone", Text, nullable=False),
    Column("person_requests_notification", Boolean, nullable=True),
    Column("person_objects_to_consular_action", Boolean, nullable=False),
    Column("mandatory", Boolean, nullable=False),
    Column("manifest", JSONB, nullable=True),
    Column("child_case_id", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("ack_due_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("acknowledged_at", DateTime(timezone=True), nullable=True),
    Column("acknowledged_by", Text, nullable=True),
    Column("overdue", Boolean, nullable=False),
    Column("escalated_at", DateTime(timezone=True), nullable=True),
    Column("withdrawn_reason", Text, nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("actions", JSONB, nullable=False),
    Column("reported_by", Text, nullable=True),
    Column("access", ARRAY(Text), nullable=False),
    Column("version", Integer, nullable=False),
    # Named as PostgreSQL named them: migration 0002 created them without the naming convention.
    UniqueConstraint("reference", name="notification_reference_key"),
    UniqueConstraint("source_key", name="notification_source_key_key"),
    # The list endpoints' keyset pages, by the caller's side (nationality or host country).
    Index("ix_notification_nationality_created", "nationality", "created_at", "id"),
    Index("ix_notification_host_created", "host_country", "created_at", "id"),
    Index("ix_notification_related", "related_service", "related_id"),
    # What the overdue scheduler scans: pending and not yet escalated.
    Index(
        "ix_notification_clock_running",
        "due_at",
        postgresql_where=text("status = 'pending' AND escalated_at IS NULL"),
    ),
    # What the worker routes again when the directory changes (migration 0004).
    Index("ix_notification_unroutable", "id", postgresql_where=text("status = 'unroutable'")),
    # The open notices operators watch, counted at every scrape (migration 0009).
    Index(
        "ix_notification_open",
        "nationality",
        "status",
        postgresql_where=text("status IN ('pending', 'unroutable')"),
    ),
    # A block on a child's case finds the Fund notice naming it (migration 0006).
    Index(
        "ix_notification_child_case_id",
        "child_case_id",
        postgresql_where=text("child_case_id IS NOT NULL"),
    ),
)

notification_delivery = Table(
    "notification_delivery",
    metadata,
    Column(
        "notification_id",
        UUID(as_uuid=True),
        ForeignKey("notification.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("channel", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # When the worker may try again (infrastructure, not domain state): NULL once sent.
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Index(
        "ix_notification_delivery_due", "next_attempt_at", postgresql_where=text("status <> 'sent'")
    ),
)

verification = Table(
    "verification",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("person", JSONB, nullable=False),
    Column("claimed_nationality", Text, nullable=False),
    Column("host_country", Text, nullable=False),
    Column("related_service", Text, nullable=False),
    Column("related_id", Text, nullable=False),
    Column("related_returnee_id", Text, nullable=True),
    Column("source_key", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", Text, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("reason", Text, nullable=True),
    Column("withdrawn_reason", Text, nullable=True),
    Column("withdrawn_at", DateTime(timezone=True), nullable=True),
    Column("access", ARRAY(Text), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("source_key", name="verification_source_key_key"),  # as notification's
    Index("ix_verification_nationality_requested", "claimed_nationality", "requested_at", "id"),
    Index("ix_verification_host_requested", "host_country", "requested_at", "id"),
    # `GET /v1/verifications?related_id=` (migration 0003).
    Index("ix_verification_related", "related_id", "requested_at", "id"),
    # The pending ones operators watch, counted at every scrape (migration 0009).
    Index(
        "ix_verification_pending",
        "claimed_nationality",
        "requested_at",
        postgresql_where=text("status = 'pending'"),
    ),
)

# What was taken back, by the `source_key` of the record it concerns, also before that record
# exists here: the consumers of one producer run apart, so a block or a removal may arrive
# before the event that makes the record; the record is then made withdrawn. `version` is the
# producer's aggregate version of the last event applied (an older one changes nothing);
# `withdrawn` is false once a later event lifted it (a cleared child-case block).
withdrawal = Table(
    "withdrawal",
    metadata,
    Column("source_key", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # Looked up by key prefix whatever the collation (migration 0005).
    Index(
        "ix_withdrawal_source_key_prefix",
        "source_key",
        postgresql_ops={"source_key": "text_pattern_ops"},
    ),
)
