"""Benchmark 1: recording hand-overs, Puebla's repatriation API against a bare FastAPI+asyncpg
endpoint doing the same writes — both started here, same process model, same machine, same run.

Puebla side: the bench's own copy of the repatriation API (uvicorn, one process, the devstack's
command line) and its worker (the outbox relay), on the scratch database `bench_handover` and a
private NATS server, so no event reaches the running stack. The manifests are prepared by COPY:
dispatched, every returnee's nationality confirmed, nobody handed over yet.
Bare side: `bare_app` on `bench_bare`, the same two tables (DDL from repatriation's orm.py),
the same rows.

Each request hands over ONE returnee (`received`) with the real token of border.gt.tecun.
Two access patterns over manifests of the same size:
- spread: request k goes to manifest k mod M — the 50 requests in flight are on 50 different
  manifests, so the manifest row lock never makes one wait for another;
- hot: the manifests one after the other — the 50 requests in flight are on one or two
  manifests and queue on its row lock (what one busy bus at a border post looks like).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from puebla_dev.testing.keycloak import KeycloakTokens

from . import db, procs, profile, sqlcount
from .load import (
    Call,
    CpuMeter,
    LoadResult,
    drive,
    drive_in_process,
    drive_processes,
    drive_raw,
)
from .seed_repatriation import (
    MANIFEST_COLUMNS,
    RETURNEE_COLUMNS,
    Manifest,
    dispatched_manifests,
    manifest_record,
    returnee_records,
)
from .wrk import drive_wrk

PUEBLA_DB = "bench_handover"
BARE_DB = "bench_bare"
POINT = "GT-TECUN-UMAN"
OFFICER = "border.gt.tecun"
# `--client`: which load generators run, and the suffix of their results' keys.
CLIENTS = {
    "httpx": ["httpx"],
    "raw": ["raw"],
    "wrk": ["wrk"],
    "both": ["httpx", "raw"],
    "all": ["httpx", "raw", "wrk"],
}
SUFFIX = {"httpx": "", "raw": "_raw", "wrk": "_wrk"}


@dataclass(frozen=True)
class HandoverConfig:
    clients: int = 50
    manifests: int = 100
    size: int = 40  # returnees per manifest
    client_processes: int = 1
    # A key of CLIENTS: "httpx" (httpx.AsyncClient), "raw" (load.drive_raw: a minimal HTTP/1.1
    # client), "wrk" (the wrk load generator, wrk.py), "both" (ours), "all"
    client: str = "all"
    profile: bool = True
    # uvicorn processes serving each side's API (the same count for puebla and bare)
    api_processes: int = 1


@dataclass
class Side:
    name: str
    url: str
    database: str
    api: procs.Proc
    worker: procs.Proc | None = None


def _calls(base: str, manifests: list[Manifest], *, spread: bool) -> list[Call]:
    def call(m: Manifest, rid: Any) -> Call:
        body = {"items": [{"returnee_id": str(rid), "outcome": "received"}]}
        return Call("POST", f"{base}/v1/manifests/{m.id}/handovers", json=body)

    if spread:
        size = len(manifests[0].returnee_ids)
        return [call(m, m.returnee_ids[r]) for r in range(size) for m in manifests]
    return [call(m, rid) for m in manifests for rid in m.returnee_ids]


async def _seed(database: str, sets: dict[str, list[Manifest]]) -> None:
    rng = random.Random(8)
    conn = await asyncpg.connect(db.dsn(database))
    try:
        everything = [m for ms in sets.values() for m in ms]
        await db.copy_rows(
            conn,
            "manifest",
            MANIFEST_COLUMNS,
            (
                manifest_record(m, reference=f"MX-GT-2026-B{i:06d}", rng=rng)
                for i, m in enumerate(everything)
            ),
        )
        await db.copy_rows(
            conn,
            "returnee",
            RETURNEE_COLUMNS,
            (r for m in everything for r in returnee_records(m, rng=rng, handed_over=False)),
        )
        await conn.execute("ANALYZE manifest; ANALYZE returnee")
    finally:
        await conn.close()


async def _handed_over(database: str, manifests: list[Manifest]) -> int:
    conn = await asyncpg.connect(db.dsn(database))
    try:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM returnee WHERE manifest_id = ANY($1::uuid[])"
            " AND handover_outcome = 'received'",
            [m.id for m in manifests],
        )
        return found
    finally:
        await conn.close()


async def _outbox_drained(database: str, timeout: float = 120.0) -> float:
    """Seconds until the relay has published every outbox row."""
    conn = await asyncpg.connect(db.dsn(database))
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout:
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            if left == 0:
                return time.perf_counter() - t0
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the relay left {left} outbox rows unpublished after {timeout}s")
    finally:
        await conn.close()


async def _pg_xacts(database: str) -> int:
    conn = await asyncpg.connect(db.dsn("postgres"))
    try:
        n: int = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
            database,
        )
        return n
    finally:
        await conn.close()


class WaitSampler:
    """What the database's backends are doing, sampled every 20 ms during a run: how many
    wait on an advisory lock (the audit chain), on a row lock (the manifest), on the WAL
    flush of a commit, or are idle inside a transaction (waiting for the app); and which
    backends there were (a connection opened and closed within the run took its CPU time with
    it: counted as not measured)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.pids: set[int] = set()
        self.samples = 0
        self.counts: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def _loop(self) -> None:
        conn = await asyncpg.connect(db.dsn("postgres"))
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(
                    "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity"
                    " WHERE datname = $1 AND pid <> pg_backend_pid()",
                    self.database,
                )
                self.samples += 1
                self.pids.update(r["pid"] for r in rows)
                for r in rows:
                    if r["state"] == "idle":
                        continue
                    if r["state"] == "idle in transaction":
                        key = "idle in transaction (waiting for the app)"
                    elif r["wait_event_type"] == "Lock":
                        key = {
                            "advisory": "waiting: advisory lock (audit chain)",
                            "transactionid": "waiting: row lock (manifest FOR UPDATE)",
                            "tuple": "waiting: row lock (manifest FOR UPDATE)",
                        }.get(r["wait_event"], f"waiting: lock {r['wait_event']}")
                    elif r["wait_event_type"] in ("IO", "LWLock") and "WAL" in (
                        r["wait_event"] or ""
                    ):
                        key = "waiting: WAL flush (commit)"
                    elif r["wait_event_type"] == "Client":
                        key = "waiting: client (the app)"
                    elif r["wait_event_type"] is None:
                        key = "running"
                    else:
                        key = f"waiting: {r['wait_event_type']}:{r['wait_event']}"
                    self.counts[key] += 1
                await asyncio.sleep(0.02)
        finally:
            await conn.close()

    def start(self) -> WaitSampler:
        self._task = asyncio.create_task(self._loop())
        return self

    async def stop(self) -> dict[str, float]:
        self._stop.set()
        if self._task is not None:
            await self._task
        n = max(self.samples, 1)
        return {k: round(v / n, 2) for k, v in self.counts.most_common()}


