"""The console's browser tests: the stack with the console (the `system` fixture) and one
Chromium for the session (`chromium_browser`, Debian's); `http` for setting up through the APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from puebla_dev.devstack import stack


@pytest.fixture(scope="session")
def console_url(system: dict[str, str]) -> str:
    return stack.console_url()


@pytest_asyncio.fixture(loop_scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A client for setting up records through the APIs (a test's own, each time)."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client
