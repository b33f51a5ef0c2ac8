"""A worker runs its relay, consumers and jobs until stopped; if one of them ends before that,
the worker stops and fails, so its supervisor restarts it (a worker without its relay would
quietly publish nothing)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from puebla.config import PlatformSettings
from puebla.runtime import Runtime, ServiceDefinition
from puebla.worker import WorkerTaskEnded, run_worker
from puebla_dev.testing.infra import Infra, MigratedDatabase
from puebla_dev.testing.waiting import wait_until

from .conftest import FIXTURE_SERVICE


def definition(db: MigratedDatabase, infra: Infra) -> ServiceDefinition:
    return ServiceDefinition(
        "puebla_test",
        FIXTURE_SERVICE,
        db.url,
        platform=PlatformSettings(
            nats_servers=infra.nats_servers, nats_credentials=infra.nats_credentials("devadmin")
        ),
    )


async def test_a_worker_whose_job_ends_before_the_stop_fails(
    library_db: MigratedDatabase, infra: Infra
) -> None:
    async def ends_at_once(runtime: Runtime, stop: asyncio.Event) -> None:
        return None

    with pytest.raises(WorkerTaskEnded, match="ends_at_once"):
        await asyncio.wait_for(
            run_worker(definition(library_db, infra), lambda rt: [], background=[ends_at_once]),
            timeout=30,
        )


async def test_a_stopped_worker_ends_cleanly(library_db: MigratedDatabase, infra: Infra) -> None:
    stop = asyncio.Event()
    ran = asyncio.Event()

    async def stops_the_worker(runtime: Runtime, stop_: asyncio.Event) -> None:
        ran.set()
        stop.set()  # as SIGTERM would
        await stop_.wait()

    await asyncio.wait_for(
        run_worker(
            definition(library_db, infra), lambda rt: [], stop=stop, background=[stops_the_worker]
        ),
        timeout=30,
    )
    assert ran.is_set()


class TestIdempotencyPurge:
    """Every service's worker purges expired idempotency keys without the service asking."""

    async def _key(self, db: MigratedDatabase, taken_ago: timedelta) -> str:
        key = f"purge-{uuid.uuid4()}"
        async with db.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO idempotency (subject, key, request_hash, status, body, created_at)"
                    " VALUES ('purge-test', :k, 'h', 201, '{}'::jsonb,"
                    " clock_timestamp() - CAST(:ago AS interval))"
                ),
                {"k": key, "ago": taken_ago},
            )
            await session.commit()
        return key

    async def _exists(self, db: MigratedDatabase, key: str) -> bool:
        async with db.sessions() as session:
            found = await session.execute(
                text("SELECT 1 FROM idempotency WHERE subject = 'purge-test' AND key = :k"),
                {"k": key},
            )
            return found.first() is not None

    async def test_a_worker_purges_keys_older_than_the_configured_retention(
        self, library_db: MigratedDatabase, infra: Infra
    ) -> None:
        expired = await self._key(library_db, timedelta(days=2, minutes=1))
        kept = await self._key(library_db, timedelta(days=1, hours=23))
        platform = PlatformSettings(
            nats_servers=infra.nats_servers,
            nats_credentials=infra.nats_credentials("devadmin"),
            idempotency_retention_days=2,
            idempotency_purge_interval_seconds=0.2,
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(
            run_worker(
                ServiceDefinition("puebla_test", FIXTURE_SERVICE, library_db.url, platform),
                lambda rt: [],
                stop=stop,
            )
        )
        try:

            async def purged() -> bool:
                if worker.done():  # a worker that died purges nothing: say why
                    worker.result()
                return not await self._exists(library_db, expired)

            await wait_until(purged, timeout=30, what="the expired key purged by the worker")
            assert await self._exists(library_db, kept)
        finally:
            stop.set()
            await asyncio.wait_for(worker, timeout=30)

    def test_the_default_retention_is_seven_days(self) -> None:
        assert PlatformSettings().idempotency_retention_days == 7
