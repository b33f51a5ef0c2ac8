"""Withdrawn and unroutable records; the directory for every RCM member state; Mexico's
mandatory notification of detained nationals of the member states.

- `notification.status` gains `unroutable` (no post in the directory: kept, routed again) and
  `withdrawn` (taken back: a protection need found later, a cancelled Fund return), with
  `withdrawn_reason` and `withdrawn_at`; `verification.status` gains `withdrawn` likewise;
  a delivery can be `cancelled` (the notice was withdrawn before the channel delivered it).
- `withdrawal`: what was taken back, by the record's `source_key`, also before the record
  arrives (the consumers of one producer run apart).
- `consular_post.kind` gains `concurrent_accreditation`; `placeholder` marks the seeded rows,
  whose addresses are invented. Posts for every member state in every other one
  (`seed.DIRECTORY_EVERY_MEMBER`) and `seed.MEXICO_MANDATORY` are inserted, as seed.py held
  them that day: written out here, so that a later edit of seed.py changes no fresh database.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0004_withdrawals_directory"
down_revision = "0003_verification_related"

TZ = sa.DateTime(timezone=True)

_SEED_VALID_FROM = date(2006, 5, 1)  # every seeded row: from the Memorandum's month, open-ended
# (code, country, kind, city, host country, e-mail): no jurisdiction, every one a placeholder
_DIRECTORY = [
    (
        "CA-ACC-BELMOPAN",
        "CA",
        "concurrent_accreditation",
        "Ciudad de Guatemala",
        "BZ",
        "concurrente.belmopan@ca.example",
    ),
    (
        "CR-ACC-BELMOPAN",
        "CR",
        "concurrent_accreditation",
        "Ciudad de México",
        "BZ",
        "concurrente.belmopan@cr.example",
    ),
    (
        "DO-ACC-BELMOPAN",
        "DO",
        "concurrent_accreditation",
        "Ciudad de México",
        "BZ",
        "concurrente.belmopan@do.example",
    ),
    ("SV-EMB-BELMOPAN", "SV", "embassy", "Belmopan", "BZ", "embajada.belmopan@sv.example"),
    ("GT-EMB-BELMOPAN", "GT", "embassy", "Belmopan", "BZ", "embajada.belmopan@gt.example"),
    ("HN-EMB-BELMOPAN", "HN", "embassy", "Belmopan", "BZ", "embajada.belmopan@hn.example"),
    ("MX-EMB-BELMOPAN", "MX", "embassy", "Belmopan", "BZ", "embajada.belmopan@mx.example"),
    (
        "NI-ACC-BELMOPAN",
        "NI",
        "concurrent_accreditation",
        "Ciudad de Guatemala",
        "BZ",
        "concurrente.belmopan@ni.example",
    ),
    (
        "PA-ACC-BELMOPAN",
        "PA",
        "concurrent_accreditation",
        "Ciudad de México",
        "BZ",
        "concurrente.belmopan@pa.example",
    ),
    ("US-EMB-BELMOPAN", "US", "embassy", "Belmopan", "BZ", "embajada.belmopan@us.example"),
    ("BZ-EMB-OTTAWA", "BZ", "embassy", "Ottawa", "CA", "embajada.ottawa@bz.example"),
    ("CR-EMB-OTTAWA", "CR", "embassy", "Ottawa", "CA", "embajada.ottawa@cr.example"),
    ("DO-EMB-OTTAWA", "DO", "embassy", "Ottawa", "CA", "embajada.ottawa@do.example"),
    ("SV-EMB-OTTAWA", "SV", "embassy", "Ottawa", "CA", "embajada.ottawa@sv.example"),
    ("GT-EMB-OTTAWA", "GT", "embassy", "Ottawa", "CA", "embajada.ottawa@gt.example"),
    ("HN-EMB-OTTAWA", "HN", "embassy", "Ottawa", "CA", "embajada.ottawa@hn.example"),
    ("MX-EMB-OTTAWA", "MX", "embassy", "Ottawa", "CA", "embajada.ottawa@mx.example"),
    ("NI-EMB-OTTAWA", "NI", "embassy", "Ottawa", "CA", "embajada.ottawa@ni.example"),
    ("PA-EMB-OTTAWA", "PA", "embassy", "Ottawa", "CA", "embajada.ottawa@pa.example"),
    ("US-EMB-OTTAWA", "US", "embassy", "Ottawa", "CA", "embajada.ottawa@us.example"),
    ("BZ-EMB-SAN-JOSE", "BZ", "embassy", "San José", "CR", "embajada.sanjose@bz.example"),
    ("CA-EMB-SAN-JOSE", "CA", "embassy", "San José", "CR", "embajada.sanjose@ca.example"),
    ("DO-EMB-SAN-JOSE", "DO", "embassy", "San José", "CR", "embajada.sanjose@do.example"),
    ("SV-EMB-SAN-JOSE", "SV", "embassy", "San José", "CR", "embajada.sanjose@sv.example"),
    ("GT-EMB-SAN-JOSE", "GT", "embassy", "San José", "CR", "embajada.sanjose@gt.example"),
    ("HN-EMB-SAN-JOSE", "HN", "embassy", "San José", "CR", "embajada.sanjose@hn.example"),
    ("MX-EMB-SAN-JOSE", "MX", "embassy", "San José", "CR", "embajada.sanjose@mx.example"),
    ("NI-EMB-SAN-JOSE", "NI", "embassy", "San José", "CR", "embajada.sanjose@ni.example"),
    ("PA-EMB-SAN-JOSE", "PA", "embassy", "San José", "CR", "embajada.sanjose@pa.example"),
    ("US-EMB-SAN-JOSE", "US", "embassy", "San José", "CR", "embajada.sanjose@us.example"),
    (
        "BZ-ACC-SANTO-DOMINGO",
        "BZ",
        "concurrent_accreditation",
        "Ciudad de México",
        "DO",
        "concurrente.santodomingo@bz.example",
    ),
    (
        "CA-EMB-SANTO-DOMINGO",
        "CA",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@ca.example",
    ),
    (
        "CR-EMB-SANTO-DOMINGO",
        "CR",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@cr.example",
    ),
    (
        "SV-EMB-SANTO-DOMINGO",
        "SV",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@sv.example",
    ),
    (
        "GT-EMB-SANTO-DOMINGO",
        "GT",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@gt.example",
    ),
    (
        "HN-EMB-SANTO-DOMINGO",
        "HN",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@hn.example",
    ),
    (
        "MX-EMB-SANTO-DOMINGO",
        "MX",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@mx.example",
    ),
    (
        "NI-EMB-SANTO-DOMINGO",
        "NI",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@ni.example",
    ),
    (
        "PA-EMB-SANTO-DOMINGO",
        "PA",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@pa.example",
    ),
    (
        "US-EMB-SANTO-DOMINGO",
        "US",
        "embassy",
        "Santo Domingo",
        "DO",
        "embajada.santodomingo@us.example",
    ),
    (
        "BZ-EMB-SAN-SALVADOR",
        "BZ",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@bz.example",
    ),
    (
        "CA-EMB-SAN-SALVADOR",
        "CA",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@ca.example",
    ),
    (
        "CR-EMB-SAN-SALVADOR",
        "CR",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@cr.example",
    ),
    (
        "DO-EMB-SAN-SALVADOR",
        "DO",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@do.example",
    ),
    (
        "PA-EMB-SAN-SALVADOR",
        "PA",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@pa.example",
    ),
    (
        "US-EMB-SAN-SALVADOR",
        "US",
        "embassy",
        "San Salvador",
        "SV",
        "embajada.sansalvador@us.example",
    ),
    (
        "BZ-EMB-GUATEMALA",
        "BZ",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@bz.example",
    ),
    (
        "CA-EMB-GUATEMALA",
        "CA",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@ca.example",
    ),
    (
        "CR-EMB-GUATEMALA",
        "CR",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@cr.example",
    ),
    (
        "DO-EMB-GUATEMALA",
        "DO",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@do.example",
    ),
    (
        "PA-EMB-GUATEMALA",
        "PA",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@pa.example",
    ),
    (
        "US-EMB-GUATEMALA",
        "US",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        "embajada.guatemala@us.example",
    ),
    ("BZ-EMB-TEGUCIGALPA", "BZ", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@bz.example"),
    ("CA-EMB-TEGUCIGALPA", "CA", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@ca.example"),
    ("CR-EMB-TEGUCIGALPA", "CR", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@cr.example"),
    ("DO-EMB-TEGUCIGALPA", "DO", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@do.example"),
    ("SV-EMB-TEGUCIGALPA", "SV", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@sv.example"),
    ("GT-EMB-TEGUCIGALPA", "GT", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@gt.example"),
    ("MX-EMB-TEGUCIGALPA", "MX", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@mx.example"),
    ("NI-EMB-TEGUCIGALPA", "NI", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@ni.example"),
    ("PA-EMB-TEGUCIGALPA", "PA", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@pa.example"),
    ("US-EMB-TEGUCIGALPA", "US", "embassy", "Tegucigalpa", "HN", "embajada.tegucigalpa@us.example"),
    ("BZ-EMB-MEXICO", "BZ", "embassy", "Ciudad de México", "MX", "embajada.mexico@bz.example"),
    ("CA-EMB-MEXICO", "CA", "embassy", "Ciudad de México", "MX", "embajada.mexico@ca.example"),
    ("CR-EMB-MEXICO", "CR", "embassy", "Ciudad de México", "MX", "embajada.mexico@cr.example"),
    ("DO-EMB-MEXICO", "DO", "embassy", "Ciudad de México", "MX", "embajada.mexico@do.example"),
    ("PA-EMB-MEXICO", "PA", "embassy", "Ciudad de México", "MX", "embajada.mexico@pa.example"),
    ("US-EMB-MEXICO", "US", "embassy", "Ciudad de México", "MX", "embajada.mexico@us.example"),
    (
        "BZ-ACC-MANAGUA",
        "BZ",
        "concurrent_accreditation",
        "San José",
        "NI",
        "concurrente.managua@bz.example",
    ),
    ("CA-EMB-MANAGUA", "CA", "embassy", "Managua", "NI", "embajada.managua@ca.example"),
    ("CR-EMB-MANAGUA", "CR", "embassy", "Managua", "NI", "embajada.managua@cr.example"),
    ("DO-EMB-MANAGUA", "DO", "embassy", "Managua", "NI", "embajada.managua@do.example"),
    ("SV-EMB-MANAGUA", "SV", "embassy", "Managua", "NI", "embajada.managua@sv.example"),
    ("GT-EMB-MANAGUA", "GT", "embassy", "Managua", "NI", "embajada.managua@gt.example"),
    ("HN-EMB-MANAGUA", "HN", "embassy", "Managua", "NI", "embajada.managua@hn.example"),
    ("MX-EMB-MANAGUA", "MX", "embassy", "Managua", "NI", "embajada.managua@mx.example"),
    ("PA-EMB-MANAGUA", "PA", "embassy", "Managua", "NI", "embajada.managua@pa.example"),
    ("US-EMB-MANAGUA", "US", "embassy", "Managua", "NI", "embajada.managua@us.example"),
    (
        "BZ-ACC-PANAMA",
        "BZ",
        "concurrent_accreditation",
        "San José",
        "PA",
        "concurrente.panama@bz.example",
    ),
    ("CA-EMB-PANAMA", "CA", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@ca.example"),
    ("CR-EMB-PANAMA", "CR", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@cr.example"),
    ("DO-EMB-PANAMA", "DO", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@do.example"),
    ("SV-EMB-PANAMA", "SV", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@sv.example"),
    ("GT-EMB-PANAMA", "GT", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@gt.example"),
    ("HN-EMB-PANAMA", "HN", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@hn.example"),
    ("MX-EMB-PANAMA", "MX", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@mx.example"),
    ("NI-EMB-PANAMA", "NI", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@ni.example"),
    ("US-EMB-PANAMA", "US", "embassy", "Ciudad de Panamá", "PA", "embajada.panama@us.example"),
    (
        "BZ-EMB-WASHINGTON",
        "BZ",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@bz.example",
    ),
    (
        "CA-EMB-WASHINGTON",
        "CA",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@ca.example",
    ),
    (
        "CR-EMB-WASHINGTON",
        "CR",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@cr.example",
    ),
    (
        "DO-EMB-WASHINGTON",
        "DO",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@do.example",
    ),
    (
        "SV-EMB-WASHINGTON",
        "SV",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@sv.example",
    ),
    (
        "GT-EMB-WASHINGTON",
        "GT",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@gt.example",
    ),
    (
        "HN-EMB-WASHINGTON",
        "HN",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@hn.example",
    ),
    (
        "MX-EMB-WASHINGTON",
        "MX",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@mx.example",
    ),
    (
        "NI-EMB-WASHINGTON",
        "NI",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@ni.example",
    ),
    (
        "PA-EMB-WASHINGTON",
        "PA",
        "embassy",
        "Washington, D.C.",
        "US",
        "embajada.washington@pa.example",
    ),
]
# Mexico notifies a detained national of every other member state.
_MEXICO_MANDATORY = ["BZ", "CA", "CR", "DO", "SV", "GT", "HN", "NI", "PA", "US"]


def upgrade() -> None:
    for table in ("notification", "verification"):
        op.add_column(table, sa.Column("withdrawn_reason", sa.Text, nullable=True))
        op.add_column(table, sa.Column("withdrawn_at", TZ, nullable=True))
        op.create_check_constraint(
            "withdrawn_has_reason",
            table,
            "(status = 'withdrawn') = (withdrawn_reason IS NOT NULL)"
            " AND withdrawn_reason IN ('protection', 'removed', 'cancelled')",
        )

    op.drop_constraint("status", "notification", type_="check")
    op.create_check_constraint(
        "status",
        "notification",
        "status IN ('pending', 'acknowledged', 'suppressed', 'unroutable', 'withdrawn')",
    )
    op.drop_constraint("sendable_routed", "notification", type_="check")
    # Only pending and acknowledged notices are sure to be routed and clocked; an unroutable
    # one has no post yet, a withdrawn one may have been withdrawn while unroutable.
    op.create_check_constraint(
        "sendable_routed",
        "notification",
        "status IN ('suppressed', 'unroutable', 'withdrawn') OR (consular_post IS NOT NULL"
        " AND due_at IS NOT NULL AND ack_due_at IS NOT NULL)",
    )
    op.create_check_constraint(
        "unroutable_unsent",
        "notification",
        "status <> 'unroutable' OR (consular_post IS NULL AND sent_at IS NULL)",
    )
    # What the worker retries when the directory changes, and the operators' count.
    op.create_index(
        "ix_notification_unroutable",
        "notification",
        ["id"],
        postgresql_where=sa.text("status = 'unroutable'"),
    )

    op.drop_constraint("status", "verification", type_="check")
    op.create_check_constraint(
        "status", "verification", "status IN ('pending', 'confirmed', 'rejected', 'withdrawn')"
    )
    op.drop_constraint("status", "notification_delivery", type_="check")
    op.create_check_constraint(
        "status", "notification_delivery", "status IN ('pending', 'sent', 'failed', 'cancelled')"
    )

    op.create_table(
        "withdrawal",
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint("reason IN ('protection', 'removed', 'cancelled')", name="reason"),
    )

    op.drop_constraint("kind", "consular_post", type_="check")
    op.create_check_constraint(
        "kind", "consular_post", "kind IN ('consulate', 'embassy', 'concurrent_accreditation')"
    )
    # Rows added later by hand are real unless marked; every row seeded so far is invented.
    op.add_column(
        "consular_post",
        sa.Column("placeholder", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE consular_post SET placeholder = true")
    posts = sa.table(
        "consular_post",
        *(
            sa.column(name)
            for name in (
                "code",
                "valid_from",
                "valid_to",
                "country",
                "kind",
                "city",
                "host_country",
                "email",
                "placeholder",
            )
        ),
        sa.column("jurisdiction", sa.ARRAY(sa.Text)),
    )
    op.bulk_insert(
        posts,
        [
            {
                "code": code,
                "country": country,
                "kind": kind,
                "city": city,
                "host_country": host_country,
                "jurisdiction": [],
                "email": email,
                "valid_from": _SEED_VALID_FROM,
                "valid_to": None,
                "placeholder": True,
            }
            for code, country, kind, city, host_country, email in _DIRECTORY
        ],
    )
    mandatory = sa.table(
        "mandatory_notification",
        *(sa.column(n) for n in ("host_country", "nationality", "valid_from", "valid_to")),
    )
    op.bulk_insert(
        mandatory,
        [
            {
                "host_country": "MX",
                "nationality": nationality,
                "valid_from": _SEED_VALID_FROM,
                "valid_to": None,
            }
            for nationality in _MEXICO_MANDATORY
        ],
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM mandatory_notification WHERE host_country = 'MX' AND valid_from = '2006-05-01'"
    )
    codes = [code for code, *_ in _DIRECTORY]
    op.execute(sa.text("DELETE FROM consular_post WHERE code = ANY(:c)").bindparams(c=codes))
    op.drop_column("consular_post", "placeholder")
    op.drop_constraint("kind", "consular_post", type_="check")
    op.create_check_constraint("kind", "consular_post", "kind IN ('consulate', 'embassy')")
    op.drop_table("withdrawal")
    op.drop_index("ix_notification_unroutable", table_name="notification")
    op.drop_constraint("unroutable_unsent", "notification", type_="check")
    for table in ("notification", "verification"):
        op.drop_constraint("withdrawn_has_reason", table, type_="check")
        op.drop_column(table, "withdrawn_at")
        op.drop_column(table, "withdrawn_reason")
