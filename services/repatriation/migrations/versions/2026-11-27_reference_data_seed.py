"""Seeds the reference data of DOMAIN.md §1, as `repatriation.domain.seed` stated it that day.

Reception points with their institution, time zone and windows; each party's adherence to the
Memorandum; the advance-notice lead time per receiving country. All with validity dates, so a
country's change is a new row (or a closed `valid_to`), never an edit of history. Later changes
to seed.py do not reach an existing database: write a new migration for those. The rows are
written out here, not imported, so that an edit of seed.py cannot change what this migration
gives a fresh database (the integration tests compare the seeded rows with seed.py).
"""

from datetime import date, time

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003_reference_data_seed"
down_revision = "0002_manifest_tables"

_points = sa.table(
    "reception_point",
    sa.column("code", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("country", sa.Text),
    sa.column("name", sa.Text),
    sa.column("institution", sa.Text),
    sa.column("time_zone", sa.Text),
    sa.column("window_opens", sa.Time),
    sa.column("window_closes", sa.Time),
    sa.column("window_weekdays", ARRAY(sa.SmallInteger)),
    sa.column("vulnerable_window_opens", sa.Time),
    sa.column("vulnerable_window_closes", sa.Time),
    sa.column("vulnerable_window_weekdays", ARRAY(sa.SmallInteger)),
)
_agreements = sa.table(
    "agreement",
    sa.column("country", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
)
_notice_rules = sa.table(
    "notice_rule",
    sa.column("receiving_country", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("lead_time_minutes", sa.Integer),
)


_SEED_DAY = date(2006, 5, 1)

# (code, country, name, institution, time zone)
_POINT_ROWS = [
    (
        "GT-TECUN-UMAN",
        "GT",
        "Ciudad Hidalgo - Tecún Umán",
        "Instituto Guatemalteco de Migración (IGM), Centro de Recepción de Retornados",
        "America/Guatemala",
    ),
    (
        "GT-EL-CARMEN",
        "GT",
        "Talismán - El Carmen",
        "Instituto Guatemalteco de Migración (IGM)",
        "America/Guatemala",
    ),
    (
        "GT-LA-MESILLA",
        "GT",
        "La Mesilla",
        "Instituto Guatemalteco de Migración (IGM)",
        "America/Guatemala",
    ),
    (
        "SV-LAS-CHINAMAS",
        "SV",
        "Las Chinamas",
        "Dirección General de Migración y Extranjería (DGME), Dirección de Atención al Migrante",
        "America/El_Salvador",
    ),
    (
        "SV-LA-HACHADURA",
        "SV",
        "La Hachadura",
        "Dirección General de Migración y Extranjería (DGME), Dirección de Atención al Migrante",
        "America/El_Salvador",
    ),
    (
        "HN-CORINTO",
        "HN",
        "Corinto",
        "Instituto Nacional de Migración de Honduras (INM-HN),"
        " Centro de Atención al Migrante Retornado (CAMR) Omoa",
        "America/Tegucigalpa",
    ),
    (
        "HN-AGUA-CALIENTE",
        "HN",
        "Agua Caliente",
        "Instituto Nacional de Migración de Honduras (INM-HN)",
        "America/Tegucigalpa",
    ),
    (
        "NI-EL-GUASAULE",
        "NI",
        "El Guasaule",
        "Dirección General de Migración y Extranjería de Nicaragua (DGME-NI)",
        "America/Managua",
    ),
]
_AGREEMENT_COUNTRIES = ["MX", "GT", "SV", "HN", "NI"]
_NOTICE_LEAD_TIME_MINUTES = {"GT": 1440, "SV": 1440, "HN": 1440, "NI": 1440}  # 24 hours


def upgrade() -> None:
    op.bulk_insert(
        _points,
        [
            {
                "code": code,
                "valid_from": _SEED_DAY,
                "valid_to": None,
                "country": country,
                "name": name,
                "institution": institution,
                "time_zone": time_zone,
                # Every point that day: 08:00-17:00, for vulnerable people 08:00-15:00,
                # Monday (1) to Saturday (6).
                "window_opens": time(8, 0),
                "window_closes": time(17, 0),
                "window_weekdays": [1, 2, 3, 4, 5, 6],
                "vulnerable_window_opens": time(8, 0),
                "vulnerable_window_closes": time(15, 0),
                "vulnerable_window_weekdays": [1, 2, 3, 4, 5, 6],
            }
            for code, country, name, institution, time_zone in _POINT_ROWS
        ],
    )
    op.bulk_insert(
        _agreements,
        [
            {"country": country, "valid_from": _SEED_DAY, "valid_to": None}
            for country in _AGREEMENT_COUNTRIES
        ],
    )
    op.bulk_insert(
        _notice_rules,
        [
            {
                "receiving_country": country,
                "valid_from": _SEED_DAY,
                "valid_to": None,
                "lead_time_minutes": minutes,
            }
            for country, minutes in _NOTICE_LEAD_TIME_MINUTES.items()
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM notice_rule")
    op.execute("DELETE FROM agreement")
    op.execute("DELETE FROM reception_point")
