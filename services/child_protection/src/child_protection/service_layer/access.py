"""Who acts, as the domain decides on it. In child cases, *who* may write a section is itself a
rule of the Guidelines (the BIA by the host country, the origin assessment by the nationality
country, the BID by a host supervisor): the aggregate decides visibility and permission on a
domain `Actor`, built here from the verified principal — the only place that knows both."""

from __future__ import annotations

from child_protection.domain import Actor
from puebla.auth.principal import Principal


def actor_of(principal: Principal) -> Actor:
    """Username, realm roles and the `country` claim: everything the domain decides on."""
    return Actor(username=principal.username, roles=principal.roles, country=principal.country)
