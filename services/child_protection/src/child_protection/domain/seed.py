"""The seed values of DOMAIN.md §2, as plain data.

One source for the migrations that seed the reference tables and for the tests, so both always
agree. The values are defaults (cfg in DOMAIN.md): each country changes its own rows in the
tables without a deploy. Reference data is versioned by validity dates: `RECEPTION_POINTS` is
the 2009 seed exactly as the first migration wrote it (never edit it: existing databases would
then differ from fresh ones); a correction is a `ReceptionPointRevision` appended below, which
its own migration applies by closing the row in force (`valid_to`) and opening a new one.
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
# BID 30 days, counted from the moment the child was identified (`identified_at`).
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


@dataclass(frozen=True)
class ReceptionPointRevision:
    """A reception point's record from `valid_from` on (the one before stays, closed)."""

    valid_from: date
    entry: ReceptionPointSeed


# The 2009 seed had no child-protection authority at two posts where the origin authorities do
# receive returned children (mission review §2): El Salvador's DGME child-protection officers
# (with CONAPINA, the national child-protection council) at Las Chinamas, Honduras' DINAF at
# Agua Caliente. Without them every return planned there was refused.
CHILD_PROTECTION_AT_BORDER_POSTS = date(2026, 12, 1)

RECEPTION_POINT_REVISIONS: tuple[ReceptionPointRevision, ...] = (
    ReceptionPointRevision(
        CHILD_PROTECTION_AT_BORDER_POSTS,
        _point(
            "SV-LAS-CHINAMAS",
            "SV",
            "Las Chinamas",
            "DGME child-protection officers, with CONAPINA",
        ),
    ),
    ReceptionPointRevision(
        CHILD_PROTECTION_AT_BORDER_POSTS,
        _point(
            "HN-AGUA-CALIENTE",
            "HN",
            "Agua Caliente",
            "Dirección de Niñez, Adolescencia y Familia (DINAF)",
        ),
    ),
)


def reception_points_on(day: date) -> tuple[ReceptionPointSeed, ...]:
    """The seeded reception points as in force on `day`: the 2009 seed and every revision
    that had taken effect by then."""
    current = {entry.point.code: entry for entry in RECEPTION_POINTS}
    for revision in sorted(RECEPTION_POINT_REVISIONS, key=lambda r: r.valid_from):
        if revision.valid_from <= day:
            current[revision.entry.point.code] = revision.entry
    return tuple(current.values())
