"""The console's sign-in, as far as Keycloak goes: the real login page in a real Chromium.

`puebla-console` is a confidential client of the dev realm (authorization code with PKCE S256,
one exact redirect URI on `localhost`, Keycloak on `127.0.0.1`: two sites, as in production).
These tests stop at the realm: the browser's request to the redirect URI is answered by the
test, which takes the code from it and exchanges it as the console's server does, to check the
client itself (PKCE required, exact redirect URI, the tokens the services accept). The
console's own sign-in, through the same page, is `e2e/tests/console/test_shell.py`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Request

from puebla.auth.tokens import TokenVerifier
from puebla_dev.devstack.processes import var_dir

CLIENT = "puebla-console"
SECRET = "puebla-console-dev-only"  # DEV-ONLY, in deploy/keycloak/realm-rcm.json
REDIRECT = "http://localhost:8000/auth/callback"
SHOTS = var_dir() / "screenshots" / "keycloak"


@dataclass
class Authorization:
    verifier: str
    state: str
    url: str


def authorization(issuer: str, **extra: str) -> Authorization:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()
    state = secrets.token_urlsafe(16)
    params = {
        "client_id": CLIENT,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": state,
        "code_challenge": challenge.rstrip("="),
        "code_challenge_method": "S256",
        **extra,
    }
    url = f"{issuer}/protocol/openid-connect/auth?{urllib.parse.urlencode(params)}"
    return Authorization(verifier, state, url)


@pytest_asyncio.fixture(loop_scope="session")
async def context(chromium_browser: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium_browser.new_context(locale="es-MX")
    yield ctx
    await ctx.close()


async def callback_of(page: Page) -> dict[str, str]:
    """The query of the browser's request to the console's redirect URI (its code and state).

    The request is only watched: a route would not see it (Chromium follows Keycloak's redirect
    without handing it to Playwright's interception), so it reaches the console, which answers
    "sign-in did not finish" (this sign-in holds none of its login cookie) and leaves the code
    unspent for the test to exchange."""
    seen: dict[str, str] = {}

    def note(request: Request) -> None:
        if request.url.startswith(REDIRECT):
            seen.update(dict(urllib.parse.parse_qsl(urllib.parse.urlparse(request.url).query)))

    page.on("request", note)
    return seen


async def signed_in(
    context: BrowserContext, issuer: str, username: str
) -> tuple[Authorization, dict[str, str]]:
    """`username` signs in on Keycloak's page; returns the authorization asked for and the
    query of the redirect to the console (its code and state)."""
    page = await context.new_page()
    auth = authorization(issuer)
    callback = await callback_of(page)
    await page.goto(auth.url)
    await page.fill("#username", username)
    await page.fill("#password", "demo")
    await page.click("#kc-login")
    await page.wait_for_url("http://localhost:8000/auth/callback**")
    return auth, callback


class TestTheLoginPage:
    async def test_is_keycloaks_in_spanish_by_default(
        self, context: BrowserContext, keycloak_issuer: str
    ) -> None:
        page = await context.new_page()
        await page.goto(authorization(keycloak_issuer).url)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "login-es.png"), full_page=True)
        assert await page.get_attribute("html", "lang") == "es"
        assert await page.locator("#kc-login").count() == 1
        assert "Contraseña" in await page.inner_text("body")

    async def test_is_in_english_when_the_console_asks_for_it(
        self, context: BrowserContext, keycloak_issuer: str
    ) -> None:
        page = await context.new_page()
        await page.goto(authorization(keycloak_issuer, ui_locales="en").url)
        await page.screenshot(path=str(SHOTS / "login-en.png"), full_page=True)
        assert await page.get_attribute("html", "lang") == "en"
        assert "Password" in await page.inner_text("body")


class TestTheCodeFlow:
    async def test_a_border_officer_signs_in_and_the_code_gives_tokens_the_services_accept(
        self, context: BrowserContext, keycloak_issuer: str
    ) -> None:
        auth, callback = await signed_in(context, keycloak_issuer, "border.gt.tecun")
        assert callback["state"] == auth.state
        token_url = f"{keycloak_issuer}/protocol/openid-connect/token"
        grant = {
            "grant_type": "authorization_code",
            "code": callback["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": auth.verifier,
        }
        async with httpx.AsyncClient() as http:
            answer = await http.post(token_url, data=grant, auth=(CLIENT, SECRET))
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
        assert tokens["refresh_token"]
        # The services accept the console's token (azp puebla-console) as they accept the CLI's.
        for service in ("repatriation", "child_protection", "reserve_fund", "consular"):
            verifier = TokenVerifier(
                keycloak_issuer, service, f"{keycloak_issuer}/protocol/openid-connect/certs"
            )
            claims = await verifier.verify(tokens["access_token"])
            assert claims["azp"] == CLIENT
            assert claims["border_post"] == "GT-TECUN-UMAN"

    async def test_a_code_without_its_verifier_is_refused(
        self, context: BrowserContext, keycloak_issuer: str
    ) -> None:
        _, callback = await signed_in(context, keycloak_issuer, "inm.mx")
        grant = {"grant_type": "authorization_code", "code": callback["code"]}
        grant["redirect_uri"] = REDIRECT
        async with httpx.AsyncClient() as http:
            token_url = f"{keycloak_issuer}/protocol/openid-connect/token"
            answer = await http.post(token_url, data=grant, auth=(CLIENT, SECRET))
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_grant"

    async def test_a_plain_challenge_is_sent_back_as_an_error_and_signs_nobody_in(
        self, keycloak_issuer: str
    ) -> None:
        # Keycloak answers at once with a redirect to the console carrying the error (no page
        # to look at): read that answer itself.
        url = authorization(keycloak_issuer, code_challenge_method="plain").url
        async with httpx.AsyncClient() as http:
            answer = await http.get(url, follow_redirects=False)
        assert answer.status_code == 302
        location = urllib.parse.urlparse(answer.headers["location"])
        assert location._replace(query="").geturl() == REDIRECT
        query = dict(urllib.parse.parse_qsl(location.query))
        assert query["error"] == "invalid_request"
        assert "code challenge method" in query["error_description"]
        assert "code" not in query

    @pytest.mark.parametrize(
        "redirect", ["http://localhost:8000/elsewhere", "http://evil.example/auth/callback"]
    )
    async def test_a_redirect_uri_not_registered_exactly_is_refused_on_keycloaks_page(
        self, context: BrowserContext, keycloak_issuer: str, redirect: str
    ) -> None:
        page = await context.new_page()
        await page.goto(authorization(keycloak_issuer, redirect_uri=redirect).url)
        assert "redirect_uri" in await page.inner_text("body")
        assert await page.locator("#kc-login").count() == 0
