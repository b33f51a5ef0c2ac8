"""POLICY.md "Repatriation manifests", decided from the verified token alone.

| action                                                    | who                              |
|-----------------------------------------------------------|----------------------------------|
| create, edit draft, submit, amend, cancel, dispatch       | immigration_officer of the       |
|                                                           | sending country                  |
| read a manifest and its returnees (and the hand-over      | immigration_officer of the       |
| record)                                                   | sending or receiving country;    |
|                                                           | border_officer of the reception  |
|                                                           | point; consular_officer of the   |
|                                                           | receiving country                |
| record a hand-off                                         | border_officer of the reception  |
|                                                           | point                            |

A manifest the caller may not read is a 404 (its existence does not leak); an action the caller
may not take on a manifest it reads is a 403. A border officer must also belong to the receiving
country: the post is that country's, and no third country ever sees a manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_

from puebla.auth.policy import ensure_allowed, ensure_visible
from puebla.auth.principal import Principal
from repatriation.adapters.orm import manifest as manifest_table

IMMIGRATION = "immigration_officer"
BORDER = "border_officer"
CONSULAR = "consular_officer"


class Scoped(Protocol):
    """What the policy needs to know about a manifest (the aggregate and read rows have it)."""

    @property
    def sending_country(self) -> str: ...

    @property
    def receiving_country(self) -> str: ...

    @property
    def reception_point(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    sending_country: str
    receiving_country: str
    reception_point: str


def can_create(p: Principal) -> bool:
    return p.has_role(IMMIGRATION) and p.country is not None


def can_read(p: Principal, m: Scoped) -> bool:
    if p.country is None:
        return False
    if p.has_role(IMMIGRATION) and p.country in (m.sending_country, m.receiving_country):
        return True
    if p.has_role(CONSULAR) and p.country == m.receiving_country:
        return True
    return can_hand_over(p, m)


def can_manage(p: Principal, m: Scoped) -> bool:
    """Edit a draft, submit, amend, dispatch, cancel."""
    return p.has_role(IMMIGRATION) and p.country is not None and p.country == m.sending_country


def can_hand_over(p: Principal, m: Scoped) -> bool:
    return (
        p.has_role(BORDER)
        and p.border_post is not None
        and p.border_post == m.reception_point
        and p.country == m.receiving_country
    )


def ensure_readable(p: Principal, m: Scoped) -> None:
    ensure_visible(can_read(p, m), "The manifest")


def ensure_manageable(p: Principal, m: Scoped) -> None:
    ensure_readable(p, m)
    ensure_allowed(
        can_manage(p, m),
        "Only an immigration officer of the sending country may change this manifest.",
    )


def ensure_hand_over(p: Principal, m: Scoped) -> None:
    ensure_readable(p, m)
    ensure_allowed(
        can_hand_over(p, m),
        "Only a border officer of the manifest's reception point records hand-overs.",
    )


def visible_clause(p: Principal) -> ColumnElement[bool]:
    """The same read rule as `can_read`, as SQL over `manifest`, for lists."""
    t = manifest_table.c
    if p.country is None:
        return false()
    clauses: list[ColumnElement[bool]] = []
    if p.has_role(IMMIGRATION):
        clauses += [t.sending_country == p.country, t.receiving_country == p.country]
    if p.has_role(CONSULAR):
        clauses.append(t.receiving_country == p.country)
    if p.has_role(BORDER) and p.border_post is not None:
        clauses.append(and_(t.reception_point == p.border_post, t.receiving_country == p.country))
    return or_(*clauses) if clauses else false()
