from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from puebla.runtime import Runtime
from puebla.testing.infra import Infra
from puebla.testing.service import app_client, service_runtime
from repatriation.config import definition
from repatriation.entrypoints.api.app import create_app


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(runtime)) as http:
        yield http
