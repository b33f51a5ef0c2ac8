"""The cross-border rule of POLICY.md as small pure helpers every service uses.

"Data about a person is shared only with the host country and the nationality country,
never a third country; the protection exception hides a person from the nationality
country entirely." Role checks stay in each service; these helpers answer only *which
country's authority* the caller is, and turn decisions into the right answer: a record the
caller may not see is a 404 (its existence does not leak), an action the caller may not take
on a record it does see is a 403.
"""

from __future__ import annotations

from typing import Literal

from puebla.auth.principal import Principal
from puebla.problems import forbidden, not_found

Relation = Literal["host", "nationality", "none"]


def relation(principal: Principal, host_country: str | None, nationality: str | None) -> Relation:
    """Which side of a person's case the caller's country is on.

    `host` wins when the person is in their own country (host == nationality): the
    protection exception is about the state the person fled, which is then not involved.
    Callers without a country (IOM, RCM-TS) are `none`; their access comes from roles.
    """
    country = principal.country
    if country is None:
        return "none"
    if country == host_country:
        return "host"
    if country == nationality:
        return "nationality"
    return "none"


def visible_to_nationality(protection_blocked: bool) -> bool:
    """Whether the nationality country may see the person at all (the protection exception)."""
    return not protection_blocked


def sees_person(
    principal: Principal,
    host_country: str | None,
    nationality: str | None,
    *,
    protection_blocked: bool,
) -> bool:
    """The country rule alone: host always, nationality unless blocked, third countries never."""
    side = relation(principal, host_country, nationality)
    if side == "host":
        return True
    if side == "nationality":
        return visible_to_nationality(protection_blocked)
    return False


def ensure_visible(condition: bool, what: str = "The resource") -> None:
    """404 unless `condition`: used for 'may the caller know this record exists'."""
    if not condition:
        raise not_found(what)


def ensure_allowed(condition: bool, detail: str) -> None:
    """403 unless `condition`: only after `ensure_visible`, for actions on a visible record."""
    if not condition:
        raise forbidden(detail)