async def _run(
    side: Side,
    label: str,
    calls: list[Call],
    headers: dict[str, str],
    cfg: HandoverConfig,
    client: str,
) -> dict[str, Any]:
    server_pids = [side.api.pid]
    backends = await db.backend_pids(side.database)
    api_cpu = CpuMeter(server_pids).start()
    pg_cpu = CpuMeter(backends).start()
    worker_cpu = CpuMeter([side.worker.pid] if side.worker else []).start()
    xacts0 = await _pg_xacts(side.database)
    waits = WaitSampler(side.database).start()
    if client == "wrk":
        result = await drive_wrk(
            f"{side.name} {label}", calls, concurrency=cfg.clients, headers=headers
        )
    elif client == "raw":
        result = await drive_raw(
            f"{side.name} {label}", calls, concurrency=cfg.clients, headers=headers
        )
    elif cfg.client_processes > 1:
        result = await asyncio.to_thread(
            drive_processes,
            f"{side.name} {label}",
            calls,
            concurrency=cfg.clients,
            processes=cfg.client_processes,
            headers=headers,
        )
    else:
        result = await drive(
            f"{side.name} {label}", calls, concurrency=cfg.clients, headers=headers
        )
    api_cpu.stop()
    # Backends opened during the run (a pool growing or churning) count from their start.
    later = [pid for pid in await db.backend_pids(side.database) if pid not in backends]
    pg_cpu.stop()
    pg_cpu.seconds += CpuMeter.since_birth(later)
    backends_busy = await waits.stop()
    unmeasured = len(waits.pids - set(backends) - set(later))
    drain = await _outbox_drained(side.database) if side.worker else 0.0
    worker_cpu.stop()
    xacts = await _pg_xacts(side.database) - xacts0
    r = _result_dict(result, api_cpu, pg_cpu, worker_cpu, drain, xacts, len(calls))
    r["backends_on_average"] = backends_busy
    r["backends_opened_during_run"] = len(later) + unmeasured
    r["backends_closed_during_run_cpu_not_measured"] = unmeasured
    return r


