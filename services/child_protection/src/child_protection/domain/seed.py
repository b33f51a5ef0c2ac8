"""The seed values of DOMAIN.md §2, as plain data.

One source for the migration that seeds the reference tables and for the tests, so both always
agree. The values are defaults (cfg in DOMAIN.md): each country changes its own rows in the
tables without a deploy; changing them *here* only changes what a fresh database starts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from child_protection.domain.deadlines import DeadlineRule
from child_protection.domain.values import ReceptionPoint

# The Regional Guidelines for unaccompanied children were approved in 2009; the seed treats
# every rule and post as in force from then on, until a country records otherwise.
SEED_VALID_FROM = date(2009, 1, 1)

# The member states of the Regional Conference on Migration.
RCM_MEMBERS: tuple[str, ...] = (
    "BZ",
    "CA",
    "CR",
    "DO",
    "GT",
    "HN",
    "MX",
    "NI",
    "PA",
    "SV",
    "US",
)

# DOMAIN.md defaults for every host country: notification 24 h, interview 72 h, BIA 15 days,
# BID 30 days from opening.
DEADLINE_RULES: tuple[DeadlineRule, ...] = tuple(DeadlineRule(country) for country in RCM_MEMBERS)


@dataclass(frozen=True)
class ReceptionPointSeed:
    point: ReceptionPoint
    name: str
    child_protection_authority: str | None  # who receives children there, if anyone


def _point(code: str, country: str, name: str, authority: str | None = None) -> ReceptionPointSeed:
    return ReceptionPointSeed(
        ReceptionPoint(code, country, has_child_protection_authority=authority is not None),
        name,
        authority,
    )


# The land reception points of the repatriation service's seed (same codes). Children are
# received only where the origin child-protection authority is present: the main posts.
RECEPTION_POINTS: tuple[ReceptionPointSeed, ...] = (
    _point(
        "GT-TECUN-UMAN",
        "GT",
        "Ciudad Hidalgo - Tecún Umán",
        "Secretaría de Bienestar Social (SBS) and PGN",
    ),
    _point("GT-EL-CARMEN", "GT", "Talismán - El Carmen"),
    _point("GT-LA-MESILLA", "GT", "La Mesilla"),
    _point("SV-LAS-CHINAMAS", "SV", "Las Chinamas"),
    _point("SV-LA-HACHADURA", "SV", "La Hachadura", "CONAPINA"),
    _point("HN-CORINTO", "HN", "Corinto", "DINAF"),
    _point("HN-AGUA-CALIENTE", "HN", "Agua Caliente"),
    _point("NI-EL-GUASAULE", "NI", "El Guasaule", "Ministerio de la Familia (MIFAN)"),
)
