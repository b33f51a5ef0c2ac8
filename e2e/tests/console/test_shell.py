"""The console's shell in a real Chromium: sign-in through Keycloak's page, the one cookie,
the language switch, the idle warning, and every way a session ends (sign-out, Keycloak's
back-channel, a forged form). The console is at `localhost`, Keycloak at `127.0.0.1`: two
sites, so the cookie rules bite here as they will in production."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, expect

from e2e.console import end_keycloak_sessions, look, signed_in, switch_language
from puebla_dev.devstack import stack
from puebla_dev.devstack.processes import var_dir, wait_for
from puebla_dev.testing.waiting import wait_until

SESSION_COOKIE = "__Host-puebla-session"


async def home_text(console_url: str, cookie: str) -> str:
    """The console's front page as a browser holding `cookie` would get it."""
    async with httpx.AsyncClient(cookies={SESSION_COOKIE: cookie}) as http:
        return (await http.get(f"{console_url}/")).text


class TestSigningIn:
    async def test_a_border_officer_signs_in_on_keycloaks_page_and_sees_their_work(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "border.gt.tecun", fresh=True) as page:
            await expect(page.locator("h1")).to_have_text("Mi trabajo")
            shell = await page.inner_text("header")
            assert "Tomás Cux" in shell
            assert "Oficial de frontera" in shell
            assert "Guatemala" in shell
            await expect(page.get_by_role("link", name="Llegadas").first).to_be_visible()
            await look(page, "shell", "home-border")

    async def test_the_immigration_officer_and_the_consul_see_their_own_queues(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "inm.mx") as page:
            await expect(page.get_by_role("heading", name="Oficial de migración")).to_be_visible()
            await expect(
                page.get_by_role("link", name=re.compile("Manifiestos aún no enviados"))
            ).to_be_visible()
            await expect(page.get_by_role("link", name="Llegadas")).to_have_count(0)
            await look(page, "shell", "home-immigration")
        async with signed_in(chromium_browser, console_url, "consul.gt.tapachula") as page:
            await expect(
                page.get_by_role("link", name=re.compile("Notificaciones vencidas"))
            ).to_be_visible()
            await expect(
                page.get_by_role("link", name=re.compile("Nacionalidades por verificar"))
            ).to_be_visible()
            assert "Consulado — Tapachula" in await page.inner_text("header")
            await look(page, "shell", "home-consular")
            # A record the API does not show this officer: the console's "not found" page.
            await page.goto(f"{console_url}/manifests/00000000-0000-7000-8000-000000000000")
            await expect(page.locator("h1")).to_have_text("No encontrado")
            await look(page, "shell", "not-found")

    async def test_the_second_halfs_roles_see_their_queues_or_a_sentence(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "dif.mx") as page:
            await expect(
                page.get_by_role("heading", name="Oficial de protección de la niñez")
            ).to_be_visible()
            await expect(page.locator("ul.queues a").first).to_be_visible()
            await look(page, "shell", "home-caseworker")
        async with signed_in(chromium_browser, console_url, "iom.approver") as page:
            await expect(page.get_by_role("heading", name="Fondo de Reserva")).to_be_visible()
            await look(page, "shell", "home-fund")
        async with signed_in(chromium_browser, console_url, "audit.rcm") as page:
            await expect(page.locator("main")).to_contain_text("no hay nada pendiente")
            await expect(page.get_by_role("link", name="Auditoría")).to_be_visible()
            await look(page, "shell", "home-auditor")

    async def test_the_browser_holds_one_host_only_httponly_secure_lax_cookie_and_no_token(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "inm.mx", fresh=True) as page:
            cookies = [c for c in await page.context.cookies() if c["domain"] == "localhost"]
            assert [c["name"] for c in cookies] == [SESSION_COOKIE]
            (cookie,) = cookies
            assert cookie["httpOnly"]
            assert cookie["secure"]
            assert cookie["sameSite"] == "Lax"
            assert cookie["path"] == "/"
            assert cookie["expires"] == -1  # a session cookie: closing the browser forgets it
            # Nothing of the tokens reaches the page or its storage.
            html = await page.content()
            storage = await page.evaluate(
                "JSON.stringify(localStorage)+JSON.stringify(sessionStorage)"
            )
            assert "eyJ" not in html
            assert "eyJ" not in storage

    async def test_a_page_that_needs_a_session_comes_back_after_signing_in(
        self, chromium_browser: Browser, console_url: str, keycloak_url: str
    ) -> None:
        context = await chromium_browser.new_context(locale="es-MX")
        try:
            page = await context.new_page()
            await page.goto(f"{console_url}/session/nowhere-yet?x=1")
            # Not a page of the console: the not-found page, in Spanish, without signing in.
            await expect(page.locator("h1")).to_have_text("No encontrado")
            await page.goto(f"{console_url}/manifests?status=draft")
            await page.wait_for_selector("#username")
            assert page.url.startswith(keycloak_url)
            assert await page.get_attribute("html", "lang") == "es"
            await page.fill("#username", "inm.mx")
            await page.fill("#password", "demo")
            await page.click("#kc-login")
            await page.wait_for_url(f"{console_url}/manifests?status=draft")
        finally:
            await context.close()

    async def test_the_console_answers_on_one_origin(self, console_url: str) -> None:
        loopback = console_url.replace("localhost", "127.0.0.1")
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{loopback}/manifests?status=draft")
        assert answer.status_code == 308
        assert answer.headers["location"] == f"{console_url}/manifests?status=draft"

    async def test_the_signed_out_front_page_in_both_languages(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        context = await chromium_browser.new_context(locale="es-MX")
        try:
            page = await context.new_page()
            response = await page.goto(f"{console_url}/")
            assert response is not None
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy
            assert "unsafe-inline" not in policy
            await expect(page.get_by_role("link", name="Iniciar sesión")).to_be_visible()
            await look(page, "shell", "landing")
        finally:
            await context.close()


class TestLanguage:
    async def test_the_switch_sticks_and_keycloaks_page_follows_it(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        context = await chromium_browser.new_context(locale="es-MX")
        try:
            page = await context.new_page()
            await page.goto(f"{console_url}/")
            await switch_language(page, "en")
            await page.goto(f"{console_url}/")  # a new visit: still English
            assert await page.get_attribute("html", "lang") == "en"
            await page.get_by_role("link", name="Sign in").click()
            await page.wait_for_selector("#username")
            assert await page.get_attribute("html", "lang") == "en"  # ui_locales=en
            await page.fill("#username", "consul.gt.tapachula")
            await page.fill("#password", "demo")
            await page.click("#kc-login")
            await expect(page.locator("h1")).to_have_text("My work")
            await expect(page.get_by_role("link", name="Notifications overdue")).to_be_visible()
        finally:
            await context.close()


class TestEndingASession:
    async def test_signing_out_ends_the_keycloak_session_and_the_cookie_opens_nothing(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "inm.mx", fresh=True) as page:
            (cookie,) = [
                c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE
            ]
            await page.get_by_role("button", name="Cerrar sesión").click()
            await page.wait_for_url(f"{console_url}/")
            await expect(page.get_by_role("link", name="Iniciar sesión")).to_be_visible()
            assert SESSION_COOKIE not in {c["name"] for c in await page.context.cookies()}
            # Keycloak's session ended too: signing in asks for the password again.
            await page.get_by_role("link", name="Iniciar sesión").click()
            await page.wait_for_selector("#username")
        assert "Mi trabajo" not in await home_text(console_url, cookie)

    async def test_keycloak_ending_the_session_ends_the_consoles_back_channel(
        self, chromium_browser: Browser, console_url: str, keycloak_url: str
    ) -> None:
        if stack.port_offset():
            pytest.fail("the realm sends back-channel logouts to the console on port 8000 only")
        async with signed_in(
            chromium_browser, console_url, "consul.hn.tapachula", fresh=True
        ) as page:
            (cookie,) = [
                c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE
            ]
            assert "Mi trabajo" in await home_text(console_url, cookie)
            # An administrator ends the officer's sessions in Keycloak (a lost laptop).
            end_keycloak_sessions(keycloak_url, "consul.hn.tapachula")

            async def ended() -> bool:
                return "Mi trabajo" not in await home_text(console_url, cookie)

            await wait_until(ended, timeout=15, what="the console session ended by Keycloak")
            await page.reload()
            await expect(page.get_by_role("link", name="Iniciar sesión")).to_be_visible()

    async def test_a_form_without_the_sessions_token_does_nothing(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "inm.mx") as page:
            answer = await page.request.post(f"{console_url}/auth/logout", form={"x": "1"})
            assert answer.status == 403
            assert "Este formulario venció" in await answer.text()
            await page.reload()
            await expect(page.locator("h1")).to_have_text("Mi trabajo")  # still signed in


@pytest.fixture
def short_idle_console() -> Iterator[str]:
    """A second console on the same session store whose sessions idle out after 70 s and warn
    after 5: the browser's cookie (cookies ignore ports) opens the same session there."""
    port = stack.console_port() + 10000
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        **stack.console_env(),
        "CONSOLE_PUBLIC_URL": url,
        "CONSOLE_SESSION_IDLE_SECONDS": "70",
        "CONSOLE_IDLE_WARNING_SECONDS": "65",
        "CONSOLE_MIGRATE_ON_START": "false",
    }
    log = (var_dir() / "logs" / "console-short-idle.log").open("ab")
    proc = subprocess.Popen(
        stack.console_command(port),
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for(
            lambda: stack.ready(stack.ServiceSpec("console", port)),
            timeout=60,
            what="the short-idle console",
        )
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


class TestTheIdleWarning:
    async def test_the_officer_is_warned_before_the_idle_end_and_can_stay(
        self, chromium_browser: Browser, console_url: str, short_idle_console: str
    ) -> None:
        async with signed_in(
            chromium_browser, console_url, "border.gt.mesilla", fresh=True
        ) as page:
            await page.goto(f"{short_idle_console}/")
            warning = page.get_by_role("alertdialog")
            await expect(warning).to_be_hidden()
            ends_before = await page.get_attribute("body", "data-ends-at")
            await expect(warning).to_be_visible(timeout=20_000)
            await expect(warning).to_contain_text("Su sesión está por terminar")
            await page.screenshot(
                path=str(var_dir() / "screenshots" / "console" / "shell" / "idle-warning-es.png")
            )
            await page.get_by_role("button", name="Seguir conectado").click()
            await expect(warning).to_be_hidden()
            # Staying restarted the idle clock on the server, for every console.
            await page.reload()
            assert await page.get_attribute("body", "data-ends-at") != ends_before


class TestWhatAFormMaySend:
    async def test_a_body_over_five_megabytes_is_refused_before_it_is_read(
        self, chromium_browser: Browser, console_url: str
    ) -> None:
        async with signed_in(chromium_browser, console_url, "inm.mx") as page:
            answer = await page.request.post(
                f"{console_url}/session/keepalive",
                data=b"x" * (5 * 1024 * 1024 + 1),
                headers={"Content-Type": "application/octet-stream"},
            )
            assert answer.status == 413
            assert "El archivo es demasiado grande" in await answer.text()
