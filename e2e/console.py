"""What the console's browser tests share: signing in through Keycloak's real page, and
looking at a page as its users do — a screenshot in each language under
`var/screenshots/console/<area>/`, and axe-core's verdict (no serious or critical violation).

Every page test calls `look(page, area, name)` once the page shows what it is about: it is
screenshot and checked in Spanish while a second tab opens it in English through the console's
own language switch (screenshot and checked too); the officer's page is not reloaded, and the
rest of the test goes on in Spanish.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from axe_playwright_python.async_playwright import Axe
from keycloak import KeycloakAdmin
from playwright._impl._api_structures import SetCookieParam
from playwright.async_api import Browser, Page, expect

from puebla_dev.devstack.processes import var_dir

SHOTS = var_dir() / "screenshots" / "console"
AXE_COUNTS = SHOTS / "axe.json"
BLOCKING = ("serious", "critical")
LANGUAGE_COOKIE = "__Host-puebla-lang"  # console.entrypoints.i18n.LANGUAGE_COOKIE
_axe = Axe()


# The cookies of each officer's first sign-in of this test session (Keycloak's and the
# console's), so that the next test that needs them signed in starts from there: one page load
# instead of Keycloak's login page, ~1 s each, fifty times a run. A session that ended since
# (signed out, purged, ended by Keycloak) is noticed on the home page and signed in again.
_SIGNED_IN: dict[tuple[str, str], Any] = {}


@asynccontextmanager
async def signed_in(
    browser: Browser,
    console_url: str,
    username: str,
    *,
    locale: str = "es-MX",
    fresh: bool = False,
) -> AsyncIterator[Page]:
    """A browser of its own (its own cookies) where `username` is signed in, on the console's
    home page; closed, with everything it held, afterwards. `fresh`: through Keycloak's login
    page now (the tests of signing in and out), else with the cookies of this session's earlier
    sign-in of the same officer when it is still open."""
    key = (console_url, username)
    stored = None if fresh else _SIGNED_IN.get(key)
    context = await browser.new_context(
        locale=locale, viewport={"width": 1280, "height": 900}, storage_state=stored
    )
    try:
        page = await context.new_page()
        if stored is not None:
            await page.goto(f"{console_url}/")
            if await page.locator("form.logout").count() == 0:  # that session has ended
                stored = None
        if stored is None:
            await sign_in(page, console_url, username)
        yield page
        if not fresh:  # as the test left them (a second-factor sign-in renews the session)
            state = await context.storage_state()
            state["cookies"] = [c for c in state["cookies"] if c["name"] != LANGUAGE_COOKIE]
            _SIGNED_IN[key] = state
    finally:
        await context.close()


async def sign_in(page: Page, console_url: str, username: str, password: str = "demo") -> None:
    await page.goto(f"{console_url}/auth/login")
    # Keycloak asks for the password, or (its own session still open in this browser) sends
    # the officer straight back signed in.
    signed_in = page.locator("form.logout")
    await expect(page.locator("#username").or_(signed_in)).to_be_visible()
    if await signed_in.count():
        return
    await answer_login(page, username, password)
    await page.wait_for_url(re.compile(re.escape(console_url) + r"/(\?.*)?$"))


async def answer_login(page: Page, username: str, password: str = "demo") -> None:
    """Keycloak's login page, shown: the officer types their name and password."""
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")


def end_keycloak_sessions(keycloak_url: str, username: str) -> None:
    """An administrator ends every Keycloak session of `username` (a lost laptop, the realm's
    limits); Keycloak's back-channel logout ends the console's sessions with them."""
    admin = KeycloakAdmin(
        server_url=keycloak_url,
        username="admin",
        password="admin",  # DEV-ONLY bootstrap admin
        realm_name="rcm",
        user_realm_name="master",
    )
    user_id = admin.get_user_id(username)
    assert user_id is not None, f"no user {username} in the realm"
    admin.user_logout(user_id)


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    results = await _axe.run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


async def look(page: Page, area: str, name: str, *, full_page: bool = True) -> dict[str, int]:
    """Screenshots and axe in both languages; fails on a serious or critical violation.
    Returns the violations found per language (any impact), also kept in axe.json."""
    folder = SHOTS / area
    folder.mkdir(parents=True, exist_ok=True)
    if await page.get_attribute("html", "lang") != "es":
        await switch_language(page, "es")
    # English in a second tab of the same browser, through the console's own language switch,
    # while the Spanish page is looked at: the officer's page is not reloaded (what a form
    # holds stays), and the switch is undone by putting the Spanish cookie back.
    english = await page.context.new_page()
    try:
        switch = await page.get_attribute("nav.languages a[lang='en']", "href")
        assert switch, f"{area}/{name}: no language switch on the page"
        origin = re.match(r"^https?://[^/]+", page.url)
        assert origin, page.url

        async def in_english() -> int:
            await english.goto(origin.group(0) + switch)
            await expect(english.locator("html")).to_have_attribute("lang", "en")
            return await _shoot(english, folder, area, name, "en", full_page)

        es, en = await asyncio.gather(
            _shoot(page, folder, area, name, "es", full_page), in_english()
        )
    finally:
        await english.close()
        await _prefer(page, "es")
    counts = {"es": es, "en": en}
    _record(area, name, counts)
    return counts


async def look_in_spanish(page: Page, area: str, name: str) -> None:
    """`look` for a page a second tab cannot open again as it is (a refused form's answer, the
    offline shell with no link): screenshot and axe in Spanish only."""
    folder = SHOTS / area
    folder.mkdir(parents=True, exist_ok=True)
    _record(area, name, {"es": await _shoot(page, folder, area, name, "es", True)})


async def _shoot(
    page: Page, folder: Path, area: str, name: str, language: str, full_page: bool
) -> int:
    await page.screenshot(path=str(folder / f"{name}-{language}.png"), full_page=full_page)
    violations = await axe_violations(page)
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"{area}/{name} ({language}): " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in blocking
    )
    return len(violations)


async def _prefer(page: Page, language: str) -> None:
    """Sets the console's language cookie back without loading a page."""
    cookies = [c for c in await page.context.cookies() if c["name"] == LANGUAGE_COOKIE]
    await page.context.add_cookies(
        [cast(SetCookieParam, {**c, "value": language}) for c in cookies]
    )


async def switch_language(page: Page, language: str) -> None:
    await page.click(f"nav.languages a[lang='{language}']")
    # `expect` retries across the navigation (a page function may run while the next
    # document has no element yet: "Cannot read properties of null (reading 'lang')").
    await expect(page.locator("html")).to_have_attribute("lang", language)


def _record(area: str, name: str, counts: dict[str, int]) -> None:
    known: dict[str, Any] = {}
    if AXE_COUNTS.exists():
        try:
            known = json.loads(AXE_COUNTS.read_text())
        except ValueError:
            known = {}
    known[f"{area}/{name}"] = counts
    AXE_COUNTS.parent.mkdir(parents=True, exist_ok=True)
    AXE_COUNTS.write_text(json.dumps(known, indent=2, sort_keys=True))


def shot_path(area: str, name: str, language: str) -> Path:
    return SHOTS / area / f"{name}-{language}.png"
