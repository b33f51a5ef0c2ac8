"""SQLAlchemy Core tables of the child_protection service (the migrations create them).

- `child_case`: the summary and every plain record of a case, in plain columns: identity, place,
  stage (denormalised from the aggregate), the consular block, milestones, decisions, deadlines
  bookkeeping (`next_deadline_at` for the scheduler, `overdue_after` for lists), `version` for
  optimistic concurrency.
- `child_case_sensitive`: one row per case holding every sensitive section as ONE encrypted blob
  (JSON → AES-256-GCM), with the id of the key that sealed it and the nonce; the case id is the
  associated data, so a blob cannot be moved to another case.
- `deadline_rule`, `reception_point`: reference data with validity dates, seeded by migration.
- the platform tables (`outbox`, `audit`, …) are defined here only to be queried.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from puebla.db.tables import define_audit_anchor_tables, define_platform_tables, new_metadata

metadata = new_metadata()
outbox, inbox, audit, idempotency = define_platform_tables(metadata)
define_audit_anchor_tables(metadata)  # audit_checkpoint, audit_witness

# Readable references (CP-MX-2026-000042) take their number from here.
reference_sequence = Sequence("child_case_reference_seq", metadata=metadata)

child_case = Table(
    "child_case",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("reference", Text, nullable=False, unique=True),
    Column("host_country", Text, nullable=False),
    Column("nationality", Text, nullable=False),
    # the child (summary)
    Column("given_names", Text, nullable=False),
    Column("surnames", Text, nullable=False),
    Column("sex", Text, nullable=False),
    Column("date_of_birth", Date, nullable=True),
    Column("estimated_age", Integer, nullable=True),
    Column("languages", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("age_disputed", Boolean, nullable=False),
    Column("identified_at", DateTime(timezone=True), nullable=False),
    Column("place_country", Text, nullable=False),
    Column("place_state", Text, nullable=True),
    Column("place_city", Text, nullable=True),
    Column("accompaniment", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("deadline_rule", JSONB, nullable=False),  # the host's rule in force at opening
    # progress (plain)
    Column("stage", Text, nullable=False),
    Column("blocked_for_consulate", Boolean, nullable=False),
    Column("reached", JSONB, nullable=False),  # milestone → first recorded instant
    Column("notifications", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("bid_decision", Text, nullable=True),
    Column("bid_decided_by", Text, nullable=True),
    Column("bid_decided_at", DateTime(timezone=True), nullable=True),
    Column("return_plan", JSONB, nullable=True),
    Column("reception", JSONB, nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", Text, nullable=True),
    Column("overdue_reported", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    # the earliest due time still to be checked (NULL: nothing left to become overdue)
    Column("next_deadline_at", DateTime(timezone=True), nullable=True),
    # after this instant the case is overdue (the earliest due time of a missing act; NULL: none),
    # so that `?overdue=` is a WHERE clause, not a scan in Python
    Column("overdue_after", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("nationality <> host_country", name="nationality_not_host"),
    Index("ix_child_case_host_opened", "host_country", "opened_at", "id"),
    Index("ix_child_case_nationality_opened", "nationality", "opened_at", "id"),
    # `?stage=`: each visibility branch walks that stage's cases alone, newest first.
    Index("ix_child_case_host_stage_opened", "host_country", "stage", "opened_at", "id"),
    # …the nationality branch only over the cases it can see (its own predicate: migration 0008).
    Index(
        "ix_child_case_nationality_stage_opened",
        "nationality",
        "stage",
        "opened_at",
        "id",
        postgresql_where=text("blocked_for_consulate IS FALSE"),
    ),
    Index(
        "ix_child_case_next_deadline",
        "next_deadline_at",
        postgresql_where=text("next_deadline_at IS NOT NULL AND closed_at IS NULL"),
    ),
)

child_case_sensitive = Table(
    "child_case_sensitive",
    metadata,
    Column(
        "case_id",
        UUID(as_uuid=True),
        ForeignKey("child_case.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key_id", Text, nullable=False),
    Column("nonce", LargeBinary, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deadline_rule = Table(
    "deadline_rule",
    metadata,
    Column("country", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("notification_hours", Integer, nullable=False),
    Column("interview_hours", Integer, nullable=False),
    Column("bia_days", Integer, nullable=False),
    Column("bid_days", Integer, nullable=False),
)

# One row per version of a point's record (`code`, `valid_from`), like `deadline_rule`.
reception_point = Table(
    "reception_point",
    metadata,
    Column("code", Text, primary_key=True),
    Column("country", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("has_child_protection_authority", Boolean, nullable=False),
    Column("child_protection_authority", Text, nullable=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
)
