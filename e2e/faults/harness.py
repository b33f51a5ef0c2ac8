"""A separate stack for fault injection, and the Jepsen-style ledger of intended effects.

The stack runs beside any other (its own `PUEBLA_VAR_DIR`, ports shifted by
`PUEBLA_PORT_OFFSET`; Keycloak is shared and never killed). Faults are real: SIGKILL of NATS,
of each service's API and worker process, and an immediate-mode PostgreSQL restart; after
each fault the stack runner brings back whatever is missing ("up" is idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from puebla.devstack.processes import repo_root

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]
OFFSET = 20000


@dataclass
class FaultStack:
    var_dir: Path
    offset: int = OFFSET

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PUEBLA_VAR_DIR": str(self.var_dir),
            "PUEBLA_PORT_OFFSET": str(self.offset),
        }

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{8001 + SERVICES.index(service) + self.offset}"

    @property
    def pg_port(self) -> int:
        return 5432 + self.offset

    def database_url(self, service: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{service}"

    def _devstack(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "puebla.devstack", *args],
            env=self.env,
            cwd=repo_root(),
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=300,
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


FAULT_TARGETS = [
    "nats",
    "postgres",
    *[f"{s}-{kind}" for s in SERVICES for kind in ("api", "worker")],
]


@dataclass
class Chaos:
    """Kills a random target at random moments until stopped; logs what it did."""

    stack: FaultStack
    rng: random.Random
    min_gap: float = 1.0
    max_gap: float = 3.0
    log: list[str] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.rng.uniform(self.min_gap, self.max_gap))
            except TimeoutError:
                pass
            else:
                return
            target = self.rng.choice(FAULT_TARGETS)
            if target == "postgres":
                done = await asyncio.to_thread(self.stack.crash_postgres)
            else:
                done = await asyncio.to_thread(self.stack.kill, target)
            self.log.append(f"{'killed' if done else 'missed'} {target}")
            await asyncio.sleep(self.rng.uniform(0.1, 0.8))  # let the fault bite
            await self.stack.up()


class Outcome(enum.Enum):
    OK = "ok"
    LOST = "lost"
    DUPLICATED = "duplicated"
    UNKNOWN = "unknown"


@dataclass
class Intent:
    """One effect the workload meant to cause, and how to count it afterwards."""

    kind: str
    key: str
    count: Callable[[], Awaitable[int]]
    acknowledged: bool = False  # the client saw the request succeed

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

    def add(self, intent: Intent) -> Intent:
        self.intents.append(intent)
        return intent

    async def reconcile(self) -> dict[str, Counter[str]]:
        results: dict[str, Counter[str]] = {}
        for intent in self.intents:
            outcome = await intent.classify()
            results.setdefault(intent.kind, Counter())[outcome.value] += 1
        return results
