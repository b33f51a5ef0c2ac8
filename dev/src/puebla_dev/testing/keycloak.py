"""Session fixtures for the real Keycloak (realm `rcm`) and real access tokens of the demo users.

`keycloak_url` reuses a Keycloak already answering on 127.0.0.1:8080 with realm `rcm` (e.g.
under `make run`); otherwise it starts one from `deploy/keycloak/` with the devstack launcher
and stops it (its whole process group) when the session ends. Loaded by
`puebla_dev.testing.plugin` through `from puebla_dev.testing.keycloak import *`.

A Keycloak takes some 45 s to start on two cores. So once the tests are collected, one is
started in the background if some test needs it and none runs, and the test files that need
none run first: the start overlaps them instead of stopping the whole run.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from puebla_dev.devstack import keycloak as dev_keycloak
from puebla_dev.devstack.processes import repo_root, var_dir
from puebla_dev.testing.totp import demo_code

__all__ = [
    "DEMO_PASSWORD",
    "STEP_UP_ACR",
    "KeycloakTokens",
    "keycloak_issuer",
    "keycloak_url",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_sessionfinish",
    "tokens",
]

DEMO_PASSWORD = "demo"
CLIENT_ID = "puebla-cli"
# A cached token is renewed when it has less than this left, so no test gets a token that
# expires halfway through it.
_MIN_REMAINING_S = 120.0
# The step-up level of the realm's "acr.loa.map" (password + OTP), asked for by acr_values.
STEP_UP_ACR = "2"
# The console's client signs the step-up logins in (the password grant never reaches acr 2);
# its DEV-ONLY secret and first redirect URI are read from the dev realm file. The redirect is
# never followed: the code is taken from Keycloak's Location header.
STEP_UP_CLIENT_ID = "puebla-console"
# An acr-2 token is reused only while its sign-in is younger than this (child_protection's
# CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS is 900 by default).
_STEP_UP_REUSE_S = 600.0
_FORM_ACTION = re.compile(r'<form[^>]*\bid="(kc-form-login|kc-otp-login-form)"[^>]*>', re.S)
_ACTION = re.compile(r'\baction="([^"]+)"')


class _Browser:
    """Keycloak's login pages as a browser sees them: its cookies are `Secure`, which a browser
    sends to http://127.0.0.1 (a secure context) but httpx's jar does not, so they are kept
    here by name and sent by hand, on one realm, for one login."""

    def __init__(self) -> None:
        self._http = httpx.Client(timeout=15.0, follow_redirects=False)
        self._cookies: dict[str, str] = {}

    def __enter__(self) -> _Browser:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self._http.cookies.clear()
        cookie = "; ".join(f"{k}={v}" for k, v in self._cookies.items())
        response = self._http.request(method, url, headers={"Cookie": cookie}, **kwargs)
        for name, value in response.cookies.items():
            if value:
                self._cookies[name] = value
            else:
                self._cookies.pop(name, None)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._send("POST", url, **kwargs)


def _console_client() -> tuple[str, str]:
    realm = json.loads((repo_root() / "deploy" / "keycloak" / "realm-rcm.json").read_text())
    (client,) = [c for c in realm["clients"] if c["clientId"] == STEP_UP_CLIENT_ID]
    return str(client["secret"]), str(client["redirectUris"][0])


def _form_action(page: httpx.Response, form_id: str) -> str:
    for match in _FORM_ACTION.finditer(page.text):
        if match.group(1) == form_id:
            action = _ACTION.search(match.group(0))
            if action is not None:
                return html.unescape(action.group(1))
    raise AssertionError(
        f"Keycloak's page has no form {form_id!r}: {page.status_code} {page.text[:500]}"
    )


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

    def step_up(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """An access token of `username` at `acr` 2 (password + OTP), signed in through the
        realm's real browser flow; cached while its sign-in is recent and it has time left."""
        key = ("step-up:" + username, password)
        cached = self._cache.get(key)
        now = time.time()
        if cached is not None and cached[1] - now > _MIN_REMAINING_S:
            return cached[0]
        body = self.step_up_full(username, password)
        token = str(body["access_token"])
        claims = jwt.decode(token, options={"verify_signature": False})
        until = min(now + float(body.get("expires_in", 60)), claims["auth_time"] + _STEP_UP_REUSE_S)
        self._cache[key] = (token, until)
        return token

    def step_up_full(
        self, username: str, password: str = DEMO_PASSWORD, *, acr: str = STEP_UP_ACR
    ) -> dict[str, Any]:
        """A fresh token response of the browser flow with `acr_values=acr`: GET the
        authorization URL (code, PKCE S256), POST Keycloak's login form, POST its OTP form with
        the user's DEV-ONLY TOTP code (when it asks), exchange the code from the redirect."""
        secret, redirect_uri = _console_client()
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(16)
        # A client of its own: the browser's cookies (Keycloak's session) belong to this login.
        with _Browser() as browser:
            page = browser.get(
                f"{self.issuer}/protocol/openid-connect/auth",
                params={
                    "client_id": STEP_UP_CLIENT_ID,
                    "response_type": "code",
                    "scope": "openid",
                    "redirect_uri": redirect_uri,
                    "state": state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "acr_values": acr,
                    "ui_locales": "en",
                },
            )
            answer = browser.post(
                _form_action(page, "kc-form-login"),
                data={"username": username, "password": password, "credentialId": ""},
            )
            if answer.status_code == 200:
                answer = browser.post(
                    _form_action(answer, "kc-otp-login-form"), data={"otp": demo_code(username)}
                )
            location = answer.headers.get("location", "")
            query = parse_qs(urlsplit(location).query)
            if answer.status_code != 302 or query.get("state") != [state] or "code" not in query:
                raise AssertionError(
                    f"step-up sign-in of {username!r} did not come back with a code: "
                    f"{answer.status_code} {location or answer.text[:500]}"
                )
        response = self._http.post(
            self.token_url,
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(STEP_UP_CLIENT_ID, secret),
        )
        if response.status_code != 200:
            raise AssertionError(
                f"code exchange for {username!r} failed: {response.status_code} {response.text}"
            )
        body: dict[str, Any] = response.json()
        return body

    def close(self) -> None:
        self._http.close()