def _result_dict(
    result: LoadResult,
    api_cpu: CpuMeter,
    pg_cpu: CpuMeter,
    worker_cpu: CpuMeter,
    drain: float,
    xacts: int,
    n: int,
) -> dict[str, Any]:
    def per_request_ms(seconds: float) -> float:
        return round(1000 * seconds / n, 3) if n else 0.0

    return {
        "measurement": result.measurement,
        "statuses": dict(result.statuses),
        "first_errors": result.first_errors,
        "client_cpu_share_of_one_core": round(result.client_cpu_share, 2),
        "client_cpu_ms_per_request": per_request_ms(result.client_cpu_s),
        "api_cpu_ms_per_request": per_request_ms(api_cpu.seconds),
        "api_cpu_share_of_one_core": round(api_cpu.seconds / result.measurement.seconds, 2),
        "postgres_cpu_ms_per_request": per_request_ms(pg_cpu.seconds),
        "worker_cpu_ms_per_request": per_request_ms(worker_cpu.seconds),
        "relay_drain_after_run_s": round(drain, 2),
        "pg_transactions_per_request": round(xacts / n, 2) if n else 0,
        "response_bytes_per_request": round(result.bytes_received / n) if n else 0,
    }


async def run(
    cfg: HandoverConfig, tokens: KeycloakTokens, nats_url: str, out: dict[str, Any]
) -> None:
    started: list[procs.Proc] = []
    try:
        created = datetime.now(UTC) - timedelta(days=2)
        clients = CLIENTS[cfg.client]
        sets = {
            name: dispatched_manifests(count, cfg.size, point=POINT, created_at=created)
            for name, count in [
                ("warmup", 12),
                *(
                    (f"{pattern}{SUFFIX[client]}", cfg.manifests)
                    for client in clients
                    for pattern in ("spread", "hot")
                ),
                ("profile", cfg.manifests // 2),
                ("count", 1),
            ]
        }
        print("hand-over: preparing bench_handover (migrations by the API) and bench_bare ...")
        await db.create_database(PUEBLA_DB, fresh=True)
        api = procs.start_service_api(
            "repatriation", PUEBLA_DB, nats_url, tag="bench1", workers=cfg.api_processes
        )
        started.append(api)
        worker = procs.start_service_worker("repatriation", PUEBLA_DB, nats_url, tag="bench1")
        started.append(worker)
        await db.create_database(BARE_DB, fresh=True)
        conn = await asyncpg.connect(db.dsn(BARE_DB))
        try:
            from repatriation.adapters.orm import manifest as manifest_table
            from repatriation.adapters.orm import returnee as returnee_table

            await db.create_tables_like(conn, [manifest_table, returnee_table])
        finally:
            await conn.close()
        port = procs.free_port()
        bare = procs.spawn(
            "bench1-bare-api",
            procs.uvicorn_argv("e2e.bench.bare_app:create_app", port, workers=cfg.api_processes),
            env={"BENCH_BARE_DSN": db.dsn(BARE_DB)},
            port=port,
        )
        started.append(bare)
        procs.wait_http(bare)
        t0 = time.perf_counter()
        await _seed(PUEBLA_DB, sets)
        await _seed(BARE_DB, sets)
        n_rows = sum(len(ms) for ms in sets.values())
        seconds = time.perf_counter() - t0
        print(f"  seeded {n_rows} manifests x {cfg.size} returnees, twice, in {seconds:.1f}s")

        puebla = Side("puebla", api.url, PUEBLA_DB, api, worker)
        bare_side = Side("bare", bare.url, BARE_DB, bare)
        headers = {"Authorization": f"Bearer {tokens.get(OFFICER)}"}

        # Warm-up: pools filled, JWKS fetched, code paths compiled (not reported).
        for side in (puebla, bare_side):
            warm = await drive(
                f"{side.name} warm-up",
                _calls(side.url, sets["warmup"], spread=True),
                concurrency=cfg.clients,
                headers=headers,
            )
            if warm.measurement.errors:
                raise RuntimeError(f"{side.name} warm-up failed: {warm.first_errors}")
        await _outbox_drained(PUEBLA_DB)

        results: dict[str, dict[str, Any]] = {}
        for client in clients:
            suffix = SUFFIX[client]
            for pattern in ("spread", "hot"):
                for side in (bare_side, puebla):
                    headers = {"Authorization": f"Bearer {tokens.get(OFFICER)}"}
                    manifests = sets[f"{pattern}{suffix}"]
                    calls = _calls(side.url, manifests, spread=pattern == "spread")
                    label = (
                        f"hand-over {pattern} ({side.name}, {client} client,"
                        f" {cfg.api_processes} API process{'es' if cfg.api_processes > 1 else ''})"
                    )
                    print(f"  {label}: {len(calls)} requests, {cfg.clients} clients ...")
                    r = await _run(side, pattern, calls, headers, cfg, client)
                    r["measurement"].name = label
                    done = await _handed_over(side.database, manifests)
                    r["handed_over_in_db"] = done
                    # Every 200 stored, and nothing stored that was not asked for. A call the
                    # client got no answer to (a transport error, status 0) may or may not
                    # have been applied: an error of the run, counted as such, not a loss.
                    answered = r["statuses"].get(200, 0)
                    if not answered <= done <= len(calls):
                        raise RuntimeError(
                            f"{label}: {done} hand-overs stored for {answered} answered 200"
                            f" of {len(calls)} calls (answers {dict(r['statuses'])},"
                            f" first errors {r['first_errors']})"
                        )
                    if r["first_errors"]:
                        print(f"    errors: {dict(r['statuses'])} {r['first_errors']}")
                    results[f"{pattern}_{side.name}{suffix}"] = r
                    m = r["measurement"]
                    print(
                        f"    {m.throughput:.0f}/s  p50 {m.summary()['p50_ms']} ms"
                        f"  p99 {m.summary()['p99_ms']} ms  client CPU"
                        f" {r['client_cpu_share_of_one_core']:.2f} core"
                    )
        out["handover"] = results
        out["handover_api_processes"] = cfg.api_processes

        out["handover_sql_per_request"] = await sqlcount.in_subprocess(
            PUEBLA_DB, sets["count"][0].id, sets["count"][0].returnee_ids, tokens.get(OFFICER)
        )

        if cfg.profile:
            print("  profiling the API and the worker under the spread load (py-spy) ...")
            recordings = [
                profile.record(api.pid, "handover-api"),
                profile.record(worker.pid, "handover-worker"),
            ]
            await asyncio.sleep(1.0)  # py-spy attached before the load starts
            headers = {"Authorization": f"Bearer {tokens.get(OFFICER)}"}
            prof = await drive(
                "puebla profiled",
                _calls(api.url, sets["profile"], spread=True),
                concurrency=cfg.clients,
                headers=headers,
            )
            await _outbox_drained(PUEBLA_DB)
            for rec in recordings:
                rec.stop()
            out["handover_profile"] = {
                "throughput_while_profiled": round(prof.measurement.throughput, 1),
                "api": profile.summarize(recordings[0].out),
                "worker": profile.summarize(recordings[1].out),
            }
    finally:
        for proc in reversed(started):
            proc.stop()
        for name in (PUEBLA_DB, BARE_DB):
            try:
                await db.drop_database(name)
            except Exception as exc:  # leave it for the next run's fresh create
                print(f"  could not drop {name}: {exc}", file=sys.stderr)


LOAD_DB = "bench_handover_load"


@contextlib.asynccontextmanager
async def hand_over_load(
    tokens: KeycloakTokens, nats_url: str, *, clients: int = 50, size: int = 40
) -> AsyncIterator[dict[str, Any]]:
    """Benchmark 1's spread load, kept up while the body of `async with` runs: the bench's own
    repatriation API and worker on `bench_handover_load`, one returnee per request, the raw
    client in a process of its own (so the measuring process's event loop is not the one
    loaded). Yields a dict filled in on exit: requests answered, errors, hand-overs per second.
    The console measured meanwhile shares the machine's cores with this load; its own upstream
    is the running stack's repatriation API (the load's events stay on the bench's NATS)."""
    started: list[procs.Proc] = []
    stats: dict[str, Any] = {"requests": 0, "errors": 0, "seconds": 0.0, "ran_out": False}
    stop = asyncio.Event()
    created = datetime.now(UTC) - timedelta(days=2)
    chunk = 20  # manifests per round of the loop: ~800 requests, a few seconds
    manifests = dispatched_manifests(30 * chunk, size, point=POINT, created_at=created)
    try:
        await db.create_database(LOAD_DB, fresh=True)
        api = procs.start_service_api("repatriation", LOAD_DB, nats_url, tag="bench-load")
        started.append(api)
        started.append(
            procs.start_service_worker("repatriation", LOAD_DB, nats_url, tag="bench-load")
        )
        await _seed(LOAD_DB, {"load": manifests})
        headers = {"Authorization": f"Bearer {tokens.get(OFFICER)}"}
        rounds = [
            _calls(api.url, manifests[k : k + chunk], spread=True)
            for k in range(0, len(manifests), chunk)
        ]

        async def keep_loading(pool: ProcessPoolExecutor) -> None:
            loop = asyncio.get_running_loop()
            for calls in rounds:
                if stop.is_set():
                    return
                job = ("hand-over load", calls, clients, headers, "raw")
                latencies, errors, seconds, _, _ = await loop.run_in_executor(
                    pool, drive_in_process, job
                )
                stats["requests"] += len(latencies)
                stats["errors"] += errors
                stats["seconds"] += seconds
            stats["ran_out"] = True

        with ProcessPoolExecutor(1) as pool:
            # The first round runs before the body does: the load is up when measuring starts.
            first, rounds = rounds[0], rounds[1:]
            await asyncio.get_running_loop().run_in_executor(
                pool, drive_in_process, ("hand-over load warm-up", first, clients, headers, "raw")
            )
            task = asyncio.create_task(keep_loading(pool))
            try:
                yield stats
            finally:
                stop.set()
                await task
        seconds = stats["seconds"]
        stats["per_second"] = round(stats["requests"] / seconds, 1) if seconds else 0.0
    finally:
        for proc in reversed(started):
            proc.stop()
        with contextlib.suppress(Exception):
            await db.drop_database(LOAD_DB)
