"""What the console's browser tests share: signing in through Keycloak's real page, and
looking at a page as its users do — a screenshot in each language under
`var/screenshots/console/<area>/`, and axe-core's verdict (no serious or critical violation).

Every page test calls `look(page, area, name)` once the page shows what it is about: it is
screenshot in Spanish, switched to English with the console's own language switch, screenshot
and checked again, and switched back, so the rest of the test goes on in Spanish.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from puebla.devstack.processes import var_dir

SHOTS = var_dir() / "screenshots" / "console"
AXE_COUNTS = SHOTS / "axe.json"
BLOCKING = ("serious", "critical")
_axe = Axe()


@asynccontextmanager
async def signed_in(
    browser: Browser, console_url: str, username: str, *, locale: str = "es-MX"
) -> AsyncIterator[Page]:
    """A fresh browser (its own cookies) where `username` signed in on Keycloak's page; the
    page is on the console's home. Closed, with everything it held, afterwards."""
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        await sign_in(page, console_url, username)
        yield page
    finally:
        await context.close()


async def sign_in(page: Page, console_url: str, username: str, password: str = "demo") -> None:
    await page.goto(f"{console_url}/auth/login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#kc-login")
    await page.wait_for_url(re.compile(re.escape(console_url) + r"/(\?.*)?$"))


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    results = await _axe.run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


async def look(page: Page, area: str, name: str, *, full_page: bool = True) -> dict[str, int]:
    """Screenshots and axe in both languages; fails on a serious or critical violation.
    Returns the violations found per language (any impact), also kept in axe.json."""
    counts: dict[str, int] = {}
    folder = SHOTS / area
    folder.mkdir(parents=True, exist_ok=True)
    for language in ("es", "en"):
        if language != await page.get_attribute("html", "lang"):
            await switch_language(page, language)
        assert await page.get_attribute("html", "lang") == language
        await page.screenshot(path=str(folder / f"{name}-{language}.png"), full_page=full_page)
        violations = await axe_violations(page)
        counts[language] = len(violations)
        blocking = [v for v in violations if v.get("impact") in BLOCKING]
        assert not blocking, f"{area}/{name} ({language}): " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in blocking
        )
    await switch_language(page, "es")
    _record(area, name, counts)
    return counts


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
