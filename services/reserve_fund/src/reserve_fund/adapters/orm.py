"""The reserve_fund tables (SQLAlchemy Core). Alembic owns the schema; these mirror it.

Money is NUMERIC(12, 2) everywhere and comes back as `Decimal`: no float on the path. The
budget's CHECK constraints are the last line of defence behind the row lock the handlers take
(`SELECT … FOR UPDATE`): even a buggy writer cannot leave a year with less than nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from puebla.db.tables import new_metadata

metadata = new_metadata()


def money(name: str, **kwargs: object) -> Column[object]:
    return Column(name, Numeric(12, 2, asdecimal=True), **kwargs)  # type: ignore[arg-type]


STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "info_requested",
    "approved",
    "rejected",
    "disbursed",
    "returned",
    "closed",
    "cancelled",
)

reference_seq = Sequence("application_reference_seq", metadata=metadata)

cap_rule = Table(
    "cap_rule",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    money("amount", nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
    UniqueConstraint("valid_from", name="uq_cap_rule_valid_from"),
)

approval_rule = Table(
    "approval_rule",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    money("threshold", nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    CheckConstraint("threshold >= 0", name="threshold_not_negative"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
    UniqueConstraint("valid_from", name="uq_approval_rule_valid_from"),
)

budget = Table(
    "budget",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    money("allocated", nullable=False, server_default=text("0")),
    money("reserved", nullable=False, server_default=text("0")),
    money("disbursed", nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("allocated >= 0", name="allocated_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("disbursed >= 0", name="disbursed_not_negative"),
    CheckConstraint("allocated - reserved - disbursed >= 0", name="available_not_negative"),
)

application = Table(
    "application",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("reference", Text, nullable=False, unique=True),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # who filed it (from the verified token)
    Column("requested_by", Text, nullable=False),
    Column("requesting_country", Text, nullable=False),
    Column("requested_by_role", Text, nullable=False),
    # the beneficiary: personal data, never in reports or events other than approved
    Column("beneficiary_given_names", Text, nullable=False),
    Column("beneficiary_surnames", Text, nullable=False),
    Column("beneficiary_sex", Text, nullable=False),
    Column("beneficiary_date_of_birth", Date, nullable=False),
    Column("beneficiary_nationality", Text, nullable=False),
    Column("current_country", Text, nullable=False),
    Column("categories", ARRAY(Text), nullable=False),
    Column("consent_given", Boolean, nullable=False),
    Column("consent_given_by", Text, nullable=False),
    Column("consent_recorded_at", DateTime(timezone=True), nullable=False),
    Column("justification", Text, nullable=False),
    Column("child_case_id", UUID(as_uuid=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=True),
    # review and decision
    Column("reviewed_by", Text, nullable=True),
    # Who reviewed (the token's `sub`): separation of duties compares this, not the username.
    Column("reviewer_subject", Text, nullable=True),
    Column("recommendation", Text, nullable=True),
    Column("review_note", Text, nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    Column("approvals_needed", Integer, nullable=False),
    money("requested_total", nullable=False),
    money("approved_total", nullable=False),
    money("released_total", nullable=False),
    Column("budget_year", Integer, ForeignKey("budget.year"), nullable=True),
    Column("rejection_reason", Text, nullable=True),
    Column("cancellation_reason", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="status_known"
    ),
    CheckConstraint("approvals_needed IN (1, 2)", name="approvals_needed_range"),
    CheckConstraint("requested_total > 0", name="requested_total_positive"),
    CheckConstraint("approved_total >= 0", name="approved_total_not_negative"),
    CheckConstraint("released_total >= 0", name="released_total_not_negative"),
    Index("ix_application_created_at_id", "created_at", "id"),
    Index("ix_application_budget_year", "budget_year"),
    Index("ix_application_requesting_country", "requesting_country", "created_at"),
    Index("ix_application_beneficiary_nationality", "beneficiary_nationality", "created_at"),
    Index("ix_application_child_case_id", "child_case_id"),
)

application_item = Table(
    "application_item",
    metadata,
    Column(
        "application_id",
        UUID(as_uuid=True),
        ForeignKey("application.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    money("amount", nullable=False),
    PrimaryKeyConstraint("application_id", "position", name="pk_application_item"),
    CheckConstraint("amount > 0", name="amount_positive"),
)

application_approval = Table(
    "application_approval",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "application_id",
        UUID(as_uuid=True),
        ForeignKey("application.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("approver", Text, nullable=False),
    # Who approved (the token's `sub`); NULL only on approvals recorded before it was kept.
    Column("approver_subject", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=True),
    # The backstop for "two different approvers": one approval per person per application,
    # by subject (one person may show under two usernames) and by username.
    UniqueConstraint("application_id", "approver", name="uq_application_approval_approver"),
    UniqueConstraint(
        "application_id", "approver_subject", name="uq_application_approval_approver_subject"
    ),
)

application_disbursement = Table(
    "application_disbursement",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column(
        "application_id",
        UUID(as_uuid=True),
        ForeignKey("application.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    money("amount", nullable=False),
    Column("purpose", Text, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("application_id", "position", name="uq_application_disbursement_position"),
    CheckConstraint("amount > 0", name="amount_positive"),
)

information_request = Table(
    "information_request",
    metadata,
    Column(
        "application_id",
        UUID(as_uuid=True),
        ForeignKey("application.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("asked_by", Text, nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("answer", Text, nullable=True),
    Column("answered_by", Text, nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    PrimaryKeyConstraint("application_id", "position", name="pk_information_request"),
)

# What the Fund knows of child cases, kept from child protection's events (never asked of it):
# enough to check that an application's `child_case_id` names a case whose BID decided return,
# and to hide the application from the child's own state while the case is blocked. Each fact
# carries the version of the event that set it (events of one case may arrive out of order).
child_case = Table(
    "child_case",
    metadata,
    Column("case_id", UUID(as_uuid=True), primary_key=True),
    Column("host_country", Text, nullable=False),
    Column("nationality", Text, nullable=False),
    Column("blocked_for_consulate", Boolean, nullable=True),  # NULL: not known yet
    Column("block_version", Integer, nullable=False, server_default=text("0")),
    Column("bid_decision", Text, nullable=True),
    Column("bid_version", Integer, nullable=False, server_default=text("0")),
    Column("closed", Boolean, nullable=False, server_default=text("false")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
