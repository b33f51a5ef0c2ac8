"""Events committed while the NATS server is stopped are published after it is started again."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from puebla.messaging.nats import StreamSpec, connect, ensure_streams
from puebla.messaging.relay import OutboxRelay
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import var_dir
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.waiting import wait_until

SERVER = "nats-outage-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_nats() -> Iterator[tuple[int, int, Path]]:
    # A server of this test's own: stopping the shared one would disturb everything else.
    port, monitor = free_port(), free_port()
    store = var_dir() / "nats" / f"{SERVER}-{uuid.uuid4().hex[:8]}"
    dev_nats.start(name=SERVER, port=port, monitor_port=monitor, store_dir=store)
    try:
        yield port, monitor, store
    finally:
        dev_nats.stop(SERVER, kill=True)


async def unpublished(db: MigratedDatabase, ids: list[str]) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    text(
                        "SELECT count(*) FROM outbox WHERE aggregateid = ANY(:ids)"
                        " AND published_at IS NULL"
                    ),
                    {"ids": ids},
                )
            ).scalar_one()
        )


class TestBrokerOutage:
    async def test_events_committed_during_an_outage_are_published_after_it(
        self, library_db: MigratedDatabase, private_nats: tuple[int, int, Path]
    ) -> None:
        port, monitor, store = private_nats
        client = await connect(
            [f"nats://127.0.0.1:{port}"],
            name="outage-test",
            credentials=dev_nats.credentials("devadmin"),
        )
        js = client.jetstream()
        stream = StreamSpec("OUTAGE", ["puebla_test.outage.>"])
        await ensure_streams(js, [stream])
        relay = OutboxRelay(
            library_db.engine, library_db.sessions, js, poll_interval=0.2, publish_timeout=1.0
        )
        # Only this test's rows may go to this server: drain the shared outbox first.
        await relay.publish_pending()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))

        async def connected() -> bool:
            return bool(client.is_connected)

        async def disconnected() -> bool:
            return not client.is_connected

        try:
            dev_nats.stop(SERVER, kill=True)
            await wait_until(disconnected, timeout=10, what="disconnect")

            ids = [str(uuid.uuid4()) for _ in range(5)]
            for aggregate_id in ids:
                uow = UnitOfWork(library_db.sessions, source="puebla/test", actor="test")
                async with uow:
                    uow.publish(
                        OutgoingEvent(
                            "puebla_test.outage.written.v1",
                            "note",
                            aggregate_id,
                            {"version": 1},
                            ["MX"],
                        )
                    )
                    await uow.commit()
            # The relay keeps trying while the broker is away; nothing is marked published.
            await wait_until(
                lambda: attempts(library_db, ids[0]), timeout=10, what="a failed attempt"
            )
            assert await unpublished(library_db, ids) == 5

            dev_nats.start(name=SERVER, port=port, monitor_port=monitor, store_dir=store)
            await wait_until(connected, timeout=30, what="reconnect")
            await wait_until(
                lambda: all_published(library_db, ids), timeout=30, what="all published"
            )
            info = await js.stream_info("OUTAGE")
            assert info.state.messages == 5
        finally:
            stop.set()
            await task
            await client.close()


async def attempts(db: MigratedDatabase, aggregate_id: str) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    text("SELECT attempts FROM outbox WHERE aggregateid = :a"),
                    {"a": aggregate_id},
                )
            ).scalar_one()
        )


async def all_published(db: MigratedDatabase, ids: list[str]) -> bool:
    return await unpublished(db, ids) == 0
