"""A separate stack for fault injection, and the Jepsen-style ledger of intended effects.

The stack runs beside any other (its own `PUEBLA_VAR_DIR`, ports shifted by
`PUEBLA_PORT_OFFSET`; Keycloak is shared and never killed). Faults are real: SIGKILL of NATS
(or of one node of a three-node JetStream cluster), of each service's API and worker process,
and an immediate-mode PostgreSQL shutdown; after each fault the stack runner brings back
whatever is missing ("up" is idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil
from nats.aio.client import Client
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from puebla.contracts.audit.v2 import LOG_FORMAT
from puebla.messaging.nats import STREAMS, connect, ensure_streams
from puebla.transparency import log as transparency
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import log_tail, repo_root

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]
OFFSET = 20000
# The cluster's client ports (its monitor and route ports are +100 and +200): clear of the
# main stack, of the fault stack (offset 20000) and of the library's cluster tests (14222,
# 15222), and below Linux's ephemeral range (32768-60999): there, any outgoing connection on
# the machine may hold a killed node's port just when the node is started again.
CLUSTER_BASE_PORT = 26222
SERVICE_TARGETS = [f"{s}-{kind}" for s in SERVICES for kind in ("api", "worker")]


class StackCommandFailed(subprocess.CalledProcessError):
    """A stack command that failed, with what it said and the tails of the logs it wrote:
    a start that fails before any workload must say why in the test's failure message."""

    def __init__(self, cmd: list[str], returncode: int, stderr: str, logs: str) -> None:
        super().__init__(returncode, cmd, stderr=stderr)
        self.logs = logs

    def __str__(self) -> str:
        said = (self.stderr or "").strip() or "(nothing on stderr)"
        return f"{super().__str__()}\n--- stderr:\n{said}\n{self.logs}".rstrip()


def recent_logs(logs: Path, since: float, lines: int = 6, width: int = 400) -> str:
    """The tails of the logs written since `since` (epoch seconds): the processes a command
    started or touched, e.g. an API that exited while starting. A long line (a traceback
    logged as one JSON line) keeps its end, where the error is."""
    parts = []
    for path in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        with contextlib.suppress(OSError):
            if path.stat().st_mtime >= since:
                tail = [
                    line if len(line) <= width else "…" + line[-width:]
                    for line in log_tail(path, lines).splitlines()
                ]
                parts.append(f"--- {path.name} (last {lines} lines):\n" + "\n".join(tail))
    return "\n".join(parts)


