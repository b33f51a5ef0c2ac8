"""Who is signed in, as the shell shows it: name, roles, country, agency and post.

Read from the claims of the officer's verified access token. The console shows it and routes
the home page by it; what the officer may see and do is decided by the APIs alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The realm roles the console knows, in the order a home page lists their work.
ROLES = (
    "immigration_officer",
    "border_officer",
    "consular_officer",
    "child_protection_officer",
    "child_protection_supervisor",
    "fund_officer",
    "fund_approver",
    "secretariat",
    "auditor",
)


@dataclass(frozen=True)
class Officer:
    username: str
    name: str
    roles: tuple[str, ...] = ()
    country: str | None = None
    agency: str | None = None
    border_post: str | None = None
    consular_post: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Officer:
        realm_access = claims.get("realm_access")
        granted = realm_access.get("roles", []) if isinstance(realm_access, Mapping) else []
        roles = tuple(r for r in ROLES if r in granted)
        username = _text(claims.get("preferred_username")) or _text(claims.get("sub")) or "?"
        return cls(
            username=username,
            name=_text(claims.get("name")) or username,
            roles=roles,
            country=_text(claims.get("country")),
            agency=_text(claims.get("agency")),
            border_post=_text(claims.get("border_post")),
            consular_post=_text(claims.get("consular_post")),
        )

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Officer:
        return cls(
            username=str(record["username"]),
            name=str(record["name"]),
            roles=tuple(str(r) for r in record.get("roles", [])),
            country=record.get("country"),
            agency=record.get("agency"),
            border_post=record.get("border_post"),
            consular_post=record.get("consular_post"),
        )

    def record(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "roles": list(self.roles),
            "country": self.country,
            "agency": self.agency,
            "border_post": self.border_post,
            "consular_post": self.consular_post,
        }

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def post(self) -> str | None:
        return self.border_post or self.consular_post


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
