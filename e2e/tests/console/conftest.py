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
    """A client for setting up records through the APIs (a test's own, each time). No kept
    connections: between two API calls a test drives the browser for longer than the servers'
    keep-alive (uvicorn: 5 s), and a request sent on a connection the server is closing just
    then fails with "Server disconnected without sending a response" (seen in CI)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        yield client
