"""The console's step-up (issue 15): an officer signed in with a password is sent to Keycloak
for a second factor — `acr_values=2` (password + OTP), `max_age` — types the code of their
authenticator on Keycloak's OTP page (Spanish first) and comes back to the same page of the
console, whose session now holds a token at acr 2 that child_protection's `/sensitive`
accepts (an acr-1 token gets RFC 9470's challenge).

The whole path runs on the real page, the children's `/cases/{id}/sensitive`: the officer
states a purpose, child_protection answers the challenge, the console sends the officer to
Keycloak and back to the same read. The route the challenge sends to,
`/auth/login?acr=2&max_age=…&next=…`, is also driven directly. The session's tokens are read
from the console's own store (sealed with its DEV-ONLY key) to see what the console would send
the APIs. Keycloak's OTP page is screenshot under
`var/screenshots/keycloak/` (axe is the console's check: Keycloak's page is not ours to fix).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
from playwright.async_api import Browser, Page, expect

from console.adapters.keycloak import Keycloak
from console.adapters.sealing import Sealer
from console.config import DEV_CLIENT_SECRET, DEV_SESSION_KEY
from console.entrypoints.web import SESSION_COOKIE
from console.service_layer.sessions import hash_of
from e2e.console import sign_in
from puebla_dev.devstack import stack
from puebla_dev.devstack.processes import var_dir
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.totp import demo_code

SHOTS = var_dir() / "screenshots" / "keycloak"


async def session_token(page: Page) -> dict[str, Any]:
    """The claims of the access token the console holds for this browser's session."""
    (cookie,) = [c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE]
    url = stack.console_env()["CONSOLE_DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(url)
    try:
        sealed = await conn.fetchval(
            "SELECT tokens FROM console_session WHERE id_hash = $1", hash_of(cookie["value"])
        )
    finally:
        await conn.close()
    assert sealed is not None, "the console has no session for this browser"
    tokens = Sealer(DEV_SESSION_KEY).open(bytes(sealed))
    assert tokens is not None
    access = str(tokens["access"])
    claims: dict[str, Any] = jwt.decode(access, options={"verify_signature": False})
    claims["_raw"] = access
    return claims


async def read_sensitive(system: dict[str, str], token: str, case_id: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=15.0) as http:
        return await http.get(
            f"{system['child_protection']}/v1/cases/{case_id}/sensitive",
            headers={"Authorization": f"Bearer {token}", "Puebla-Purpose": "step-up test"},
        )


async def open_case(system: dict[str, str], tokens: KeycloakTokens) -> str:
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=15.0) as http:
        answer = await http.post(
            f"{system['child_protection']}/v1/cases",
            headers={"Authorization": f"Bearer {tokens.get('dif.mx')}"},
            json={
                "child": {
                    "given_names": "Brayan",
                    "surnames": f"Step Up {uuid.uuid4().hex[:6]}",
                    "sex": "M",
                    "date_of_birth": "2012-05-02",
                    "nationality": "HN",
                    "languages": ["es"],
                },
                "identified_at": (now - timedelta(hours=2)).isoformat(),
                "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
                "accompaniment": "unaccompanied",
                "age_disputed": False,
                "protection_need": False,
                "trafficking_indicator": False,
            },
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def answer_otp(page: Page, username: str) -> None:
    await page.fill("#otp", demo_code(username))
    await page.click("#kc-login")


class TestStepUp:
    async def test_the_sensitive_page_asks_the_second_factor_and_comes_back_to_the_read(
        self,
        chromium_browser: Browser,
        console_url: str,
        system: dict[str, str],
        tokens: KeycloakTokens,
    ) -> None:
        case_id = await open_case(system, tokens)
        purpose = f"preparar la BIA {uuid.uuid4().hex[:6]}"
        context = await chromium_browser.new_context(
            locale="es-MX", viewport={"width": 1280, "height": 900}
        )
        try:
            page = await context.new_page()
            await sign_in(page, console_url, "dif.mx")
            await page.goto(f"{console_url}/cases/{case_id}/sensitive")
            await page.fill("#purpose", purpose)
            await page.click("form.purpose button[type=submit]")

            # The API's challenge: Keycloak asks this officer for the code, nothing else.
            await page.wait_for_selector("#otp")
            assert page.url.startswith(tokens.issuer)
            assert await page.locator("#password").count() == 0
            await answer_otp(page, "dif.mx")

            # Back on the same read, with the same purpose, now answered.
            await page.wait_for_url(
                re.compile(re.escape(f"{console_url}/cases/{case_id}/sensitive?"))
            )
            await expect(page.locator("main q")).to_have_text(purpose)
            assert (await session_token(page))["acr"] == "2"
        finally:
            await context.close()

        async with httpx.AsyncClient(timeout=15.0) as http:
            trail = await http.get(
                f"{system['child_protection']}/v1/cases/{case_id}/audit",
                headers={"Authorization": f"Bearer {tokens.get('dif.mx.supervisor')}"},
                params={"limit": 100},
            )
        assert trail.status_code == 200, trail.text
        reads = [
            (e["action"], e["detail"].get("refused"))
            for e in trail.json()["items"]
            if e["actor"] == "dif.mx" and e["detail"].get("purpose") == purpose
        ]
        # The read before the second factor was refused and recorded; the one after, read.
        assert reads == [
            ("child_case.sensitive_read_refused", "second_factor_required"),
            ("child_case.sensitive_read", None),
        ]

    async def test_a_signed_in_officer_gives_the_otp_and_comes_back_at_acr_2(
        self,
        chromium_browser: Browser,
        console_url: str,
        system: dict[str, str],
        tokens: KeycloakTokens,
    ) -> None:
        case_id = await open_case(system, tokens)
        context = await chromium_browser.new_context(
            locale="es-MX", viewport={"width": 1280, "height": 900}
        )
        try:
            page = await context.new_page()
            await sign_in(page, console_url, "dif.mx")
            before = await session_token(page)
            assert before["acr"] == "1"
            refused = await read_sensitive(system, before["_raw"], case_id)
            assert refused.status_code == 401, refused.text
            assert 'error="insufficient_user_authentication"' in refused.headers["www-authenticate"]

            # Where an API's step-up challenge sends the officer (entrypoints/app.py).
            asked_at = time.time()
            await page.goto(f"{console_url}/auth/login?acr=2&max_age=900&next=/%3Fstep%3Dup")
            # Keycloak remembers the password: only the code is asked, in Spanish.
            await page.wait_for_selector("#otp")
            assert page.url.startswith(tokens.issuer)
            assert await page.get_attribute("html", "lang") == "es"
            await expect(page.locator("#kc-page-title")).to_contain_text(re.compile(r"\S"))
            assert await page.locator("#password").count() == 0
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "otp-es.png"), full_page=True)
            await answer_otp(page, "dif.mx")
            await page.wait_for_url(f"{console_url}/?step=up")

            after = await session_token(page)
            assert after["acr"] == "2"
            assert after["auth_time"] >= int(asked_at) - 1  # the second factor is fresh
            assert after["sub"] == before["sub"]
            read = await read_sensitive(system, after["_raw"], case_id)
            assert read.status_code == 200, read.text
            assert read.json()["case_id"] == case_id
        finally:
            await context.close()

    async def test_a_fresh_browser_gives_the_password_then_the_code(
        self, chromium_browser: Browser, console_url: str, tokens: KeycloakTokens
    ) -> None:
        # An officer whose browser asks for English: the console asks Keycloak for it too.
        context = await chromium_browser.new_context(
            locale="en-US", viewport={"width": 1280, "height": 900}
        )
        try:
            page = await context.new_page()
            await page.goto(f"{console_url}/auth/login?acr=2&next=/")
            await page.fill("#username", "sbs.gt")
            await page.fill("#password", "demo")
            await page.click("#kc-login")
            await page.wait_for_selector("#otp")
            assert page.url.startswith(tokens.issuer)
            assert await page.get_attribute("html", "lang") == "en"
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / "otp-en.png"), full_page=True)

            await page.fill("#otp", "000000" if demo_code("sbs.gt") != "000000" else "111111")
            await page.click("#kc-login")
            # A wrong code: Keycloak says so and stays on its page; the console sees nothing.
            await expect(
                page.locator("#input-error-otp-code, .kc-feedback-text")
            ).not_to_have_count(0)
            assert page.url.startswith(tokens.issuer)

            await answer_otp(page, "sbs.gt")
            await page.wait_for_url(re.compile(re.escape(console_url) + r"/(\?.*)?$"))
            claims = await session_token(page)
            assert (claims["acr"], claims["preferred_username"]) == ("2", "sbs.gt")
        finally:
            await context.close()


async def test_the_consoles_refresh_keeps_the_level_and_the_sign_in_time(
    tokens: KeycloakTokens, console_url: str
) -> None:
    """The console renews an officer's tokens with the refresh token (adapters/keycloak.py):
    the renewed access token keeps acr 2 and the sign-in's auth_time, so a step-up is not
    lost at the next renewal, nor made fresher than the OTP really is."""
    signed_in = tokens.step_up_full("dinaf.hn")
    first = jwt.decode(signed_in["access_token"], options={"verify_signature": False})
    async with httpx.AsyncClient(timeout=15.0) as http:
        keycloak = Keycloak(
            issuer=tokens.issuer,
            server_url=tokens.issuer,
            client_id="puebla-console",
            client_secret=DEV_CLIENT_SECRET,
            redirect_uri=f"{console_url}/auth/callback",
            http=http,
        )
        renewed = await keycloak.refresh(str(signed_in["refresh_token"]))
        claims = await keycloak.access_claims(renewed.access_token)
    assert renewed.access_token != signed_in["access_token"]
    assert claims["acr"] == "2"
    assert claims["auth_time"] == first["auth_time"]