def _needs_keycloak(item: pytest.Item) -> bool:
    return "keycloak_url" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Whole files move (their module fixtures are set up once); the order within is kept.
    needing = {item.nodeid.split("::")[0] for item in items if _needs_keycloak(item)}
    items.sort(key=lambda item: item.nodeid.split("::")[0] in needing)


def _log_path() -> Path:
    return var_dir() / "logs" / "keycloak-pytest.log"


_EARLY: list[subprocess.Popen[bytes]] = []  # the Keycloak started at collection, until used

# Set by `puebla_dev.testing.shards` for the sessions it runs: it has started Keycloak itself,
# which may not answer yet; a session then waits for it and neither starts nor stops one.
STARTED_FOR_SESSIONS = "PUEBLA_TEST_KEYCLOAK_STARTED"


def _started_for_sessions() -> bool:
    return os.environ.get(STARTED_FOR_SESSIONS) == "1"


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or not any(map(_needs_keycloak, session.items)):
        return
    if _started_for_sessions():
        return
    if dev_keycloak.reusable(dev_keycloak.DEFAULT_BASE_URL, dev_keycloak.DEFAULT_PORT):
        return
    root = var_dir()
    _EARLY.append(
        dev_keycloak.start(root, repo_root() / "deploy" / "keycloak", log_path=_log_path())
    )


def pytest_sessionfinish() -> None:
    while _EARLY:  # started, and no test came to need it (a failure, -x, a crash)
        dev_keycloak.stop(_EARLY.pop())


@pytest.fixture(scope="session")
def keycloak_url() -> Iterator[str]:
    base_url = dev_keycloak.DEFAULT_BASE_URL
    log_path = _log_path()
    if _started_for_sessions():
        dev_keycloak.wait_ready(base_url, log_path=var_dir() / "logs" / "keycloak.log")
        yield base_url
        return
    if _EARLY:
        proc = _EARLY.pop()
    elif dev_keycloak.reusable(base_url, dev_keycloak.DEFAULT_PORT):
        yield base_url
        return
    else:
        proc = dev_keycloak.start(var_dir(), repo_root() / "deploy" / "keycloak", log_path=log_path)
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
