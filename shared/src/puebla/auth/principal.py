"""The verified caller, built from an access token's claims (POLICY.md, "Token claims")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The realm roles of docs/POLICY.md, named once for every service layer (the domains, which
# import nothing of puebla, spell the ones they decide on themselves).
CONSULAR_OFFICER = "consular_officer"
IMMIGRATION_OFFICER = "immigration_officer"
BORDER_OFFICER = "border_officer"
CHILD_PROTECTION_OFFICER = "child_protection_officer"
CHILD_PROTECTION_SUPERVISOR = "child_protection_supervisor"
FUND_OFFICER = "fund_officer"
FUND_APPROVER = "fund_approver"
SECRETARIAT = "secretariat"
AUDITOR = "auditor"
# Tokens may carry others (Keycloak's defaults); they grant nothing.
ROLES = frozenset(
    {
        CONSULAR_OFFICER,
        IMMIGRATION_OFFICER,
        BORDER_OFFICER,
        CHILD_PROTECTION_OFFICER,
        CHILD_PROTECTION_SUPERVISOR,
        FUND_OFFICER,
        FUND_APPROVER,
        SECRETARIAT,
        AUDITOR,
    }
)


class MalformedClaims(ValueError):
    """Verified claims that do not make a principal (a misconfigured mapper): the HTTP layer
    answers 401 with this message."""


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        # A list or number here means a misconfigured mapper; never guess which value counts.
        raise MalformedClaims(f"The token's '{name}' claim is malformed.")
    return value


@dataclass(frozen=True)
class Principal:
    """Who is calling: every allow/deny is decided from these fields alone."""

    subject: str
    username: str
    roles: frozenset[str]
    country: str | None = None
    agency: str | None = None
    border_post: str | None = None
    consular_post: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        """Builds the principal from already verified claims; `MalformedClaims` if they are not
        one (the HTTP layer answers 401)."""
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise MalformedClaims("The token's subject is invalid.")
        realm_access = claims.get("realm_access") or {}
        raw_roles = realm_access.get("roles", []) if isinstance(realm_access, Mapping) else None
        if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
            raise MalformedClaims("The token's 'realm_access.roles' claim is malformed.")
        return cls(
            subject=subject,
            username=_optional_str(claims, "preferred_username") or subject,
            roles=frozenset(raw_roles),
            country=_optional_str(claims, "country"),
            agency=_optional_str(claims, "agency"),
            border_post=_optional_str(claims, "border_post"),
            consular_post=_optional_str(claims, "consular_post"),
        )

    def has_role(self, *roles: str) -> bool:
        """True if the caller holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `GET /v1/me`."""
        return {
            "subject": self.subject,
            "username": self.username,
            "roles": sorted(self.roles),
            "country": self.country,
            "agency": self.agency,
            "border_post": self.border_post,
            "consular_post": self.consular_post,
        }
