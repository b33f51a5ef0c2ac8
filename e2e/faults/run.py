"""One fault run: the workload under chaos, then quiescence, then the reconciliation."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from e2e.faults.harness import (
    Chaos,
    FaultStack,
    Ledger,
    backlog,
    dead_letters,
    logs_verified,
)
from e2e.faults.workload import Api, Databases, Scale, Workload
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

OUTCOMES = ("ok", "lost", "duplicated", "unknown")


@dataclass
class Report:
    variant: str
    seed: int
    duration_s: float
    workload_s: float
    quiesce_s: float
    faults: list[str]
    injected: int
    repairs: list[float]
    counts: dict[str, dict[str, int]]
    problems: list[tuple[str, str, str]]
    refusals: list[str]
    gave_up: list[str]
    dead_letters: int
    client: dict[str, int]
    journeys: dict[str, int]
    # Each service's audit log verified after the run: "ok", or what is wrong.
    logs: dict[str, str] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.totals = {o: sum(c.get(o, 0) for c in self.counts.values()) for o in OUTCOMES}

    def table(self) -> str:
        width = max(len(k) for k in self.counts) + 2
        head = f"{'effect':<{width}}" + "".join(f"{o:>11}" for o in OUTCOMES)
        lines = [
            f"fault run [{self.variant}] seed={self.seed} (replay: PUEBLA_FAULT_SEED={self.seed})"
            f" — {self.injected} faults in {self.workload_s:.0f} s of workload,"
            f" quiet after {self.quiesce_s:.0f} s, {self.duration_s:.0f} s in all",
            "  faults: " + "; ".join(self.faults),
            f"  restarts: {len(self.repairs)},"
            f" the longest {max(self.repairs, default=0):.0f} s from kill to back",
            "  client: " + ", ".join(f"{k}={v}" for k, v in sorted(self.client.items())),
            "  journeys: " + ", ".join(f"{k}={v}" for k, v in sorted(self.journeys.items())),
            f"  dead letters: {self.dead_letters}",
            "  audit logs: " + ", ".join(f"{k} {v}" for k, v in self.logs.items()),
            "  " + head,
        ]
        for kind, counts in self.counts.items():
            lines.append(
                f"  {kind:<{width}}" + "".join(f"{counts.get(o, 0):>11}" for o in OUTCOMES)
            )
        lines.append(f"  {'total':<{width}}" + "".join(f"{self.totals[o]:>11}" for o in OUTCOMES))
        lines += [f"  NOT OK: {kind} {key}: {outcome}" for kind, key, outcome in self.problems]
        lines += [f"  REFUSED: {r}" for r in self.refusals]
        lines += [f"  GAVE UP: {g}" for g in self.gave_up]
        return "\n".join(lines)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(json.dumps(asdict(self)) + "\n")


async def exercise(
    stack: FaultStack,
    tokens: KeycloakTokens,
    *,
    variant: str,
    seed: int,
    scale: Scale,
    targets: list[str],
    restore: Callable[[], Awaitable[None]] | None = None,
    opening: list[str] | None = None,
    chaos_tail: float = 10.0,
    finish_timeout: float = 120.0,
    quiesce_timeout: float = 180.0,
) -> Report:
    """Runs the workload while `targets` are killed at random, waits until every relay and
    consumer is done, and classifies every intended effect."""
    t0 = time.monotonic()
    rng = random.Random(seed)
    # Separate streams, so the sequence of faults replays whatever the workload draws.
    chaos_rng, workload_rng = random.Random(rng.random()), random.Random(rng.random())
    ledger = Ledger()
    async with httpx.AsyncClient(timeout=10.0) as http:
        api = Api(http, tokens, stack, deadline=time.monotonic() + scale.window + finish_timeout)
        workload = Workload(api, Databases(stack), ledger, workload_rng, scale)
        await workload.prepare()
        parked_before = await dead_letters(stack)
        chaos = Chaos(stack, chaos_rng, targets=targets, opening=opening or [])
        stop = asyncio.Event()
        chaos_task = asyncio.create_task(chaos.run(stop))
        # Faults while journeys start and a little after; then the journeys finish in peace
        # (Jepsen's "heal, then final reads").
        timer = asyncio.get_running_loop().call_later(scale.window + chaos_tail, stop.set)
        try:
            await workload.run_all()
        finally:
            timer.cancel()
            stop.set()
            await chaos_task
        workload_s = time.monotonic() - t0
        # Everything is back (each restart ran already; this is the stack's own check).
        await (restore or stack.up)()
        t1 = time.monotonic()
        await wait_until(
            lambda: backlog(stack),
            timeout=quiesce_timeout,
            interval=0.5,
            what="every outbox published and every consumer caught up",
        )
        quiesce_s = time.monotonic() - t1
        ledger.add(workload.budget_intent())
        counts = await ledger.reconcile()
        parked = await dead_letters(stack) - parked_before
        logs = await logs_verified(stack)
    return Report(
        variant=variant,
        seed=seed,
        duration_s=time.monotonic() - t0,
        workload_s=workload_s,
        quiesce_s=quiesce_s,
        faults=chaos.log,
        injected=chaos.injected,
        repairs=[round(r, 1) for r in chaos.repairs],
        counts={kind: dict(c) for kind, c in counts.items()},
        problems=ledger.problems,
        refusals=api.refusals,
        gave_up=workload.gave_up,
        dead_letters=parked,
        client=dict(api.stats),
        journeys=dict(workload.journeys),
        logs=logs,
    )
