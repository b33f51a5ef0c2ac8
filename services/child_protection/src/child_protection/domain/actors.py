"""Who is acting: the verified caller as the domain sees it.

The service layer builds an `Actor` from the verified principal of the unit of work it acts in
(`service_layer.access.actor_of`: username, realm roles, `country` claim). The domain needs it
because, in child cases, *who* may write a section is itself a rule of the Guidelines (the BIA
by the host country, the origin assessment by the nationality country, the BID by a host
supervisor), not just an access-control detail.
"""

from __future__ import annotations

from dataclasses import dataclass

CHILD_PROTECTION_OFFICER = "child_protection_officer"
CHILD_PROTECTION_SUPERVISOR = "child_protection_supervisor"
CONSULAR_OFFICER = "consular_officer"

CHILD_PROTECTION_ROLES = frozenset({CHILD_PROTECTION_OFFICER, CHILD_PROTECTION_SUPERVISOR})


@dataclass(frozen=True)
class Actor:
    username: str
    roles: frozenset[str]
    country: str | None  # ISO 3166-1 alpha-2; None for IOM and RCM staff, who act for no state

    def has_role_in(self, role: str, country: str) -> bool:
        return role in self.roles and self.country is not None and self.country == country

    def is_officer_of(self, country: str) -> bool:
        return self.has_role_in(CHILD_PROTECTION_OFFICER, country)

    def is_supervisor_of(self, country: str) -> bool:
        return self.has_role_in(CHILD_PROTECTION_SUPERVISOR, country)

    def works_in_child_protection_for(self, country: str) -> bool:
        return self.is_officer_of(country) or self.is_supervisor_of(country)

    def is_consul_of(self, country: str) -> bool:
        return self.has_role_in(CONSULAR_OFFICER, country)