def run_reporting(argv: list[str], *, env: dict[str, str], timeout: float, logs: Path) -> None:
    """Runs a stack command; on failure (or timeout) raises `StackCommandFailed` saying why."""
    since = time.time()
    try:
        result = subprocess.run(
            argv,
            env=env,
            cwd=repo_root(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raw = exc.stderr or b""
        said = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        raise StackCommandFailed(
            argv, -1, f"timed out after {timeout:.0f} s\n{said}", recent_logs(logs, since)
        ) from None
    if result.returncode != 0:
        raise StackCommandFailed(argv, result.returncode, result.stderr, recent_logs(logs, since))


@dataclass
class FaultStack:
    var_dir: Path
    offset: int = OFFSET
    # A NATS this stack does not run (the cluster's seeds); None: the stack's own server.
    external_nats: list[str] | None = None
    replicas: int = 1

    def credentials(self, user: str) -> Path:
        """A bus user's seed, as this stack's devstack generated it (its own var/)."""
        return self.var_dir / "nats" / "auth" / f"{user}.nk"

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PUEBLA_VAR_DIR": str(self.var_dir),
            "PUEBLA_PORT_OFFSET": str(self.offset),
            "PUEBLA_NATS_STREAM_REPLICAS": str(self.replicas),
            # The consulates' e-mail goes to this stack's sink, not the main stack's.
            "CONSULAR_SMTP_PORT": str(1025 + self.offset),
        }
        env.pop("PUEBLA_DEVSTACK_NATS_SERVERS", None)
        if self.external_nats:
            env["PUEBLA_DEVSTACK_NATS_SERVERS"] = ",".join(self.external_nats)
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{8001 + SERVICES.index(service) + self.offset}"

    @property
    def nats_servers(self) -> list[str]:
        return self.external_nats or [f"nats://127.0.0.1:{4222 + self.offset}"]

    @property
    def pg_port(self) -> int:
        return 5432 + self.offset

    def database_url(self, service: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{service}"

    def _devstack(self, *args: str) -> None:
        run_reporting(
            [sys.executable, "-m", "puebla_dev.devstack", *args],
            env=self.env,
            timeout=300,
            logs=self.var_dir / "logs",
        )

    async def up(self) -> None:
        await asyncio.to_thread(self._devstack, "up", "--detach")

    async def down(self) -> None:
        await asyncio.to_thread(self._devstack, "down")

    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.var_dir / "pids" / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None
        return pid if psutil.pid_exists(pid) else None

    def kill(self, name: str) -> bool:
        """SIGKILL the process group: no clean shutdown, no flush, no goodbye."""
        pid = self.pid(name)
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
            psutil.Process(pid).wait(timeout=10)
        return True

    def crash_postgres(self) -> bool:
        """Immediate shutdown: no checkpoint, crash recovery on the next start."""
        pid = self.pid("postgres")
        if pid is None:
            return False
        os.kill(pid, signal.SIGQUIT)
        with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
            psutil.Process(pid).wait(timeout=30)
        return True

    def wipe(self) -> None:
        """Stops whatever an earlier (aborted) session left running here, then deletes it all."""
        if (self.var_dir / "pids").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._devstack("down")
            for node in dev_nats.cluster_nodes(CLUSTER_BASE_PORT):
                self.kill(node.name)
        shutil.rmtree(self.var_dir, ignore_errors=True)


@dataclass
class NatsCluster:
    """Three JetStream nodes on loopback (deploy/nats/cluster/node.conf: `sync_interval:
    always`), their pidfiles in the fault stack's var dir so `FaultStack.kill` finds them."""

    stack: FaultStack
    base_port: int = CLUSTER_BASE_PORT

    @property
    def nodes(self) -> list[dev_nats.ClusterNode]:
        return dev_nats.cluster_nodes(self.base_port)

    @property
    def names(self) -> list[str]:
        return [n.name for n in self.nodes]

    @property
    def servers(self) -> list[str]:
        return [n.url for n in self.nodes]

    def _start_missing(self) -> None:
        code = (
            "import sys; from pathlib import Path; from puebla_dev.devstack import nats;"
            f" nats.start_cluster(nats.cluster_nodes({self.base_port}), Path(sys.argv[1]))"
        )
        run_reporting(
            [sys.executable, "-c", code, str(self.stack.var_dir / "nats-cluster")],
            env=self.stack.env,
            timeout=120,
            logs=self.stack.var_dir / "logs",
        )

    async def start(self) -> None:
        """Starts the nodes that are not running (all of them the first time)."""
        await asyncio.to_thread(self._start_missing)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the cluster has a meta leader and takes the services' R3 streams."""
        client = await connect(
            self.servers, name="fault-cluster-check", credentials=self.stack.credentials("devadmin")
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    await ensure_streams(client.jetstream(), replicas=3)
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.5)  # no meta leader yet: elections take a moment
        finally:
            await client.close()

    def stop(self) -> None:
        for name in self.names:
            self.stack.kill(name)


def group(target: str) -> str:
    """What one restart brings back: a service's API and worker together, or one server."""
    if target.endswith(("-api", "-worker")):
        return target.rsplit("-", 1)[0]
    return target


@dataclass
class Chaos:
    """Kills a random target at random moments until stopped; logs what it did.

    `targets` are pidfile names ("postgres" is crashed in immediate mode, everything else
    SIGKILLed). Each killed part stays dead for a random downtime and is then started again
    on its own (`python -m e2e.faults.restart`), while further faults keep coming: faults
    overlap, as they do when a restart takes seconds on a busy machine. A part being restarted
    is not chosen again until it is back, and at most one cluster node (`nats-c*`) is down at
    a time, so the cluster keeps its quorum: each round draws among the parts that are up, so
    a round without a fault happens only when every target is down. However early it is
    stopped, it injects `min_faults` first (a run with fewer means nothing). When stopped, it
    waits for every restart."""

    stack: FaultStack
    rng: random.Random
    targets: list[str] = field(default_factory=lambda: ["nats", "postgres", *SERVICE_TARGETS])
    # The first faults hit each of these once, in an order drawn from the seed (so every run
    # kills, say, NATS and PostgreSQL at least once); then targets are drawn at random.
    opening: list[str] = field(default_factory=list)
    cluster_base_port: int = CLUSTER_BASE_PORT
    min_gap: float = 1.0
    max_gap: float = 4.0
    min_faults: int = 3
    log: list[str] = field(default_factory=list)
    repairs: list[float] = field(default_factory=list)  # seconds from kill to back
    _down: set[str] = field(default_factory=set)
    _opening_left: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._opening_left = self.rng.sample(self.opening, len(self.opening))

    def downtime(self, target: str) -> float:
        if target.startswith("nats-c"):  # a cluster node: long enough for a leader election
            return self.rng.uniform(2.0, 6.0)
        return self.rng.uniform(0.1, 1.0)

    def _can_fail(self, target: str) -> bool:
        if group(target) in self._down:
            return False
        node_down = any(d.startswith("nats-c") for d in self._down)
        return not (target.startswith("nats-c") and node_down)

    def _choose(self) -> str | None:
        """A target among those up, or None when every one is down (no fault this round).

        Drawing among the parts that are up (rather than skipping a round whose draw is
        down) keeps the number of faults from depending on how long restarts take: a run
        once had 2 faults in 16 s because four draws in a row hit the node still restarting."""
        if self._opening_left:
            return self._opening_left.pop()  # separate parts, none of them down yet
        up = [target for target in self.targets if self._can_fail(target)]
        return self.rng.choice(up) if up else None

    async def _next_round(self, stop: asyncio.Event) -> bool:
        """Waits a random gap; False when stopped meanwhile (and enough faults were made)."""
        gap = self.rng.uniform(self.min_gap, self.max_gap)
        if self.injected < self.min_faults:
            await asyncio.sleep(gap)  # the fault schedule itself, not a wait for a condition
            return True
        try:
            await asyncio.wait_for(stop.wait(), gap)
        except TimeoutError:
            return True
        return False

    async def run(self, stop: asyncio.Event) -> None:
        t0 = time.monotonic()
        repairs: list[asyncio.Task[None]] = []
        try:
            while await self._next_round(stop):
                target = self._choose()
                if target is None:
                    continue
                if target == "postgres":
                    killed = await asyncio.to_thread(self.stack.crash_postgres)
                else:
                    killed = await asyncio.to_thread(self.stack.kill, target)
                self.log.append(
                    f"{time.monotonic() - t0:.1f}s {'killed' if killed else 'missed'} {target}"
                )
                self._down.add(group(target))
                repairs.append(asyncio.create_task(self._repair(target, self.downtime(target))))
        finally:
            await asyncio.gather(*repairs)

    async def _repair(self, target: str, downtime: float) -> None:
        t = time.monotonic()
        # The fault's duration (a parameter of the fault, not a wait for a condition).
        await asyncio.sleep(downtime)
        for attempt in range(30):
            try:
                await asyncio.to_thread(self._restart, target)
                break
            except subprocess.SubprocessError as exc:  # e.g. PostgreSQL crashed meanwhile
                detail = (getattr(exc, "stderr", b"") or b"").decode().strip().splitlines()
                self.log.append(f"restart of {target} failed: {detail[-1:]}")
                await asyncio.sleep(min(attempt + 1, 5))  # a supervisor's restart back-off
        self.repairs.append(time.monotonic() - t)
        self._down.discard(group(target))

    def _restart(self, target: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "e2e.faults.restart", target, str(self.cluster_base_port)],
            env=self.stack.env,
            cwd=repo_root(),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=180,
        )

    @property
    def injected(self) -> int:
        return sum(1 for line in self.log if " killed " in line)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class Outcome(enum.Enum):
    OK = "ok"
    LOST = "lost"
    DUPLICATED = "duplicated"
    UNKNOWN = "unknown"


@dataclass
class Intent:
    """One effect the workload meant to cause, and how to count it afterwards.

    `count` answers how many times the effect is there (0, 1 or more). `acknowledged`: the
    client saw the request that promises the effect succeed, so a missing effect is lost;
    without an acknowledgment it is unknown (the request may never have reached a database).
    """

    kind: str
    key: str
    count: Callable[[], Awaitable[int]]
    acknowledged: bool = False

    async def classify(self) -> Outcome:
        seen = await self.count()
        if seen == 1:
            return Outcome.OK
        if seen > 1:
            return Outcome.DUPLICATED
        return Outcome.LOST if self.acknowledged else Outcome.UNKNOWN


@dataclass
class Ledger:
    intents: list[Intent] = field(default_factory=list)
    # (kind, key, outcome) of everything not ok, for the report.
    problems: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, intent: Intent) -> Intent:
        self.intents.append(intent)
        return intent

    async def reconcile(self) -> dict[str, Counter[str]]:
        results: dict[str, Counter[str]] = {}
        self.problems = []
        for intent in self.intents:
            outcome = await intent.classify()
            results.setdefault(intent.kind, Counter())[outcome.value] += 1
            if outcome is not Outcome.OK:
                self.problems.append((intent.kind, intent.key, outcome.value))
        return results


