"""`python -m e2e.bench` (`make bench`): Puebla's speed against what the same machine does at best.

Needs the running stack (`make up`): Keycloak for real tokens, PostgreSQL for the scratch
databases, and — for the propagation benchmark — the stack's repatriation, NATS and consular.

1. hand-over recording: 50 concurrent clients, the bench's own repatriation API + worker vs a
   bare FastAPI + asyncpg endpoint doing the same writes (e2e/bench/handover.py), each side
   on `--api-processes` uvicorn processes → throughput ratio ≥ 0.5; puebla API CPU per
   hand-over ≤ 2 ms (every API process counted);
2. event propagation: submit → consular notice visible, through the running stack, beside a
   raw JetStream publish → pull-consume round trip (e2e/bench/propagation.py) → p50 ≤ 8 ms,
   p95 ≤ 15 ms;
3. scale: 10,000,000 returnees (50,000 manifests of 200), their verifications, 1,000,000 child
   cases in scratch databases seeded once and reused; lists and filters through the real APIs
   (e2e/bench/scale.py) → p95 < 20 ms for every query;
4. the officers' console on a poor link (400 kbit/s, 400 ms, Chromium's network emulation):
   bytes of a first and a repeat visit and time to a usable page of the arrivals and hand-over
   pages, and their server render p95 against /healthz (e2e/bench/console_link.py) → hand-over
   first visit < 100 KB, usable < 4 s, render p95 < 100 ms; then the arrivals and hand-over
   renders again while benchmark 1's load runs on the same machine → p95 < 50 ms.
   Alone: python -m e2e.bench.console_link (no load).

Prints a table, writes var/bench/bench.json and var/bench/bench.png. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from puebla.messaging.provision import provision
from puebla_dev.devstack import keycloak as dev_keycloak
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import repo_root
from puebla_dev.testing.keycloak import KeycloakTokens

from . import console_link, handover, procs, propagation, scale
from .stats import Measurement, print_table, write_dashboard, write_report

REPATRIATION = "http://127.0.0.1:8001"
CONSULAR = "http://127.0.0.1:8004"
NATS = ["nats://127.0.0.1:4222"]
PHASES = ("handover", "propagation", "scale", "console_link")
# Issue 19's budgets (the throughput ratio's is 0.5, in _targets).
API_CPU_BUDGET_MS = 2.0
PROPAGATION_P50_MS = 8.0
PROPAGATION_P95_MS = 15.0
SCALE_P95_MS = 20.0


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m e2e.bench", description=__doc__.split("\n")[0])
    p.add_argument("--only", default=",".join(PHASES), help="comma-separated: " + ", ".join(PHASES))
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--client-processes", type=int, default=1, help="httpx client processes")
    p.add_argument(
        "--client",
        choices=["httpx", "raw", "wrk", "both", "all"],
        default="all",
        help="hand-over load generator: httpx.AsyncClient, a minimal HTTP/1.1 client, wrk "
        "(Debian's package, installed when missing), both of ours, or all three",
    )
    p.add_argument("--manifests", type=int, default=30, help="hand-over: manifests per pattern")
    p.add_argument("--size", type=int, default=40, help="hand-over: returnees per manifest")
    p.add_argument("--samples", type=int, default=50, help="propagation: manifests submitted")
    p.add_argument(
        "--fallback-ms",
        type=float,
        default=50.0,
        help="propagation: read the consul's list at the latest this often (it is read on"
        " each commit consular's database signals)",
    )
    p.add_argument(
        "--api-processes",
        type=int,
        default=1,
        help="hand-over: uvicorn processes for each side's API (puebla and bare alike)",
    )
    # 50,000 x 200 = 10 M returnees; seeded once into scratch databases and reused.
    p.add_argument("--scale-manifests", type=int, default=50_000)
    p.add_argument("--scale-size", type=int, default=200)
    p.add_argument("--scale-cases", type=int, default=1_000_000)
    p.add_argument("--calls", type=int, default=200, help="scale: calls per query")
    p.add_argument("--reseed", action="store_true", help="scale: rebuild the scratch seed")
    p.add_argument(
        "--console-samples", type=int, default=200, help="console_link: requests per page"
    )
    p.add_argument("--drop-scratch", action="store_true", help="scale: drop it afterwards")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="before each benchmark, wait (up to --max-wait s) for the 1-minute load average"
        " to fall below this",
    )
    p.add_argument("--max-wait", type=float, default=900)
    return p.parse_args()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def _quiet(max_load: float | None, max_wait: float) -> list[float]:
    if max_load is None:
        return _load()
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        print(f"  load average {_load()}: waiting for < {max_load} ...")
        await asyncio.sleep(15)
    return _load()


def _check_stack(phases: list[str]) -> None:
    if not dev_keycloak.is_running(dev_keycloak.DEFAULT_BASE_URL):
        sys.exit("make bench needs the running stack (Keycloak on :8080): run `make up` first")
    if "propagation" in phases:
        for url in (REPATRIATION, CONSULAR):
            try:
                ok = httpx.get(f"{url}/readyz", timeout=3).status_code == 200
            except httpx.HTTPError:
                ok = False
            if not ok:
                sys.exit(f"{url} is not ready: the propagation benchmark needs `make up`")


def _git() -> str:
    try:
        commit: str = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=repo_root(),
            check=True,
        ).stdout.strip()
        return commit
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Measurement):
        return value.summary()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, scale.Query):
        return {
            "service": value.service,
            "user": value.user,
            "path": value.path,
            "params": value.params,
        }
    return value


def _targets(out: dict[str, Any]) -> list[dict[str, Any]]:
    targets = []
    if "handover" in out:
        h = out["handover"]
        for client, suffix in handover.SUFFIX.items():
            for pattern in ("spread", "hot"):
                if f"{pattern}_puebla{suffix}" not in h:
                    continue
                puebla = h[f"{pattern}_puebla{suffix}"]["measurement"].throughput
                bare = h[f"{pattern}_bare{suffix}"]["measurement"].throughput
                ratio = puebla / bare if bare else 0.0
                targets.append(
                    {
                        "name": f"1. hand-over throughput, {pattern}, {client} client:"
                        " puebla / bare",
                        "value": round(ratio, 3),
                        "target": ">= 0.5",
                        "met": ratio >= 0.5,
                        "primary": pattern == "spread",
                    }
                )
        spread = h.get("spread_puebla_raw") or h.get("spread_puebla")
        if spread is not None:
            api_ms = spread["api_cpu_ms_per_request"]
            targets.append(
                {
                    "name": "1. puebla API CPU per hand-over, spread (ms, all API processes)",
                    "value": api_ms,
                    "worker_ms": spread["worker_cpu_ms_per_request"],
                    "postgres_ms": spread["postgres_cpu_ms_per_request"],
                    "target": f"<= {API_CPU_BUDGET_MS:g} ms",
                    "met": api_ms <= API_CPU_BUDGET_MS,
                    "primary": True,
                }
            )
    if "propagation" in out:
        p = out["propagation"]
        subject, raw = p["subject"].summary(), p["baseline"].summary()
        for stat, budget in (("p50", PROPAGATION_P50_MS), ("p95", PROPAGATION_P95_MS)):
            value = subject[f"{stat}_ms"]
            targets.append(
                {
                    "name": f"2. submitted -> notice visible at the consular API, {stat} (ms)",
                    "value": value,
                    "raw_jetstream_ms": raw[f"{stat}_ms"],
                    "target": f"<= {budget:g} ms",
                    "met": value <= budget,
                    "primary": True,
                }
            )
    if "scale" in out:
        worst = max(out["scale"], key=lambda r: r["measurement"].summary()["p95_ms"])
        p95 = worst["measurement"].summary()["p95_ms"]
        missed = [
            r["measurement"].name
            for r in out["scale"]
            if r["measurement"].summary()["p95_ms"] >= SCALE_P95_MS
        ]
        targets.append(
            {
                "name": "3. list/filter p95 at scale (worst query)",
                "value": p95,
                "worst_query": worst["measurement"].name,
                "queries_over_budget": missed,
                "target": f"< {SCALE_P95_MS:g} ms, every query",
                "met": not missed,
                "primary": True,
            }
        )
    if "console_link" in out:
        targets += console_link.targets(out["console_link"])
    return targets


async def main() -> None:
    args = _args()
    phases = [p for p in args.only.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    _check_stack(phases)
    tokens = KeycloakTokens(dev_keycloak.DEFAULT_BASE_URL)
    out: dict[str, Any] = {
        "command": "make bench  (= uv run python -m e2e.bench " + " ".join(sys.argv[1:]) + ")",
        "started_at": datetime.now(UTC).isoformat(),
        "git_commit": _git(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average": {"start": _load()},
    }
    # The bench's own NATS: its copies of repatriation publish there (hand-over, scale, and the
    # hand-over load under which the console is measured), never to the running stack's.
    nats = (
        procs.start_private_nats() if {"handover", "scale", "console_link"} & set(phases) else None
    )
    if nats is not None:
        # The services' bus users may not declare streams: the provisioner does, as at `make up`.
        await provision(
            [procs.nats_url(nats)],
            credentials=dev_nats.credentials("provisioner"),
            replicas=1,
            patience=30,
        )
    try:
        if "handover" in phases:
            out["load_average"]["handover"] = await _quiet(args.max_load, args.max_wait)
            cfg1 = handover.HandoverConfig(
                clients=args.clients,
                manifests=args.manifests,
                size=args.size,
                client_processes=args.client_processes,
                client=args.client,
                profile=not args.no_profile,
                api_processes=args.api_processes,
            )
            assert nats is not None
            await handover.run(cfg1, tokens, procs.nats_url(nats), out)
            out["load_average"]["handover_end"] = _load()
        if "propagation" in phases:
            out["load_average"]["propagation"] = await _quiet(args.max_load, args.max_wait)
            print(f"propagation: {args.samples} manifests through the running stack ...")
            out["propagation"] = await propagation.measure(
                propagation.PropagationConfig(samples=args.samples, fallback_ms=args.fallback_ms),
                tokens,
                REPATRIATION,
                CONSULAR,
                NATS,
            )
            out["load_average"]["propagation_end"] = _load()
        if "scale" in phases:
            out["load_average"]["scale"] = await _quiet(args.max_load, args.max_wait)
            cfg3 = scale.ScaleConfig(
                manifests=args.scale_manifests,
                size=args.scale_size,
                cases=args.scale_cases,
                calls=args.calls,
                reseed=args.reseed,
                drop=args.drop_scratch,
            )
            assert nats is not None
            await scale.run(cfg3, tokens, procs.nats_url(nats), out)
            out["load_average"]["scale_end"] = _load()
        if "console_link" in phases:
            out["load_average"]["console_link"] = await _quiet(args.max_load, args.max_wait)
            assert nats is not None
            load_url = procs.nats_url(nats)

            def load() -> contextlib.AbstractAsyncContextManager[dict[str, Any]]:
                return handover.hand_over_load(tokens, load_url, clients=args.clients)

            out["console_link"] = await console_link.measure(
                tokens, samples=args.console_samples, load=load
            )
            out["load_average"]["console_link_end"] = _load()
    finally:
        if nats is not None:
            nats.stop()
        tokens.close()
    out["load_average"]["end"] = _load()
    out["targets"] = _targets(out)
    report(out)


def report(out: dict[str, Any]) -> None:
    rows: list[dict[str, Any]] = []
    if "handover" in out:
        rows += [r["measurement"].summary() for r in out["handover"].values()]
    if "propagation" in out:
        rows.append(out["propagation"]["subject"].summary())
        rows.append(out["propagation"]["baseline"].summary())
    if "scale" in out:
        rows += [r["measurement"].summary() for r in out["scale"]]
    if "console_link" in out:
        rows += console_link.rows(out["console_link"])
    print()
    print_table(rows)
    print()
    for t in out["targets"]:
        mark = "met" if t["met"] else "MISSED"
        extra = f"  (worst: {t['worst_query']})" if "worst_query" in t else ""
        print(f"{t['name']}: {t['value']}  target {t['target']}  → {mark}{extra}")
    if "handover" in out:
        for key, r in out["handover"].items():
            print(
                f"  {key}: API CPU {r['api_cpu_ms_per_request']} ms/req"
                f" ({r['api_cpu_share_of_one_core']} core), PostgreSQL"
                f" {r['postgres_cpu_ms_per_request']} ms/req, worker"
                f" {r['worker_cpu_ms_per_request']} ms/req, client"
                f" {r['client_cpu_share_of_one_core']} core, {r['pg_transactions_per_request']}"
                f" transactions/req, {r['response_bytes_per_request']} B/response"
            )
            print(f"    database backends on average: {r['backends_on_average']}")
            if r.get("backends_opened_during_run"):
                print(
                    f"    database backends opened during the run:"
                    f" {r['backends_opened_during_run']}, of which closed again (their CPU"
                    f" not in the figure): {r['backends_closed_during_run_cpu_not_measured']}"
                )
        if "handover_sql_per_request" in out:
            print(f"  one hand-over sends: {out['handover_sql_per_request']}")
    if "propagation" in out:
        p = out["propagation"]
        print(f"  propagation stages (p50 ms): {p['stages_p50_ms']}")
        print(
            f"  a read of the consul's list alone: p50 {p['read_ms_p50']} ms;"
            f" reads per sample p50 {p['reads_per_sample_p50']}"
        )
    if "console_link" in out:
        console_link.print_link(out["console_link"])
    print(f"load average (1, 5, 15 min): {out['load_average']}")
    payload = _jsonable(out)
    path = write_report(procs.BENCH_DIR, payload)
    chart = write_dashboard(procs.BENCH_DIR, payload)
    print(f"wrote {path}" + (f" and {chart}" if chart else ""))


if __name__ == "__main__":
    asyncio.run(main())
