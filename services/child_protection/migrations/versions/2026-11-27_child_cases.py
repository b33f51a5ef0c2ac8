"""Child cases (summary columns + version), their encrypted sensitive sections, the reference
sequence, and the reference data: deadline rules per country and reception points, seeded with
the rows `child_protection.domain.seed` held that day, written out here so that a later edit of
seed.py cannot change what this migration gives a fresh database."""

from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002_child_cases"
down_revision = "0001_platform"

# The Regional Guidelines for unaccompanied children were approved in 2009: every rule and post
# is in force from then on, until a country records otherwise.
_SEED_VALID_FROM = date(2009, 1, 1)
# DOMAIN.md defaults for every RCM member: notification 24 h, interview 72 h, BIA 15 d, BID 30 d.
_RCM_MEMBERS = ["BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US"]
# (code, country, name, child-protection authority received there, if any)
_RECEPTION_POINTS = [
    (
        "GT-TECUN-UMAN",
        "GT",
        "Ciudad Hidalgo - Tecún Umán",
        "Secretaría de Bienestar Social (SBS) and PGN",
    ),
    ("GT-EL-CARMEN", "GT", "Talismán - El Carmen", None),
    ("GT-LA-MESILLA", "GT", "La Mesilla", None),
    ("SV-LAS-CHINAMAS", "SV", "Las Chinamas", None),
    ("SV-LA-HACHADURA", "SV", "La Hachadura", "CONAPINA"),
    ("HN-CORINTO", "HN", "Corinto", "DINAF"),
    ("HN-AGUA-CALIENTE", "HN", "Agua Caliente", None),
    ("NI-EL-GUASAULE", "NI", "El Guasaule", "Ministerio de la Familia (MIFAN)"),
]


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE child_case_reference_seq START 1")
    op.create_table(
        "child_case",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("host_country", sa.Text, nullable=False),
        sa.Column("nationality", sa.Text, nullable=False),
        sa.Column("given_names", sa.Text, nullable=False),
        sa.Column("surnames", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=True),
        sa.Column("estimated_age", sa.Integer, nullable=True),
        sa.Column("languages", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("age_disputed", sa.Boolean, nullable=False),
        _ts("identified_at"),
        sa.Column("place_country", sa.Text, nullable=False),
        sa.Column("place_state", sa.Text, nullable=True),
        sa.Column("place_city", sa.Text, nullable=True),
        sa.Column("accompaniment", sa.Text, nullable=False),
        _ts("opened_at"),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("deadline_rule", JSONB, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("blocked_for_consulate", sa.Boolean, nullable=False),
        sa.Column("reached", JSONB, nullable=False),
        sa.Column("notifications", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("bid_decision", sa.Text, nullable=True),
        sa.Column("bid_decided_by", sa.Text, nullable=True),
        _ts("bid_decided_at", nullable=True),
        sa.Column("return_plan", JSONB, nullable=True),
        sa.Column("reception", JSONB, nullable=True),
        _ts("closed_at", nullable=True),
        sa.Column("closed_by", sa.Text, nullable=True),
        sa.Column("overdue_reported", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        _ts("next_deadline_at", nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_child_case"),
        sa.UniqueConstraint("reference", name="uq_child_case_reference"),
        sa.CheckConstraint("version >= 1", name="ck_child_case_version_positive"),
        sa.CheckConstraint(
            "nationality <> host_country", name="ck_child_case_nationality_not_host"
        ),
    )
    op.create_index("ix_child_case_host_opened", "child_case", ["host_country", "opened_at", "id"])
    op.create_index(
        "ix_child_case_nationality_opened", "child_case", ["nationality", "opened_at", "id"]
    )
    op.create_index(
        "ix_child_case_next_deadline",
        "child_case",
        ["next_deadline_at"],
        postgresql_where=sa.text("next_deadline_at IS NOT NULL AND closed_at IS NULL"),
    )
    op.create_table(
        "child_case_sensitive",
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_child_case_sensitive"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["child_case.id"],
            name="fk_child_case_sensitive_case_id_child_case",
            ondelete="CASCADE",
        ),
    )

    deadline_rule = op.create_table(
        "deadline_rule",
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("notification_hours", sa.Integer, nullable=False),
        sa.Column("interview_hours", sa.Integer, nullable=False),
        sa.Column("bia_days", sa.Integer, nullable=False),
        sa.Column("bid_days", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("country", "valid_from", name="pk_deadline_rule"),
        sa.CheckConstraint(
            "notification_hours > 0 AND interview_hours > 0 AND bia_days > 0 AND bid_days > 0",
            name="ck_deadline_rule_positive",
        ),
    )
    reception_point = op.create_table(
        "reception_point",
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("has_child_protection_authority", sa.Boolean, nullable=False),
        sa.Column("child_protection_authority", sa.Text, nullable=True),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_reception_point"),
    )
    op.bulk_insert(
        deadline_rule,
        [
            {
                "country": country,
                "valid_from": _SEED_VALID_FROM,
                "valid_to": None,
                "notification_hours": 24,
                "interview_hours": 72,
                "bia_days": 15,
                "bid_days": 30,
            }
            for country in _RCM_MEMBERS
        ],
    )
    op.bulk_insert(
        reception_point,
        [
            {
                "code": code,
                "country": country,
                "name": name,
                "has_child_protection_authority": authority is not None,
                "child_protection_authority": authority,
                "valid_from": _SEED_VALID_FROM,
                "valid_to": None,
            }
            for code, country, name, authority in _RECEPTION_POINTS
        ],
    )


def downgrade() -> None:
    op.drop_table("reception_point")
    op.drop_table("deadline_rule")
    op.drop_table("child_case_sensitive")
    op.drop_table("child_case")
    op.execute("DROP SEQUENCE child_case_reference_seq")
