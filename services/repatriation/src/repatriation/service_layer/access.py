"""POLICY.md "Repatriation manifests", decided from the verified token alone.

| action                                                    | who                              |
|-----------------------------------------------------------|----------------------------------|
| create, edit draft, submit, amend, cancel, dispatch       | immigration_officer of the       |
|                                                           | sending country                  |
| read a manifest and its returnees (and the hand-over      | immigration_officer of the       |
| record)                                                   | sending or receiving country;    |
|                                                           | border_officer of the reception  |
|                                                           | point; consular_officer of the   |
|                                                           | receiving country, from          |
|                                                           | submission on (never a draft)    |
| record a late protection need (takes the person off)      | immigration_officer of the       |
|                                                           | sending country                  |
| record a hand-off                                         | border_officer of the reception  |
|                                                           | point                            |
| sign the hand-over record, or object to an outcome        | immigration_officer of the       |
|                                                           | sending country (the sending     |
|                                                           | side); border_officer of the     |
|                                                           | reception point (the receiving)  |
| hand-over statistics (aggregates, cells under 5 as `<5`)  | secretariat (every corridor);    |
|                                                           | immigration_officer (corridors   |
|                                                           | of their own country only)       |

A manifest the caller may not read is a 404 (its existence does not leak); an action the caller
may not take on a manifest it reads is a 403. A border officer must also belong to the receiving
country: the post is that country's, and no third country ever sees a manifest.

Routes and handlers decide in that order — visible (404, `ensure_visible`), allowed (403,
`ensure_allowed`: `puebla.refusals`) — on the manifest's `Scope`, read without a lock, before
the row is locked and the domain decides state (409) and input (422). People taken off for a
protection need are never in what the receiving side reads (`protection_removal` is read for
the sending officer only: `sees_protection_removals`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_

from puebla.auth.principal import BORDER_OFFICER, CONSULAR_OFFICER, IMMIGRATION_OFFICER, Principal
from puebla.refusals import ensure_allowed, ensure_visible
from puebla.statistics import statistics_country as shared_statistics_country
from repatriation.adapters.orm import manifest as manifest_table
from repatriation.adapters.repository import Scope
from repatriation.domain import Side

__all__ = [
    "Scope",
    "can_create",
    "can_hand_over",
    "can_manage",
    "can_read",
    "ensure_hand_over",
    "ensure_manageable",
    "ensure_may_sign",
    "ensure_readable",
    "sees_protection_removals",
    "signing_side",
    "visible_clause",
]


class Scoped(Protocol):
    """What the policy needs to know about a manifest (the aggregate and read rows have it)."""

    @property
    def sending_country(self) -> str: ...

    @property
    def receiving_country(self) -> str: ...

    @property
    def reception_point(self) -> str: ...

    @property
    def submitted_at(self) -> datetime | None: ...


def can_create(p: Principal) -> bool:
    return p.has_role(IMMIGRATION_OFFICER) and p.country is not None


def ensure_may_create(p: Principal) -> None:
    """No record to see yet: only whether the caller may create manifests at all (403)."""
    ensure_allowed(
        can_create(p), "Only an immigration officer creates manifests, for their own country."
    )


def can_read(p: Principal, m: Scoped) -> bool:
    if p.country is None:
        return False
    if p.has_role(IMMIGRATION_OFFICER) and p.country in (m.sending_country, m.receiving_country):
        return True
    if (
        p.has_role(CONSULAR_OFFICER)
        and p.country == m.receiving_country
        and m.submitted_at is not None
    ):
        # From submission on: a draft is the sending state's working paper.
        return True
    return can_hand_over(p, m)


def can_manage(p: Principal, m: Scoped) -> bool:
    """Edit a draft, submit, amend, dispatch, cancel."""
    return (
        p.has_role(IMMIGRATION_OFFICER) and p.country is not None and p.country == m.sending_country
    )


def can_hand_over(p: Principal, m: Scoped) -> bool:
    return (
        p.has_role(BORDER_OFFICER)
        and p.border_post is not None
        and p.border_post == m.reception_point
        and p.country == m.receiving_country
    )


def sees_protection_removals(p: Principal, m: Scoped) -> bool:
    """Who reads the people taken off for a protection need, and why: the sending state's
    immigration officers alone — the receiving country never learns of them."""
    return can_manage(p, m)


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


def signing_side(p: Principal, m: Scoped) -> Side | None:
    """For which country the caller signs the hand-over record: the delivering officer of the
    sending country, the receiving border officer of the point; None if for neither."""
    if can_manage(p, m):
        return Side.SENDING
    if can_hand_over(p, m):
        return Side.RECEIVING
    return None


def ensure_may_sign(p: Principal, m: Scoped) -> None:
    ensure_readable(p, m)
    ensure_allowed(
        signing_side(p, m) is not None,
        "The hand-over record is signed by an immigration officer of the sending country and "
        "a border officer of the reception point.",
    )


def visible_clause(p: Principal) -> ColumnElement[bool]:
    """The same read rule as `can_read`, as SQL over `manifest`, for lists."""
    t = manifest_table.c
    if p.country is None:
        return false()
    clauses: list[ColumnElement[bool]] = []
    if p.has_role(IMMIGRATION_OFFICER):
        clauses += [t.sending_country == p.country, t.receiving_country == p.country]
    if p.has_role(CONSULAR_OFFICER):
        clauses.append(and_(t.receiving_country == p.country, t.submitted_at.is_not(None)))
    if p.has_role(BORDER_OFFICER) and p.border_post is not None:
        clauses.append(and_(t.reception_point == p.border_post, t.receiving_country == p.country))
    return or_(*clauses) if clauses else false()


# -- statistics (POLICY.md "Statistics") -------------------------------------------------------

STATISTICS_COUNTRY_ROLES = (IMMIGRATION_OFFICER,)


def statistics_country(p: Principal, requested: str | None) -> str | None:
    """Who reads the hand-over statistics: the `secretariat`, every corridor (optionally one
    country's); an `immigration_officer`, only the hand-overs of the corridors their country
    sends or receives on. Border and consular officers (caseworkers) get a 403: their own work
    they see in the manifests themselves. Counts only; cells under the threshold are `<5`."""
    return shared_statistics_country(
        p, requested, country_roles=STATISTICS_COUNTRY_ROLES, what="Repatriation statistics"
    )
