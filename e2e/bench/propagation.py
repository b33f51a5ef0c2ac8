"""Benchmark 2: a manifest submitted in repatriation → its notice visible in consular, through
the RUNNING stack (repatriation :8001, its relay, NATS :4222, consular's worker and API :8004),
against a raw JetStream publish → pull-consume round trip on the same NATS server.

Per sample, one manifest (one returnee) is created and submitted by inm.mx; the clock starts
when `POST …/submit` has returned (the commit is done) and stops when consul.gt.tapachula's
`GET /v1/notifications?related_id=…` first returns the notice.

When to read: as soon as consular's database holds the notice (a one-row lookup by
`related_id` every `watch_ms` on the bench's own connection, ~0.1 ms of PostgreSQL each), and
at the latest every `fallback_ms`. A fast poll of the API put the measurement on the path it
measures: each read costs the consular API ~6 ms of CPU, so a 5 ms poll kept one of the
machine's two cores busy answering it while the consumer waited for CPU. So the figure is the
commit's delay, at most `watch_ms`, and one read; the read alone is measured too (`read_ms`).
(A notice publishes no event, so there is no NOTIFY to wait for.) Samples run one after
another (latency, not throughput). Afterwards the manifests are cancelled ("benchmark run"),
so no notice stays pending in the stack.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from e2e.bodies import manifest, returnee
from puebla_dev.testing.keycloak import KeycloakTokens

from . import db
from .jetstream_baseline import raw_round_trip
from .stats import Measurement, percentile

GUATEMALA = ZoneInfo("America/Guatemala")


@dataclass(frozen=True)
class PropagationConfig:
    samples: int = 50
    # A read at the latest this long after the last one, signal or not (a lost NOTIFY, or
    # a notice committed without outbox rows, still ends the sample).
    fallback_ms: float = 50.0
    watch_ms: float = 1.0
    raw_samples: int = 300
    timeout_s: float = 30.0


def _manifest(tag: str) -> dict[str, Any]:
    return manifest([returnee("Rosa", f"Bench {tag}")], plate="BENCH-1", days=4)


async def measure(
    cfg: PropagationConfig,
    tokens: KeycloakTokens,
    repatriation: str,
    consular: str,
    nats_servers: list[str],
) -> dict[str, Any]:
    latencies: list[float] = []
    reads: list[float] = []
    read_counts: list[int] = []
    created: list[str] = []
    errors: list[str] = []
    seen: dict[str, tuple[float, float]] = {}  # manifest → (submit returned, notice seen)
    watcher = await asyncpg.connect(db.dsn("consular"))
    stored = await watcher.prepare(
        "SELECT true FROM notification WHERE related_service = 'repatriation'"
        " AND related_id = $1 LIMIT 1"
    )

    async def committed(manifest_id: str, since: float) -> None:
        """Returns once the notice is in consular's database, or `fallback_ms` after `since`."""
        while time.perf_counter() - since < cfg.fallback_ms / 1000:
            if await stored.fetchval(manifest_id):
                return
            await asyncio.sleep(cfg.watch_ms / 1000)

    async with httpx.AsyncClient(timeout=15.0) as http:
        inm = {"Authorization": f"Bearer {tokens.get('inm.mx')}"}
        consul = {"Authorization": f"Bearer {tokens.get('consul.gt.tapachula')}"}

        async def notices(manifest_id: str) -> httpx.Response:
            return await http.get(
                f"{consular}/v1/notifications", params={"related_id": manifest_id}, headers=consul
            )

        started = time.perf_counter()
        for i in range(cfg.samples):
            tag = f"{uuid.uuid4().hex[:8]}-{i}"
            made = await http.post(f"{repatriation}/v1/manifests", json=_manifest(tag), headers=inm)
            if made.status_code != 201:
                errors.append(f"create: {made.status_code} {made.text[:300]}")
                continue
            manifest_id = made.json()["id"]
            created.append(manifest_id)
            # One read of the (still empty) list first: the connection is warm, and what a
            # read costs on its own is known.
            await notices(manifest_id)
            submitted = await http.post(
                f"{repatriation}/v1/manifests/{manifest_id}/submit", headers=inm
            )
            t0, wall0 = time.perf_counter(), time.time()
            if submitted.status_code != 200:
                errors.append(f"submit: {submitted.status_code} {submitted.text[:300]}")
                continue
            n = 0
            while True:
                await committed(manifest_id, time.perf_counter())
                n += 1
                r0 = time.perf_counter()
                listed = await notices(manifest_id)
                now = time.perf_counter()
                reads.append((now - r0) * 1000)
                if listed.status_code == 200 and listed.json()["items"]:
                    latencies.append((now - t0) * 1000)
                    read_counts.append(n)
                    seen[manifest_id] = (wall0, wall0 + (now - t0))
                    break
                if now - t0 > cfg.timeout_s:
                    errors.append(f"no notice for {manifest_id} after {cfg.timeout_s}s")
                    break
        elapsed = time.perf_counter() - started
        await watcher.close()
        for manifest_id in created:
            await http.post(
                f"{repatriation}/v1/manifests/{manifest_id}/cancel",
                json={"reason": "benchmark run (make bench), not a real trip"},
                headers=inm,
            )
    subject = Measurement(
        "submit → consular notice visible", len(latencies), elapsed, latencies, len(errors)
    )
    raw = await raw_round_trip(nats_servers, samples=cfg.raw_samples)
    return {
        "stages_p50_ms": await _stages(seen),
        "subject": subject,
        "baseline": raw,
        "fallback_ms": cfg.fallback_ms,
        "read_ms_p50": round(percentile(reads, 50), 2),
        "reads_per_sample_p50": percentile([float(c) for c in read_counts], 50),
        "errors": errors[:5],
    }


