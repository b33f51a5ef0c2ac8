"""On a three-node JetStream cluster (R3), killing the stream leader mid-workload loses nothing
and applies nothing twice; the local stack starts on a cluster that has no leader yet.

Each test's cluster has ports of its own below the ephemeral range (32768-60999 on Linux),
where an outgoing connection could hold a node's port just when the node (re)binds it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from nats.aio.client import Client
from sqlalchemy import text
from structlog.testing import capture_logs

from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import OutgoingEvent, Tracking, UnitOfWork
from puebla.messaging.consumer import ConsumerRunner, Subscription
from puebla.messaging.nats import STREAMS, StreamSpec, connect, ensure_streams
from puebla.messaging.relay import OutboxRelay
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack import stack
from puebla_dev.devstack.processes import var_dir
from puebla_dev.testing.infra import Infra, MigratedDatabase
from puebla_dev.testing.waiting import wait_until

SUBJECT = "puebla_test.cluster.written.v1"
STREAM = StreamSpec("CLUSTER_TEST", ["puebla_test.cluster.>"])
EVENTS = 120


@pytest.fixture(scope="module")
def cluster() -> Iterator[list[dev_nats.ClusterNode]]:
    nodes = dev_nats.cluster_nodes(base_port=14222)  # clear of the fault stack's (26222)
    store = var_dir() / "nats" / f"cluster-test-{uuid.uuid4().hex[:8]}"
    started = dev_nats.start_cluster(nodes, store)
    try:
        yield nodes
    finally:
        for name in started:
            dev_nats.stop(name, kill=True)


@pytest_asyncio.fixture(loop_scope="session")
async def cluster_client(cluster: list[dev_nats.ClusterNode]) -> AsyncIterator[Client]:
    client = await connect(
        [n.url for n in cluster], name="cluster-test", credentials=dev_nats.credentials("devadmin")
    )

    async def stream_ready() -> bool:
        try:
            await ensure_streams(client.jetstream(), [STREAM], replicas=3)
        except Exception:  # no meta leader elected yet
            return False
        return True

    await wait_until(stream_ready, timeout=30, what="an R3 stream on the cluster")
    yield client
    await client.close()


async def effects(db: MigratedDatabase, ids: list[str]) -> dict[str, int]:
    async with db.sessions() as session:
        rows = await session.execute(
            text("SELECT text, count(*) FROM note WHERE text = ANY(:ids) GROUP BY text"),
            {"ids": ids},
        )
        return {r[0]: int(r[1]) for r in rows}


class TestClusterFailover:
    async def test_killing_the_stream_leader_loses_nothing(
        self,
        library_db: MigratedDatabase,
        js: object,
        cluster: list[dev_nats.ClusterNode],
        cluster_client: Client,
    ) -> None:
        cjs = cluster_client.jetstream()
        info = await cjs.stream_info(STREAM.name)
        assert info.config.num_replicas == 3
        # Rows of other tests go to the single-node server, not to this cluster.
        await OutboxRelay(library_db.engine, library_db.sessions, js).publish_pending()  # type: ignore[arg-type]

        async def handle(envelope: IncomingEnvelope, tracking: Tracking) -> None:
            uow = UnitOfWork(library_db.sessions, source="puebla/test", actor="test")
            uow.track(tracking)
            async with uow:
                await uow.session.execute(
                    text("INSERT INTO note (id, text, event_id) VALUES (:id, :t, :e)"),
                    {"id": uuid.uuid4(), "t": envelope.data["marker"], "e": envelope.id},
                )
                await uow.commit()

        sub = Subscription(
            durable=f"cluster-{uuid.uuid4().hex[:8]}",
            stream=STREAM.name,
            subjects=[SUBJECT],
            publisher=lambda _: "test",
            handle=handle,
            ack_wait=5.0,
        )
        relay = OutboxRelay(
            library_db.engine, library_db.sessions, cjs, poll_interval=0.1, publish_timeout=2.0
        )
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(relay.run(stop)),
            asyncio.create_task(ConsumerRunner(cjs, library_db.sessions, sub).run(stop)),
        ]
        markers = [f"cluster-{uuid.uuid4()}" for _ in range(EVENTS)]
        try:
            for i, marker in enumerate(markers):
                uow = UnitOfWork(library_db.sessions, source="puebla/test", actor="test")
                async with uow:
                    uow.publish(
                        OutgoingEvent(
                            SUBJECT, "note", marker, {"version": 1, "marker": marker}, ["MX"]
                        )
                    )
                    await uow.commit()
                if i == EVENTS // 3:
                    placed = (await cjs.stream_info(STREAM.name)).cluster
                    assert placed is not None
                    assert placed.leader is not None
                    dev_nats.stop(placed.leader, kill=True)

            async def all_applied() -> bool:
                return len(await effects(library_db, markers)) == EVENTS

            await wait_until(all_applied, timeout=90, what="every event applied")
            counts = await effects(library_db, markers)
            assert set(counts.values()) == {1}
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)


class TestStackOnAStartingCluster:
    """`puebla_dev.devstack up` against a cluster (the fault tests') declares the streams as
    patiently as the services do: a cluster between meta leaders answers "unavailable" or
    nothing, and a start that gave up at the first try exited 1 with nothing running."""

    async def test_streams_are_declared_once_the_cluster_elects_a_leader(
        self, infra: Infra, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Ports and names of its own: the failover test's cluster may still be running.
        nodes = dev_nats.cluster_nodes(base_port=15222, prefix="nats-prepare-")
        store = var_dir() / "nats" / f"cluster-prepare-{uuid.uuid4().hex[:8]}"
        monkeypatch.setenv("PUEBLA_DEVSTACK_NATS_SERVERS", ",".join(n.url for n in nodes))
        monkeypatch.setenv("PUEBLA_NATS_STREAM_REPLICAS", "3")
        started: list[str] = []
        try:
            # One node of three: no quorum, so no meta leader and no stream can be declared.
            if dev_nats.start_cluster_node(nodes[0], nodes, store):
                started.append(nodes[0].name)
            with capture_logs() as logs:
                prepare = asyncio.create_task(stack._prepare([]))

                async def tried_and_waits() -> bool:
                    if prepare.done():  # gave up (or, impossibly, succeeded without quorum)
                        prepare.result()
                        raise AssertionError("streams declared on a cluster without quorum")
                    return any(e.get("event") == "startup.waiting" for e in logs)

                await wait_until(tried_and_waits, timeout=60, what="a first try that failed")
                for node in nodes[1:]:  # the rest of the cluster comes: a leader is elected
                    if await asyncio.to_thread(dev_nats.start_cluster_node, node, nodes, store):
                        started.append(node.name)
                await asyncio.wait_for(prepare, timeout=90)
            client = await connect(
                [n.url for n in nodes],
                name="cluster-prepare-check",
                credentials=dev_nats.credentials("devadmin"),
            )
            try:
                for spec in STREAMS:
                    info = await client.jetstream().stream_info(spec.name)
                    assert info.config.num_replicas == 3, spec.name
            finally:
                await client.close()
        finally:
            for name in started:
                dev_nats.stop(name, kill=True)
