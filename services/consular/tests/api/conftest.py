"""The consular API in-process on its own test database (`consular_test`), with real Keycloak
tokens. Tests make unique records (fresh ids) instead of wiping tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from consular.bootstrap import Consular
from consular.config import definition
from consular.entrypoints.api.app import create_app
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest.fixture
def svc(runtime: Runtime) -> Consular:
    return Consular(runtime)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(runtime)) as http:
        yield http


class As:
    """Requests as one demo user: `await api("consul.gt.tapachula").get(...)`."""

    def __init__(self, client: httpx.AsyncClient, tokens: KeycloakTokens, username: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {tokens.get(username)}"}

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, headers=self.headers, **kwargs)

    async def post(
        self, url: str, json: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return await self.client.post(
            url, json=json, headers={**self.headers, **(headers or {})}, **kwargs
        )


@pytest_asyncio.fixture(loop_scope="session")
async def api(client: httpx.AsyncClient, tokens: KeycloakTokens) -> Any:
    def as_user(username: str) -> As:
        return As(client, tokens, username)

    return as_user
