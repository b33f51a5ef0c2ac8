"""A real Chromium for browser tests: Debian's, driven by Playwright (async API)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

from puebla_dev.devstack.browser import BrowserMissing, ensure_chromium, launch_args

__all__ = ["chromium_browser"]


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def chromium_browser() -> AsyncIterator[Browser]:
    try:
        executable = ensure_chromium()
    except BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=launch_args()
        )
        try:
            yield browser
        finally:
            await browser.close()
