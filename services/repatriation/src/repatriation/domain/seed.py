"""The seed values of DOMAIN.md §1, as plain data.

One source for the migration that seeds the reference tables and for the tests, so that both
always agree. Values marked (cfg) in DOMAIN.md are defaults that each country may change in
its tables without a deploy; changing them *here* only changes what a fresh database starts
with (write a new migration for an existing one).
"""

from __future__ import annotations

from datetime import date, time

from repatriation.domain.reference_data import (
    DEFAULT_ADVANCE_NOTICE,
    MONDAY_TO_SATURDAY,
    Agreement,
    NoticeRule,
    ReceptionPoint,
    ReceptionWindow,
    ReferenceData,
)

# The Memorandum was signed in May 2006 (XI RCM, El Salvador); the seed treats every party
# and post as in force from then on, until a country records otherwise.
SEED_VALID_FROM = date(2006, 5, 1)

# Default window 08:00-17:00 local, Monday-Saturday; vulnerable people 08:00-15:00 (cfg).
DEFAULT_WINDOW = ReceptionWindow(opens=time(8, 0), closes=time(17, 0), weekdays=MONDAY_TO_SATURDAY)
VULNERABLE_WINDOW = ReceptionWindow(
    opens=time(8, 0), closes=time(15, 0), weekdays=MONDAY_TO_SATURDAY
)

TIME_ZONES = {
    "GT": "America/Guatemala",
    "SV": "America/El_Salvador",
    "HN": "America/Tegucigalpa",
    "NI": "America/Managua",
}

_GT_IGM = "Instituto Guatemalteco de Migración (IGM)"
_SV_DGME = "Dirección General de Migración y Extranjería (DGME)"
_HN_INM = "Instituto Nacional de Migración de Honduras (INM-HN)"
_NI_DGME = "Dirección General de Migración y Extranjería de Nicaragua (DGME-NI)"

# (code, country, name, institution)
_POINTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "GT-TECUN-UMAN",
        "GT",
        "Ciudad Hidalgo - Tecún Umán",
        f"{_GT_IGM}, Centro de Recepción de Retornados",
    ),
    ("GT-EL-CARMEN", "GT", "Talismán - El Carmen", _GT_IGM),
    ("GT-LA-MESILLA", "GT", "La Mesilla", _GT_IGM),
    ("SV-LAS-CHINAMAS", "SV", "Las Chinamas", f"{_SV_DGME}, Dirección de Atención al Migrante"),
    ("SV-LA-HACHADURA", "SV", "La Hachadura", f"{_SV_DGME}, Dirección de Atención al Migrante"),
    (
        "HN-CORINTO",
        "HN",
        "Corinto",
        f"{_HN_INM}, Centro de Atención al Migrante Retornado (CAMR) Omoa",
    ),
    ("HN-AGUA-CALIENTE", "HN", "Agua Caliente", _HN_INM),
    ("NI-EL-GUASAULE", "NI", "El Guasaule", _NI_DGME),
)

RECEPTION_POINTS: tuple[ReceptionPoint, ...] = tuple(
    ReceptionPoint(
        code=code,
        country=country,
        name=name,
        institution=institution,
        time_zone=TIME_ZONES[country],
        window=DEFAULT_WINDOW,
        vulnerable_window=VULNERABLE_WINDOW,
        valid_from=SEED_VALID_FROM,
        valid_to=None,
    )
    for code, country, name, institution in _POINTS
)

# The five parties of the Memorandum, all in force (cfg seed).
AGREEMENTS: tuple[Agreement, ...] = tuple(
    Agreement(country=country, valid_from=SEED_VALID_FROM, valid_to=None)
    for country in ("MX", "GT", "SV", "HN", "NI")
)

# 24 h advance notice for every receiving country (cfg seed).
NOTICE_RULES: tuple[NoticeRule, ...] = tuple(
    NoticeRule(receiving_country=country, lead_time=DEFAULT_ADVANCE_NOTICE)
    for country in ("GT", "SV", "HN", "NI")
)


def reference_data() -> ReferenceData:
    """The seed as the bundle the manifest's methods take (tests, and a fresh database)."""
    return ReferenceData(
        reception_points=RECEPTION_POINTS, agreements=AGREEMENTS, notice_rules=NOTICE_RULES
    )
