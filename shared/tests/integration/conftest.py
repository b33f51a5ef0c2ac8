from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from puebla.messaging.nats import StreamSpec, ensure_streams
from puebla_dev.testing.infra import Infra, MigratedDatabase, migrated_database

FIXTURE_SERVICE = Path(__file__).parents[1] / "fixture_service"
# The library's own test events: a stream of their own, apart from the services' streams.
TEST_STREAM = StreamSpec("PUEBLA_TEST", ["puebla_test.>"])


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def library_db(infra: Infra) -> AsyncIterator[MigratedDatabase]:
    db = await migrated_database(infra, "puebla_test", FIXTURE_SERVICE)
    yield db
    await db.engine.dispose()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def test_stream(js: JetStreamContext) -> str:
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(TEST_STREAM.name)
    await ensure_streams(js, [TEST_STREAM])
    return TEST_STREAM.name
