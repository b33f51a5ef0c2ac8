"""Derives the production realm (realm-rcm.json here) from the DEV realm.

The DEV realm is deploy/keycloak/realm-rcm.json.

Kept: the realm roles, the declared user profile, the client scopes (claims and the four
service audiences) and the token settings. Dropped: the 18 demo users (password `demo`) and
the dev client `puebla-cli` with its password grant. Tightened: TLS required for external
requests, brute-force protection on. The real clients (a front end with the authorization
code flow and PKCE, service accounts) and the real users are created per deployment, through
the admin console, the admin API or an identity-provider link, never from this repository.

    python3 deploy/k8s/keycloak/prod-realm.py > deploy/k8s/keycloak/realm-rcm.json

deploy/k8s/validate.sh fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEV_REALM = Path(__file__).resolve().parents[2] / "keycloak" / "realm-rcm.json"


def production(realm: dict) -> dict:
    realm = dict(realm)
    realm.pop("users", None)
    realm.pop("clients", None)
    realm["displayName"] = "RCM Puebla"
    realm["attributes"] = {
        "puebla.note": "Derived from the dev realm by deploy/k8s/keycloak/prod-realm.py: "
        "no users, no dev client."
    }
    realm["sslRequired"] = "external"
    realm["bruteForceProtected"] = True
    return realm


def main() -> None:
    realm = json.loads(DEV_REALM.read_text(encoding="utf-8"))
    json.dump(production(realm), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