# --- quiescence -------------------------------------------------------------------------------


@dataclass
class Backlog:
    """What is still in flight: outbox rows not yet published (per service database) and, per
    durable consumer, messages not delivered plus delivered but not acknowledged. Truthy once
    nothing is left, so `wait_until(lambda: backlog(stack))` waits for a quiet system."""

    outbox: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def __bool__(self) -> bool:
        return (
            self.error is None
            and len(self.outbox) == len(SERVICES)
            and not any(self.outbox.values())
            and bool(self.consumers)
            and not any(self.consumers.values())
        )


async def _nats(stack: FaultStack, name: str) -> Client:
    # Bounded: `connect` retries for ever, which is right for a service, not for a probe.
    client = connect(stack.nats_servers, name=name, credentials=stack.credentials("devadmin"))
    return await asyncio.wait_for(client, timeout=10)


async def backlog(stack: FaultStack) -> Backlog:
    found = Backlog()
    try:
        for service in SERVICES:
            conn = await asyncpg.connect(stack.database_url(service), timeout=5)
            try:
                found.outbox[service] = int(
                    await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                )
            finally:
                await conn.close()
        client = await _nats(stack, "fault-backlog")
        try:
            js = client.jetstream()
            for spec in STREAMS:
                for info in await js.consumers_info(spec.name):
                    found.consumers[info.name] = int(info.num_pending or 0) + int(
                        info.num_ack_pending or 0
                    )
        finally:
            await client.close()
    except Exception as exc:  # a database or NATS still coming back
        found.error = f"{type(exc).__name__}: {exc}"
    return found


