"""Derives the production realm (realm-rcm.json here) from the DEV realm.

The DEV realm is deploy/keycloak/realm-rcm.json.

Kept: the realm roles, the declared user profile, the client scopes (claims and the four
service audiences) and the token settings, and the officers' console `puebla-console`
(confidential, authorization code with PKCE S256 only) with its redirect, post-logout and
back-channel logout URIs moved to the production console host (CONSOLE_URL below: the
console's Ingress host and CONSOLE_PUBLIC_URL in services/console.yaml) and **without** the dev
secret: Keycloak makes one at import, the operator sets it at deploy time (README.md, "The
console"). Dropped: the 18 demo users (password `demo`) and the dev client `puebla-cli` with
its password grant. Tightened (security review 16): TLS
required for external requests; a password policy; brute-force protection (temporary lockout
after 5 failures, growing waits); login and admin events recorded (90 days); refresh tokens
revoked on use; OTP required of every staff member: `CONFIGURE_TOTP` is a *default* required
action, so each user sets up a TOTP authenticator at first login, after which the browser
flow's level 1 asks for it at every login. The dev realm's step-up (issue 15) is kept: ACR
levels mapped (`acr.loa.map`: "1" password, "2" a fresh OTP code on top), its browser flow with
"Conditional - Level Of Authentication" sub-flows bound as the realm's browser flow, level 1
here also asking a configured OTP (the built-in flow's "Condition - user configured"); level 2
asks a new code whenever a client requests `acr_values=2` (the console does before a child's
sensitive sections). Dropped with the demo users: their DEV-ONLY TOTP secrets, the dev direct
grant flow without OTP and the reusable OTP codes. The real clients (a front end
with the authorization code flow and PKCE, service accounts) and the real users are created per
deployment, through the admin console, the admin API or an identity-provider link, never from
this repository (the console's client is the one exception: its URIs are part of the design).

    python3 deploy/k8s/keycloak/prod-realm.py > deploy/k8s/keycloak/realm-rcm.json

deploy/k8s/validate.sh fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEV_REALM = Path(__file__).resolve().parents[2] / "keycloak" / "realm-rcm.json"
CONSOLE_CLIENT = "puebla-console"
# The console's one origin in production (ingress.yaml, services/console.yaml): change together.
CONSOLE_URL = "https://console.puebla.example.org"


# NIST 800-63B style: long rather than composed; never the username or e-mail; not reused.
PASSWORD_POLICY = (
    "length(12) and maxLength(128) and notUsername(undefined) and notEmail(undefined)"
    " and passwordHistory(5)"
)
BRUTE_FORCE = {
    "bruteForceProtected": True,
    "permanentLockout": False,
    "failureFactor": 5,  # failures before the account is locked for a while
    "waitIncrementSeconds": 60,
    "maxFailureWaitSeconds": 900,
    "maxDeltaTimeSeconds": 43200,  # failures are forgotten after 12 h without one
    "quickLoginCheckMilliSeconds": 1000,
    "minimumQuickLoginWaitSeconds": 60,
}
EVENTS = {
    "eventsEnabled": True,  # login events (LOGIN, LOGIN_ERROR, CODE_TO_TOKEN, LOGOUT, ...)
    "eventsExpiration": 90 * 24 * 3600,
    "eventsListeners": ["jboss-logging"],
    "adminEventsEnabled": True,
    "adminEventsDetailsEnabled": True,
}
OTP_POLICY = {
    "otpPolicyType": "totp",
    "otpPolicyAlgorithm": "HmacSHA1",  # what every authenticator app supports
    "otpPolicyDigits": 6,
    "otpPolicyPeriod": 30,
    "otpPolicyLookAheadWindow": 1,
    "otpPolicyCodeReusable": False,
}
# Keycloak 26.7's required actions as a fresh realm has them (a realm file that lists any
# replaces the whole list), with CONFIGURE_TOTP a default action: every new user must set up
# OTP before the first login completes.
_ACTIONS = [
    ("TERMS_AND_CONDITIONS", "Terms and Conditions", False, 20),
    ("UPDATE_PROFILE", "Update Profile", True, 40),
    ("VERIFY_EMAIL", "Verify Email", True, 50),
    ("CONFIGURE_TOTP", "Configure OTP", True, 54),
    ("UPDATE_PASSWORD", "Update Password", True, 57),
    ("delete_account", "Delete Account", False, 60),
    ("UPDATE_EMAIL", "Update Email", False, 70),
    ("webauthn-register", "Webauthn Register", True, 80),
    ("webauthn-register-passwordless", "Webauthn Register Passwordless", True, 90),
    ("VERIFY_PROFILE", "Verify Profile", True, 100),
    ("delete_credential", "Delete Credential", True, 110),
    ("idp_link", "Linking Identity Provider", True, 120),
    ("CONFIGURE_RECOVERY_AUTHN_CODES", "Recovery Authentication Codes", True, 130),
    ("update_user_locale", "Update User Locale", True, 1000),
]
REQUIRED_ACTIONS = [
    {
        "alias": alias,
        "name": name,
        "providerId": alias,
        "enabled": enabled,
        "defaultAction": alias == "CONFIGURE_TOTP",
        "priority": priority,
        "config": {},
    }
    for alias, name, enabled, priority in _ACTIONS
]


def console_client(dev: dict) -> dict:
    """The dev realm's `puebla-console` on the production host: exact URIs (one each), no
    secret (Keycloak generates one at import; it is replaced at deploy time), refresh tokens
    used once (the realm's revokeRefreshToken) and the same scopes and audiences."""
    client = {k: v for k, v in dev.items() if k != "secret"}
    client["description"] = (
        "Officers' console (BFF): confidential, authorization code with PKCE S256, tokens on "
        "its server. The secret is set at deploy time (deploy/k8s/README.md)."
    )
    client["rootUrl"] = CONSOLE_URL
    client["redirectUris"] = [f"{CONSOLE_URL}/auth/callback"]
    client["webOrigins"] = []
    client["publicClient"] = False
    client["clientAuthenticatorType"] = "client-secret"
    client["standardFlowEnabled"] = True
    client["implicitFlowEnabled"] = False
    client["directAccessGrantsEnabled"] = False
    client["serviceAccountsEnabled"] = False
    client["attributes"] = {
        **dev.get("attributes", {}),
        "pkce.code.challenge.method": "S256",
        "post.logout.redirect.uris": f"{CONSOLE_URL}/",
        "backchannel.logout.url": f"{CONSOLE_URL}/auth/backchannel-logout",
        "backchannel.logout.session.required": "true",
        "use.refresh.tokens": "true",
        "oauth2.device.authorization.grant.enabled": "false",
    }
    return client


DEV_DIRECT_GRANT_FLOW = "direct grant password only (DEV-ONLY)"
STEP_UP_LEVEL_1 = "browser step-up level 1"
# Level 1 in production: the password, then the OTP of every user who has one (all do: the
# default required action), as Keycloak's built-in browser flow asks it.
LEVEL_1_OTP = {
    "alias": "browser step-up level 1 OTP",
    "description": "Level 1 in production: the OTP of every user who has set one up",
    "providerId": "basic-flow",
    "topLevel": False,
    "builtIn": False,
    "authenticationExecutions": [
        {
            "authenticator": "conditional-user-configured",
            "authenticatorFlow": False,
            "requirement": "REQUIRED",
            "priority": 10,
            "autheticatorFlow": False,
            "userSetupAllowed": False,
        },
        {
            "authenticator": "auth-otp-form",
            "authenticatorFlow": False,
            "requirement": "REQUIRED",
            "priority": 20,
            "autheticatorFlow": False,
            "userSetupAllowed": False,
        },
    ],
}


def step_up_flows(realm: dict) -> list[dict]:
    """The dev realm's flows without its DEV-ONLY direct grant, level 1 asking the OTP too."""
    flows = []
    for flow in realm.get("authenticationFlows", []):
        if flow["alias"] == DEV_DIRECT_GRANT_FLOW:
            continue
        if flow["alias"] == STEP_UP_LEVEL_1:
            flow = dict(flow)
            flow["description"] = "Level 1: the password and the user's OTP"
            flow["authenticationExecutions"] = [
                *flow["authenticationExecutions"],
                {
                    "authenticatorFlow": True,
                    "requirement": "CONDITIONAL",
                    "priority": 30,
                    "autheticatorFlow": True,
                    "flowAlias": LEVEL_1_OTP["alias"],
                    "userSetupAllowed": False,
                },
            ]
        flows.append(flow)
    return [*flows, LEVEL_1_OTP]


def production(realm: dict) -> dict:
    realm = dict(realm)
    realm.pop("users", None)
    (console,) = [c for c in realm.pop("clients", []) if c["clientId"] == CONSOLE_CLIENT]
    realm["clients"] = [console_client(console)]
    realm["displayName"] = "RCM Puebla"
    realm["attributes"] = {
        "puebla.note": "Derived from the dev realm by deploy/k8s/keycloak/prod-realm.py: "
        "no users, no dev client; the console's client on its production host, no secret.",
        "acr.loa.map": realm["attributes"]["acr.loa.map"],
    }
    realm["authenticationFlows"] = step_up_flows(realm)
    # Keycloak's own direct grant flow (it asks the OTP); no client here has the grant anyway.
    realm.pop("directGrantFlow", None)
    realm["sslRequired"] = "external"
    realm["passwordPolicy"] = PASSWORD_POLICY
    realm.update(BRUTE_FORCE)
    realm.update(EVENTS)
    realm.update(OTP_POLICY)
    realm["requiredActions"] = REQUIRED_ACTIONS
    # A refresh token works once: a stolen one that is used after its owner used it fails.
    realm["revokeRefreshToken"] = True
    realm["refreshTokenMaxReuse"] = 0
    return realm


def main() -> None:
    realm = json.loads(DEV_REALM.read_text(encoding="utf-8"))
    json.dump(production(realm), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
