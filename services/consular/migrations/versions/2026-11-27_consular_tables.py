"""Consular posts and reference data (seeded), notifications with deliveries, verifications.

Reference data is what `consular.domain.seed` held that day (the rows the unit tests use),
written out here so that a later edit of seed.py cannot change what this migration gives a
fresh database; every row carries its validity so that a change is a new row, made without a
deploy.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002_consular"
down_revision = "0001_platform"

TZ = sa.DateTime(timezone=True)

# Every seeded row: valid from the Memorandum's signature month, open-ended.
_SEED_VALID_FROM = date(2006, 5, 1)
_SEED_VALIDITY = {"valid_from": _SEED_VALID_FROM, "valid_to": None}

# The three jurisdictions in Mexico of each of GT, SV, HN and NI, a partition of its 32 states.
_TAPACHULA = ["MX-CHP", "MX-TAB", "MX-CAM", "MX-ROO", "MX-YUC"]
_ACAYUCAN = ["MX-VER", "MX-OAX", "MX-TAM"]
_MEXICO_CITY = [
    "MX-AGU",
    "MX-BCN",
    "MX-BCS",
    "MX-CHH",
    "MX-CMX",
    "MX-COA",
    "MX-COL",
    "MX-DUR",
    "MX-GUA",
    "MX-GRO",
    "MX-HID",
    "MX-JAL",
    "MX-MEX",
    "MX-MIC",
    "MX-MOR",
    "MX-NAY",
    "MX-NLE",
    "MX-PUE",
    "MX-QUE",
    "MX-SLP",
    "MX-SIN",
    "MX-SON",
    "MX-TLA",
    "MX-ZAC",
]
# (code, country, kind, city, host country, jurisdiction, e-mail)
_POSTS = [
    (
        "GT-CONS-TAPACHULA",
        "GT",
        "consulate",
        "Tapachula",
        "MX",
        _TAPACHULA,
        "consulado.tapachula@gt.example",
    ),
    (
        "GT-CONS-ACAYUCAN",
        "GT",
        "consulate",
        "Acayucan",
        "MX",
        _ACAYUCAN,
        "consulado.acayucan@gt.example",
    ),
    (
        "GT-CONS-MEXICO",
        "GT",
        "consulate",
        "Ciudad de México",
        "MX",
        _MEXICO_CITY,
        "consulado.mexico@gt.example",
    ),
    ("GT-EMB-MEXICO", "GT", "embassy", "Ciudad de México", "MX", [], "embajada.mexico@gt.example"),
    (
        "SV-CONS-TAPACHULA",
        "SV",
        "consulate",
        "Tapachula",
        "MX",
        _TAPACHULA,
        "consulado.tapachula@sv.example",
    ),
    (
        "SV-CONS-ACAYUCAN",
        "SV",
        "consulate",
        "Acayucan",
        "MX",
        _ACAYUCAN,
        "consulado.acayucan@sv.example",
    ),
    (
        "SV-CONS-MEXICO",
        "SV",
        "consulate",
        "Ciudad de México",
        "MX",
        _MEXICO_CITY,
        "consulado.mexico@sv.example",
    ),
    ("SV-EMB-MEXICO", "SV", "embassy", "Ciudad de México", "MX", [], "embajada.mexico@sv.example"),
    (
        "HN-CONS-TAPACHULA",
        "HN",
        "consulate",
        "Tapachula",
        "MX",
        _TAPACHULA,
        "consulado.tapachula@hn.example",
    ),
    (
        "HN-CONS-ACAYUCAN",
        "HN",
        "consulate",
        "Acayucan",
        "MX",
        _ACAYUCAN,
        "consulado.acayucan@hn.example",
    ),
    (
        "HN-CONS-MEXICO",
        "HN",
        "consulate",
        "Ciudad de México",
        "MX",
        _MEXICO_CITY,
        "consulado.mexico@hn.example",
    ),
    ("HN-EMB-MEXICO", "HN", "embassy", "Ciudad de México", "MX", [], "embajada.mexico@hn.example"),
    (
        "NI-CONS-TAPACHULA",
        "NI",
        "consulate",
        "Tapachula",
        "MX",
        _TAPACHULA,
        "consulado.tapachula@ni.example",
    ),
    (
        "NI-CONS-ACAYUCAN",
        "NI",
        "consulate",
        "Acayucan",
        "MX",
        _ACAYUCAN,
        "consulado.acayucan@ni.example",
    ),
    (
        "NI-CONS-MEXICO",
        "NI",
        "consulate",
        "Ciudad de México",
        "MX",
        _MEXICO_CITY,
        "consulado.mexico@ni.example",
    ),
    ("NI-EMB-MEXICO", "NI", "embassy", "Ciudad de México", "MX", [], "embajada.mexico@ni.example"),
    (
        "MX-EMB-GUATEMALA",
        "MX",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        [],
        "embajada.guatemala@mx.example",
    ),
    (
        "SV-EMB-GUATEMALA",
        "SV",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        [],
        "embajada.guatemala@sv.example",
    ),
    (
        "HN-EMB-GUATEMALA",
        "HN",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        [],
        "embajada.guatemala@hn.example",
    ),
    (
        "NI-EMB-GUATEMALA",
        "NI",
        "embassy",
        "Ciudad de Guatemala",
        "GT",
        [],
        "embajada.guatemala@ni.example",
    ),
    (
        "MX-EMB-SAN-SALVADOR",
        "MX",
        "embassy",
        "San Salvador",
        "SV",
        [],
        "embajada.sansalvador@mx.example",
    ),
    (
        "GT-EMB-SAN-SALVADOR",
        "GT",
        "embassy",
        "San Salvador",
        "SV",
        [],
        "embajada.sansalvador@gt.example",
    ),
    (
        "HN-EMB-SAN-SALVADOR",
        "HN",
        "embassy",
        "San Salvador",
        "SV",
        [],
        "embajada.sansalvador@hn.example",
    ),
    (
        "NI-EMB-SAN-SALVADOR",
        "NI",
        "embassy",
        "San Salvador",
        "SV",
        [],
        "embajada.sansalvador@ni.example",
    ),
]
# ISO 3166-2:MX, with the names an officer may type for each state.
_MEXICAN_STATES = {
    "MX-AGU": ["Aguascalientes"],
    "MX-BCN": ["Baja California"],
    "MX-BCS": ["Baja California Sur"],
    "MX-CAM": ["Campeche"],
    "MX-CHP": ["Chiapas"],
    "MX-CHH": ["Chihuahua"],
    "MX-CMX": ["Ciudad de México", "CDMX", "Mexico City", "Distrito Federal", "DF"],
    "MX-COA": ["Coahuila", "Coahuila de Zaragoza"],
    "MX-COL": ["Colima"],
    "MX-DUR": ["Durango"],
    "MX-GUA": ["Guanajuato"],
    "MX-GRO": ["Guerrero"],
    "MX-HID": ["Hidalgo"],
    "MX-JAL": ["Jalisco"],
    "MX-MEX": ["México", "Estado de México", "Edomex"],
    "MX-MIC": ["Michoacán", "Michoacán de Ocampo"],
    "MX-MOR": ["Morelos"],
    "MX-NAY": ["Nayarit"],
    "MX-NLE": ["Nuevo León"],
    "MX-OAX": ["Oaxaca"],
    "MX-PUE": ["Puebla"],
    "MX-QUE": ["Querétaro"],
    "MX-ROO": ["Quintana Roo"],
    "MX-SLP": ["San Luis Potosí"],
    "MX-SIN": ["Sinaloa"],
    "MX-SON": ["Sonora"],
    "MX-TAB": ["Tabasco"],
    "MX-TAM": ["Tamaulipas"],
    "MX-TLA": ["Tlaxcala"],
    "MX-VER": ["Veracruz", "Veracruz de Ignacio de la Llave"],
    "MX-YUC": ["Yucatán"],
    "MX-ZAC": ["Zacatecas"],
}
# (host country, nationality)
_MANDATORY = [("US", "BZ"), ("US", "CR")]
# host country → the zone of its capital; every clock: sent within 24 h, acknowledged within 72 h
_CLOCK_ZONES = {
    "BZ": "America/Belize",
    "CA": "America/Toronto",
    "CR": "America/Costa_Rica",
    "DO": "America/Santo_Domingo",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "MX": "America/Mexico_City",
    "NI": "America/Managua",
    "PA": "America/Panama",
    "SV": "America/El_Salvador",
    "US": "America/New_York",
}
# (reception point, sending country, state, city, station)
_DEPARTURES = [
    ("GT-TECUN-UMAN", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("GT-EL-CARMEN", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("GT-LA-MESILLA", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("SV-LAS-CHINAMAS", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("SV-LA-HACHADURA", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("HN-CORINTO", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("HN-AGUA-CALIENTE", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
    ("NI-EL-GUASAULE", "MX", "MX-CHP", "Tapachula", "Estación Migratoria Siglo XXI"),
]


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
        posts,
        [
            {
                "code": code,
                "country": country,
                "kind": kind,
                "city": city,
                "host_country": host_country,
                "jurisdiction": jurisdiction,
                "email": email,
                **_SEED_VALIDITY,
            }
            for code, country, kind, city, host_country, jurisdiction, email in _POSTS
        ],
    )
    op.bulk_insert(
        subdivisions,
        [
            {"code": code, "country": code.split("-", 1)[0], "names": names}
            for code, names in _MEXICAN_STATES.items()
        ],
    )
    op.bulk_insert(
        mandatory,
        [
            {"host_country": host_country, "nationality": nationality, **_SEED_VALIDITY}
            for host_country, nationality in _MANDATORY
        ],
    )
    op.bulk_insert(
        clocks,
        [
            {
                "host_country": host_country,
                **_SEED_VALIDITY,
                "time_zone": time_zone,
                "send_within": timedelta(hours=24),
                "acknowledge_within": timedelta(hours=72),
            }
            for host_country, time_zone in _CLOCK_ZONES.items()
        ],
    )
    op.bulk_insert(
        departures,
        [
            {
                "reception_point": reception_point,
                "sending_country": sending_country,
                **_SEED_VALIDITY,
                "state": state,
                "city": city,
                "station": station,
            }
            for reception_point, sending_country, state, city, station in _DEPARTURES
        ],
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS verification, notification_delivery, notification,"
        " departure_point, notification_clock, mandatory_notification, subdivision,"
        " consular_post CASCADE"
    )
    op.execute("DROP SEQUENCE IF EXISTS notification_reference_seq")
