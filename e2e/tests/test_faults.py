"""Crashes lose nothing and apply nothing twice (Jepsen-style, on a stack of its own).

A second stack (e2e/faults: own var dir, ports +20000, Keycloak shared) runs a mixed workload
over HTTP with real tokens — manifests through consular verification, dispatch and hand-over,
child cases, Reserve Fund approvals — while NATS, PostgreSQL and every service's API and
worker are killed at random. Every write carries an `Idempotency-Key` and is retried with the
same key until it gets a definitive answer. Once every relay and consumer is done, every
intended effect is counted in the services' own databases and classified ok / lost /
duplicated / unknown. The second test does the same on a three-node JetStream cluster (R3
streams, `sync_interval: always`) and kills its nodes one at a time.

`make test` runs one random seed of each at a small scale (a 12 s window); `make faults` runs
several (`PUEBLA_FAULT_SEEDS`, default 5) with a 25 s window (`PUEBLA_FAULT_WINDOW`).
`PUEBLA_FAULT_SEED=<n>` replays one seed: the same gaps and draws (timing is the machine's: a
draw is made among the parts up at that moment, so a slower restart can change what it hits).
Each run appends its figures to var/faults/runs.jsonl.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.faults.harness import (
    CLUSTER_BASE_PORT,
    OFFSET,
    SERVICE_TARGETS,
    SERVICES,
    Chaos,
    FaultStack,
    NatsCluster,
    StackCommandFailed,
    run_reporting,
)
from e2e.faults.run import Report, exercise
from e2e.faults.workload import Scale
from puebla.messaging.nats import STREAMS, connect
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import repo_root
from puebla_dev.testing.keycloak import KeycloakTokens


def _seeds() -> list[int]:
    if os.environ.get("PUEBLA_FAULT_SEED"):
        return [int(os.environ["PUEBLA_FAULT_SEED"])]
    count = int(os.environ.get("PUEBLA_FAULT_SEEDS", "1"))
    return [random.SystemRandom().randrange(2**31) for _ in range(count)]


SEEDS = _seeds()
# Seconds during which journeys start (one a second) and faults are injected: 12 in
# `make test` (4 to 5 faults of each run), 25 in `make faults`.
SCALE = Scale(window=float(os.environ.get("PUEBLA_FAULT_WINDOW", "12")))
RUNS = repo_root() / "var" / "faults" / "runs.jsonl"


class Lab:
    """The fault stack, switched between its own NATS and a three-node cluster."""

    def __init__(self, stack: FaultStack) -> None:
        self.stack = stack
        self.cluster = NatsCluster(stack)
        self.mode: str | None = None

    async def single(self) -> FaultStack:
        if self.mode != "single":
            await self._leave()
            self.stack.external_nats, self.stack.replicas = None, 1
            await self.stack.up()
            self.mode = "single"
        return self.stack

    async def clustered(self) -> FaultStack:
        if self.mode != "cluster":
            await self._leave()
            await self.cluster.start()
            await self.cluster.wait_ready()
            self.stack.external_nats, self.stack.replicas = self.cluster.servers, 3
            await self.stack.up()
            self.mode = "cluster"
        return self.stack

    async def restore_cluster(self) -> None:
        await self.cluster.start()  # the node that was killed, if it was one
        await self.stack.up()

    async def _leave(self) -> None:
        if self.mode is not None:
            await self.stack.down()
        self.mode = None

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stack._devstack("down")
        self.cluster.stop()


@pytest.fixture(scope="session")
def lab(keycloak_url: str) -> Iterator[Lab]:
    stack = FaultStack(repo_root() / "var" / "faults" / "stack")
    stack.wipe()  # a fresh stack: whatever an aborted session left is stopped and deleted
    lab = Lab(stack)
    try:
        yield lab
    finally:
        lab.close()


def show(report: Report, capsys: pytest.CaptureFixture[str]) -> None:
    report.save(RUNS)
    with capsys.disabled():
        print("\n" + report.table())


def killed(report: Report, target: str) -> bool:
    return any(fault.endswith(f" killed {target}") for fault in report.faults)


def check(report: Report) -> None:
    assert report.injected >= 3, f"too few faults to mean anything:\n{report.table()}"
    assert report.totals["lost"] == 0, report.table()
    assert report.totals["duplicated"] == 0, report.table()
    assert report.dead_letters == 0, report.table()
    # Every write got a definitive answer, and none was a refusal.
    assert not [k for k in report.journeys if "gave up" in k], report.table()
    assert report.refusals == [], report.table()
    assert report.totals["unknown"] == 0, report.table()
    # An API whose database is away says so (503 + Retry-After), never a bare 500.
    assert report.client.get("write: 500", 0) == 0, report.table()
    assert report.totals["ok"] >= 30, report.table()
    # Every service's audit log is whole afterwards: no entry lost, changed or out of place.
    assert report.logs == dict.fromkeys(report.logs, "ok"), report.logs
    assert len(report.logs) == 4, report.logs


@pytest.mark.parametrize("seed", SEEDS)
async def test_killing_nats_postgres_apis_and_workers_loses_nothing_and_duplicates_nothing(
    lab: Lab, tokens: KeycloakTokens, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = await lab.single()
    report = await exercise(
        stack,
        tokens,
        variant="single NATS",
        seed=seed,
        scale=SCALE,
        targets=["nats", "postgres", *SERVICE_TARGETS],
        opening=["nats", "postgres"],
    )
    show(report, capsys)
    assert killed(report, "nats"), report.table()
    assert killed(report, "postgres"), report.table()
    check(report)


@pytest.mark.parametrize("seed", SEEDS)
async def test_on_a_three_node_jetstream_cluster_killing_nodes_loses_nothing(
    lab: Lab, tokens: KeycloakTokens, seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = await lab.clustered()
    nodes = lab.cluster.names
    report = await exercise(
        stack,
        tokens,
        variant="3-node cluster",
        seed=seed,
        scale=SCALE,
        # Half of the faults hit a node; one of the first two always does.
        targets=[*nodes, *nodes, *nodes, "postgres", *SERVICE_TARGETS],
        opening=[random.Random(seed).choice(nodes), "postgres"],
        restore=lab.restore_cluster,
    )
    show(report, capsys)
    assert any(killed(report, node) for node in nodes), report.table()
    check(report)
    client = await connect(
        lab.cluster.servers, name="fault-test-check", credentials=lab.stack.credentials("devadmin")
    )
    try:
        # Services never give up reconnecting (nats-py's default is 60 attempts).
        assert client.options["max_reconnect_attempts"] == -1
        js = client.jetstream()
        for spec in STREAMS:
            info = await js.stream_info(spec.name)
            assert info.config.num_replicas == 3, spec.name
            assert info.cluster is not None, spec.name
            assert len(info.cluster.replicas or []) == 2, spec.name  # plus the leader
    finally:
        await client.close()


class _SlowToRestart(Chaos):
    """A chaos whose kills succeed at once and whose parts stay down for the whole test."""

    def downtime(self, target: str) -> float:
        return 0.5

    def _restart(self, target: str) -> None:
        pass


class _Killable:
    def kill(self, target: str) -> bool:
        return True

    def crash_postgres(self) -> bool:
        return True


class TestHarness:
    async def test_a_stopped_chaos_still_makes_its_faults_among_the_parts_that_are_up(
        self,
    ) -> None:
        """A cluster run once had 2 faults in 16 s: four draws in a row hit the node still
        restarting, and a draw that hit a part down was a round without a fault. Now every
        round draws among the parts up, and the minimum number of faults is made even when
        the workload ends first — here it has ended before the chaos starts."""
        nodes = ["nats-c1", "nats-c2", "nats-c3"]
        stop = asyncio.Event()
        stop.set()
        chaos = _SlowToRestart(
            _Killable(),  # type: ignore[arg-type]  # the two calls a chaos makes of a stack
            random.Random(1848839579),
            targets=[*nodes, *nodes, *nodes, "postgres", "consular-api", "consular-worker"],
            opening=["nats-c2"],
            min_gap=0.01,
            max_gap=0.02,
        )
        await chaos.run(stop)
        hits = [line.split(" killed ")[1] for line in chaos.log if " killed " in line]
        assert hits[0] == "nats-c2"
        # While nats-c2 is down no other node may go (quorum); each part goes once.
        assert sorted(hits[1:]) in (
            ["consular-api", "postgres"],
            ["consular-worker", "postgres"],
        ), chaos.log
        assert chaos.injected == 3

    def test_a_stack_command_that_fails_says_why(self, tmp_path: Path) -> None:
        """A start that fails before any workload (`devstack up` exiting 1) names its cause in
        the failure message: what the command said, and the end of the logs it wrote."""
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "untouched.log").write_text("an older run's line\n")
        os.utime(logs / "untouched.log", (0, 0))
        code = (
            "import pathlib, sys;"
            " pathlib.Path(sys.argv[1]).write_text('one\\ntwo\\nthe migration failed\\n');"
            " print('puebla: consular API exited while starting', file=sys.stderr);"
            " sys.exit(1)"
        )
        with pytest.raises(StackCommandFailed) as caught:
            run_reporting(
                [sys.executable, "-c", code, str(logs / "consular-api.log")],
                env=dict(os.environ),
                timeout=60,
                logs=logs,
            )
        message = str(caught.value)
        assert "returned non-zero exit status 1" in message
        assert "puebla: consular API exited while starting" in message
        assert "--- consular-api.log" in message
        assert "the migration failed" in message
        assert "an older run's line" not in message
        assert isinstance(caught.value, subprocess.SubprocessError)  # callers catch that

    def test_no_port_of_the_fault_stack_is_in_the_ephemeral_range(self) -> None:
        """An outgoing connection anywhere on the machine takes its local port from this range;
        a node (re)started on such a port then fails with "address already in use" — which
        a cluster start in `make faults` did (nats-c3 on 34224) while other suites ran."""
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        stack = FaultStack(Path("unused"))
        ports = {
            "postgres": stack.pg_port,
            "nats": 4222 + OFFSET,
            "nats monitor": 8222 + OFFSET,
            "mail": 1025 + OFFSET,
            **{s: int(stack.url(s).rsplit(":", 1)[1]) for s in SERVICES},
        }
        for node in dev_nats.cluster_nodes(CLUSTER_BASE_PORT):
            ports |= {
                f"{node.name} client": node.port,
                f"{node.name} monitor": node.monitor_port,
                f"{node.name} route": node.cluster_port,
            }
        inside = {what: port for what, port in ports.items() if low <= port <= high}
        assert not inside, f"in the ephemeral range {low}-{high}: {inside}"
