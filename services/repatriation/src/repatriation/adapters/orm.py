"""The repatriation tables (SQLAlchemy Core). Alembic owns the schema: the migrations create
exactly these (an integration test compares them), the repository and the queries use them.

- `manifest`: one row per manifest, with the columns lists filter on (sending and receiving
  country, reception point, status, created_at, id) and `version` for optimistic concurrency.
- `returnee`: one row per person on a manifest, with the consular decision and the hand-over.
  There is no column for a protection need: such a person is never admitted, so never stored.
- `protection_removal`: a person taken off a manifest because a protection need was found
  later (or a family member who left with them). Apart from `returnee` on purpose: every read
  the receiving country makes comes from `returnee`, so they are gone from all of them; only
  the sending officer's manifest read looks here.
- `unlisted_arrival`: a person who arrived at the reception point without being on the
  manifest, with the identity they gave there (in the hand-over record and its totals).
- `handover_signature`: one side's signature of a closed manifest's hand-over record (the
  digest it signed, its objections per person); a side signs once.
- Reference data with validity dates: `reception_point` (windows in local time, IANA zone),
  `agreement` (one row per period of a party's adherence), `notice_rule` (lead time per
  receiving country).
- `manifest_reference_seq`: the number in readable references such as MX-GT-2026-000123.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from puebla.db.reference import define_generation
from puebla.db.tables import define_audit_anchor_tables, define_platform_tables, new_metadata

metadata = new_metadata()
define_platform_tables(metadata)
define_audit_anchor_tables(metadata)  # audit_checkpoint, audit_witness

reference_seq = Sequence("manifest_reference_seq", metadata=metadata, start=1)

HANDOVER_COMPLETE_RULE = (
    "(handover_outcome IS NULL) = (handover_officer IS NULL)"
    " AND (handover_outcome IS NULL) = (handover_post IS NULL)"
    " AND (handover_outcome IS NULL) = (handed_over_at IS NULL)"
    " AND (handover_outcome IS NULL) = (handover_stored_at IS NULL)"
)
HANDOVER_REASON_RULE = (
    "CASE handover_outcome"
    " WHEN 'refused' THEN handover_reason IS NOT NULL"
    " WHEN 'not_presented' THEN handover_reason IS NULL"
    " OR handover_reason = 'returned_to_station'"
    " ELSE handover_reason IS NULL END"
)

MANIFEST_STATUSES = ("draft", "submitted", "dispatched", "arrived", "closed", "cancelled")

manifest = Table(
    "manifest",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("reference", Text, nullable=False, unique=True),
    Column("sending_country", Text, nullable=False),
    Column("receiving_country", Text, nullable=False),
    Column("reception_point", Text, nullable=False),
    Column("reception_time_zone", Text, nullable=False),
    Column("scheduled_departure", DateTime(timezone=True), nullable=False),
    Column("scheduled_arrival", DateTime(timezone=True), nullable=False),
    Column("vehicle_plate", Text, nullable=False),
    Column("vehicle_seats", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("late_notice", Boolean, nullable=False),
    Column("late_notice_reason", Text, nullable=True),
    Column("cancellation_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("arrived_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(f"status IN {MANIFEST_STATUSES!r}", name="status"),
    CheckConstraint("version >= 1", name="version"),
    CheckConstraint("vehicle_seats >= 1", name="vehicle_seats"),
    CheckConstraint("sending_country <> receiving_country", name="two_countries"),
    # Keyset pagination (created_at DESC, id DESC), alone and under each visibility filter.
    Index("ix_manifest_created", "created_at", "id"),
    Index("ix_manifest_sending_country_created", "sending_country", "created_at", "id"),
    Index("ix_manifest_receiving_country_created", "receiving_country", "created_at", "id"),
    Index("ix_manifest_reception_point_created", "reception_point", "created_at", "id"),
    Index("ix_manifest_status", "status"),
)

returnee = Table(
    "returnee",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "manifest_id",
        UUID(as_uuid=True),
        ForeignKey("manifest.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),  # order in which people were added
    Column("given_names", Text, nullable=False),
    Column("surnames", Text, nullable=False),
    Column("sex", Text, nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("nationality", Text, nullable=False),
    Column("place_of_origin", Text, nullable=False),
    Column("document_type", Text, nullable=True),
    Column("document_number", Text, nullable=True),
    Column("family_group", Text, nullable=True),
    Column("pregnant", Boolean, nullable=False),
    Column("disability", Boolean, nullable=False),
    Column("illness_or_injury", Boolean, nullable=False),
    Column("trafficking_indicator", Boolean, nullable=False),
    Column("age_disputed", Boolean, nullable=False),
    Column("nationality_status", Text, nullable=False),
    Column("nationality_rejection_reason", Text, nullable=True),
    Column("nationality_decided_at", DateTime(timezone=True), nullable=True),
    Column("handover_outcome", Text, nullable=True),
    Column("handover_reason", Text, nullable=True),
    Column("handover_officer", Text, nullable=True),
    Column("handover_post", Text, nullable=True),
    # The post's time (when the officer recorded it there; the record and the statistics
    # use it) and when Puebla stored it (later when the post was offline).
    Column("handed_over_at", DateTime(timezone=True), nullable=True),
    Column("handover_stored_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("sex IN ('F', 'M', 'X')", name="sex"),
    CheckConstraint(
        "nationality_status IN ('pending', 'confirmed', 'rejected')", name="nationality_status"
    ),
    CheckConstraint(
        "handover_outcome IS NULL OR handover_outcome IN ('received', 'not_presented', 'refused')",
        name="handover_outcome",
    ),
    # An outcome is recorded with its officer, post and times, or not at all.
    CheckConstraint(HANDOVER_COMPLETE_RULE, name="handover_complete"),
    # A refusal has a reason code; not presented at most `returned_to_station`; received none.
    CheckConstraint(HANDOVER_REASON_RULE, name="handover_reason"),
    UniqueConstraint("manifest_id", "position", name="uq_returnee_manifest_position"),
)

PROTECTION_NEED_KINDS = ("asylum", "fear_of_return", "refugee", "trafficking")

protection_removal = Table(
    "protection_removal",
    metadata,
    Column("returnee_id", UUID(as_uuid=True), primary_key=True),
    Column(
        "manifest_id",
        UUID(as_uuid=True),
        ForeignKey("manifest.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # Who the person was on the manifest, so the sending officer knows whom the record means.
    Column("given_names", Text, nullable=False),
    Column("surnames", Text, nullable=False),
    Column("sex", Text, nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("nationality", Text, nullable=False),
    Column("family_group", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("family_of", UUID(as_uuid=True), nullable=True),  # whose need took them off
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"kind IN {PROTECTION_NEED_KINDS!r}", name="kind"),
)

unlisted_arrival = Table(
    "unlisted_arrival",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "manifest_id",
        UUID(as_uuid=True),
        ForeignKey("manifest.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("given_names", Text, nullable=False),
    Column("surnames", Text, nullable=False),
    Column("sex", Text, nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("nationality", Text, nullable=False),
    Column("officer", Text, nullable=False),
    Column("post", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),  # the post's time
    Column("stored_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("sex IN ('F', 'M', 'X')", name="sex"),
)

handover_signature = Table(
    "handover_signature",
    metadata,
    Column(
        "manifest_id",
        UUID(as_uuid=True),
        ForeignKey("manifest.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("side", Text, primary_key=True),  # one signature per side
    Column("country", Text, nullable=False),
    Column("officer", Text, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("digest", Text, nullable=False),
    # [{"returnee_id": "…", "reason": "…"}]: the people whose outcome this side disputes.
    Column("objections", JSONB, nullable=False),
    CheckConstraint("side IN ('sending', 'receiving')", name="side"),
    CheckConstraint("digest ~ '^[0-9a-f]{64}$'", name="digest"),
)

reception_point = Table(
    "reception_point",
    metadata,
    Column("code", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),  # inclusive; NULL: until further notice
    Column("country", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("institution", Text, nullable=False),
    Column("time_zone", Text, nullable=False),  # IANA, e.g. America/Guatemala
    Column("window_opens", Time, nullable=False),  # local wall-clock times
    Column("window_closes", Time, nullable=False),
    Column("window_weekdays", ARRAY(SmallInteger), nullable=False),  # ISO 1 = Monday
    Column("vulnerable_window_opens", Time, nullable=False),
    Column("vulnerable_window_closes", Time, nullable=False),
    Column("vulnerable_window_weekdays", ARRAY(SmallInteger), nullable=False),
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    CheckConstraint("window_opens < window_closes", name="window"),
    CheckConstraint("vulnerable_window_opens < vulnerable_window_closes", name="vulnerable_window"),
)

agreement = Table(
    "agreement",
    metadata,
    Column("country", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
)

notice_rule = Table(
    "notice_rule",
    metadata,
    Column("receiving_country", Text, primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("lead_time_minutes", Integer, nullable=False),
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    CheckConstraint("lead_time_minutes >= 0", name="lead_time"),
)

# One row: a token the migrations' triggers change with every write to the three reference
# tables above, so a process may keep what it read of them (`puebla.db.reference`).
reference_generation = define_generation(metadata)
