"""RFC 6238 TOTP codes for the DEV-ONLY OTP credentials of the dev realm's demo users.

The child-protection demo users (`dif.mx`, `dif.mx.supervisor`, `sbs.gt`, `dinaf.hn`) carry an
OTP credential in `deploy/keycloak/realm-rcm.json` whose secret is public, so that tests can
answer Keycloak's OTP form (the step-up to `acr` 2 before a child's sensitive sections). The
realm's OTP policy: HmacSHA1, 6 digits, 30 s. Keycloak uses the credential's `secretData.value`
as the key's bytes (UTF-8), not as base32. Never a real secret: the production realm has no
users (deploy/k8s/keycloak/prod-realm.py).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import time

# DEV-ONLY, public: the same values sit in deploy/keycloak/realm-rcm.json.
DEMO_TOTP_SECRETS = {
    username: f"DEV-ONLY-totp-{username}"
    for username in ("dif.mx", "dif.mx.supervisor", "sbs.gt", "dinaf.hn")
}
DIGITS = 6
PERIOD_S = 30


def totp(secret: str | bytes, at: float | None = None) -> str:
    """The code valid at `at` (now by default) for `secret` (RFC 6238 over RFC 4226, SHA-1)."""
    key = secret.encode() if isinstance(secret, str) else secret
    counter = int((time.time() if at is None else at) // PERIOD_S)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def demo_code(username: str, at: float | None = None) -> str:
    """The current code of a demo user's DEV-ONLY OTP credential."""
    return totp(DEMO_TOTP_SECRETS[username], at)
