"""The demo users of POLICY.md ("Demo users"), copied from its table, and the caller without a
token. Every cell of the access matrix is asked by each of them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    country: str | None
    agency: str
    post: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("inm.mx", "immigration_officer", "MX", "INM"),
    DemoUser("igm.gt", "immigration_officer", "GT", "IGM"),
    DemoUser("dgme.sv", "immigration_officer", "SV", "DGME"),
    DemoUser("border.gt.tecun", "border_officer", "GT", "IGM", "GT-TECUN-UMAN"),
    DemoUser("border.gt.mesilla", "border_officer", "GT", "IGM", "GT-LA-MESILLA"),
    DemoUser("border.hn.corinto", "border_officer", "HN", "INM-HN", "HN-CORINTO"),
    DemoUser("consul.gt.tapachula", "consular_officer", "GT", "MINEX-GT", "GT-CONS-TAPACHULA"),
    DemoUser("consul.hn.tapachula", "consular_officer", "HN", "SRECI", "HN-CONS-TAPACHULA"),
    DemoUser("consul.sv.tapachula", "consular_officer", "SV", "RREE-SV", "SV-CONS-TAPACHULA"),
    DemoUser("dif.mx", "child_protection_officer", "MX", "DIF"),
    DemoUser("dif.mx.supervisor", "child_protection_supervisor", "MX", "DIF"),
    DemoUser("sbs.gt", "child_protection_officer", "GT", "SBS"),
    DemoUser("dinaf.hn", "child_protection_officer", "HN", "DINAF"),
    DemoUser("iom.officer", "fund_officer", None, "IOM"),
    DemoUser("iom.approver", "fund_approver", None, "IOM"),
    DemoUser("iom.approver2", "fund_approver", None, "IOM"),
    DemoUser("ts.rcm", "secretariat", None, "RCM-TS"),
    DemoUser("audit.rcm", "auditor", None, "RCM-TS"),
)

USERNAMES: tuple[str, ...] = tuple(u.username for u in DEMO_USERS)

# The caller with no `Authorization` header, and one whose token claims what it likes (a real
# token of `inm.mx` with the payload rewritten to a Honduran consul of every role, the signature
# kept): 401 on every endpoint (API.md "Authentication": missing or invalid token).
ANONYMOUS = "(no token)"
FORGED = "(forged token)"
UNAUTHENTICATED = (ANONYMOUS, FORGED)

CALLERS: tuple[str, ...] = (*USERNAMES, *UNAUTHENTICATED)


def forge(token: str) -> str:
    """`token` with its claims rewritten and its signature left as it was."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["country"] = "HN"
    claims["consular_post"] = "HN-CONS-TAPACHULA"
    claims["realm_access"] = {"roles": sorted({u.role for u in DEMO_USERS})}
    rewritten = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{rewritten}.{signature}"
