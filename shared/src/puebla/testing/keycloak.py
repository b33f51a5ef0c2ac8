"""Session fixtures for the real Keycloak (realm `rcm`) and real access tokens of the demo users.

`keycloak_url` reuses a Keycloak already answering on 127.0.0.1:8080 with realm `rcm` (e.g.
under `make run`); otherwise it starts one from `deploy/keycloak/` with the devstack launcher
and stops it (its whole process group) when the session ends. Loaded by
`puebla.testing.plugin` through `from puebla.testing.keycloak import *`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from puebla.devstack import keycloak as dev_keycloak
from puebla.devstack.processes import repo_root, var_dir

__all__ = [
    "DEMO_PASSWORD",
    "KeycloakTokens",
    "keycloak_issuer",
    "keycloak_url",
    "tokens",
]

DEMO_PASSWORD = "demo"
CLIENT_ID = "puebla-cli"
# A cached token is renewed when it has less than this left, so no test gets a token that
# expires halfway through it.
_MIN_REMAINING_S = 120.0


class KeycloakTokens:
    """Access tokens of the demo users, by the password grant of `puebla-cli` (dev realm only)."""

    def __init__(self, base_url: str, realm: str = dev_keycloak.REALM) -> None:
        self.base_url = base_url
        self.realm = realm
        self.issuer = f"{base_url}/realms/{realm}"
        self.token_url = f"{self.issuer}/protocol/openid-connect/token"
        self.jwks_url = f"{self.issuer}/protocol/openid-connect/certs"
        self._http = httpx.Client(timeout=15.0)
        self._cache: dict[tuple[str, str], tuple[str, float]] = {}

    def get_full(
        self, username: str, password: str = DEMO_PASSWORD, *, scope: str = "openid"
    ) -> dict[str, Any]:
        """A fresh token response: `access_token`, `id_token` (scope openid), `refresh_token`."""
        response = self._http.post(
            self.token_url,
            data={
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "username": username,
                "password": password,
                "scope": scope,
            },
        )
        if response.status_code != 200:
            raise AssertionError(
                f"password grant for {username!r} failed: {response.status_code} {response.text}"
            )
        body: dict[str, Any] = response.json()
        return body

    def get(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """An access token for `username`, cached until it is close to expiry."""
        key = (username, password)
        cached = self._cache.get(key)
        now = time.time()
        if cached is not None and cached[1] - now > _MIN_REMAINING_S:
            return cached[0]
        body = self.get_full(username, password)
        token = str(body["access_token"])
        self._cache[key] = (token, now + float(body.get("expires_in", 60)))
        return token

    def close(self) -> None:
        self._http.close()


@pytest.fixture(scope="session")
def keycloak_url() -> Iterator[str]:
    base_url = dev_keycloak.DEFAULT_BASE_URL
    if dev_keycloak.reusable(base_url, dev_keycloak.DEFAULT_PORT):
        yield base_url
        return
    root = var_dir()
    log_path = root / "logs" / "keycloak-pytest.log"
    proc = dev_keycloak.start(root, repo_root() / "deploy" / "keycloak", log_path=log_path)
    try:
        dev_keycloak.wait_ready(base_url, proc=proc, log_path=log_path)
        yield base_url
    finally:
        dev_keycloak.stop(proc)


@pytest.fixture(scope="session")
def keycloak_issuer(keycloak_url: str) -> str:
    return f"{keycloak_url}/realms/{dev_keycloak.REALM}"


@pytest.fixture(scope="session")
def tokens(keycloak_url: str) -> Iterator[KeycloakTokens]:
    helper = KeycloakTokens(keycloak_url)
    yield helper
    helper.close()
