"""The verified caller as the domain's `Actor` (username, realm roles, country): every allow
and deny below is decided from the token alone."""

from __future__ import annotations

from consular.domain.values import Actor
from puebla.auth.principal import Principal


def actor(principal: Principal) -> Actor:
    return Actor(principal.username, principal.roles, principal.country)