async def logs_verified(stack: FaultStack) -> dict[str, str]:
    """Each service's audit log checked after the run (`puebla.transparency.log.verify`):
    every entry's commitment, every leaf, and the root at the newest tree head the worker
    signed. "ok", or what is wrong."""
    found: dict[str, str] = {}
    for service in SERVICES:
        engine = create_async_engine(
            stack.database_url(service).replace("postgresql://", "postgresql+asyncpg://")
        )
        try:
            async with engine.connect() as conn:
                session = AsyncSession(bind=conn)
                head = (
                    await session.execute(
                        text(
                            "SELECT seq, head, at FROM audit_checkpoint WHERE format = :f"
                            " ORDER BY seq DESC LIMIT 1"
                        ),
                        {"f": LOG_FORMAT},
                    )
                ).first()
                signed = (
                    None
                    if head is None
                    else transparency.SignedSize(head[0], bytes.fromhex(head[1]), head[2])
                )
                result = await transparency.verify(session, signed=signed)
                found[service] = (
                    "ok" if result.ok else f"seq {result.broken_at_seq}: {result.reason}"
                )
        finally:
            await engine.dispose()
    return found


async def dead_letters(stack: FaultStack) -> int:
    """Messages a consumer gave up on and parked (each one an effect that did not happen)."""
    client = await _nats(stack, "fault-deadletters")
    try:
        info = await client.jetstream().stream_info("DEADLETTER")
        return int(info.state.messages)
    finally:
        await client.close()
