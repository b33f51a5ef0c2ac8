"""A worker runs its relay, consumers and jobs until stopped; if one of them ends before that,
the worker stops and fails, so its supervisor restarts it (a worker without its relay would
quietly publish nothing)."""

from __future__ import annotations

import asyncio

import pytest

from puebla.config import PlatformSettings
from puebla.runtime import Runtime, ServiceDefinition
from puebla.testing.infra import Infra, MigratedDatabase
from puebla.worker import WorkerTaskEnded, run_worker

from .conftest import FIXTURE_SERVICE


def definition(db: MigratedDatabase, infra: Infra) -> ServiceDefinition:
    return ServiceDefinition(
        "puebla_test",
        FIXTURE_SERVICE,
        db.url,
        platform=PlatformSettings(nats_servers=infra.nats_servers),
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