async def _stages(seen: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Where the time goes, from the stack's own timestamps (read-only, same machine clock):
    repatriation's outbox row (`created_at`: the handler's clock, before its commit;
    `published_at`: `now()` of the relay's claiming transaction) and consular's inbox row
    (`applied_at`: `now()` of the consumer's transaction)."""
    if not seen:
        return {}
    ids = list(seen)
    rep = await asyncpg.connect(db.dsn("repatriation"))
    try:
        rows = await rep.fetch(
            "SELECT aggregateid, id, created_at, published_at FROM outbox"
            " WHERE type = 'repatriation.manifest.submitted.v1' AND aggregateid = ANY($1)",
            ids,
        )
    finally:
        await rep.close()
    con = await asyncpg.connect(db.dsn("consular"))
    try:
        applied = {
            r["event_id"]: r["applied_at"]
            for r in await con.fetch(
                "SELECT event_id, applied_at FROM inbox"
                " WHERE consumer = 'consular-manifest-submitted' AND event_id = ANY($1)",
                [r["id"] for r in rows],
            )
        }
    finally:
        await con.close()
    parts: dict[str, list[float]] = {
        "submit: handler clock → HTTP response returned": [],
        "relay: handler clock → relay claims the row": [],
        "NATS + consumer: relay claim → consumer transaction starts": [],
        "consumer transaction → notice seen by a read": [],
        "whole path: handler clock → notice seen by a read": [],
    }
    for r in rows:
        start = applied.get(r["id"])
        if r["published_at"] is None or start is None:
            continue
        returned, visible = seen[r["aggregateid"]]
        created, published = r["created_at"].timestamp(), r["published_at"].timestamp()
        keys = list(parts)
        parts[keys[0]].append((returned - created) * 1000)
        parts[keys[1]].append((published - created) * 1000)
        parts[keys[2]].append((start.timestamp() - published) * 1000)
        parts[keys[3]].append((visible - start.timestamp()) * 1000)
        parts[keys[4]].append((visible - created) * 1000)
    return {k: round(percentile(v, 50), 2) for k, v in parts.items() if v}
