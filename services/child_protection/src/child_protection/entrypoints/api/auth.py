"""The verified caller as the domain sees it: `Principal` (token) → `Actor`."""

from __future__ import annotations

from child_protection.domain import Actor
from puebla.auth.principal import Principal


def actor_of(principal: Principal) -> Actor:
    """Username, realm roles and the `country` claim: everything the domain decides on."""
    return Actor(username=principal.username, roles=principal.roles, country=principal.country)
