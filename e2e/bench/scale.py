"""Benchmark 3: lists and filters at scale, through the real APIs.

Where the data lives: three scratch databases on the running stack's PostgreSQL,
`bench_scale_repatriation`, `bench_scale_consular`, `bench_scale_child_protection`, migrated
by the services' own migrations (the bench's copy of each API applies them on start) and
seeded with COPY. The running stack's databases are never written: seeding millions of rows
into them could not be undone cleanly (audit chains, outbox, sequences) and would slow the
other engineers' tests. The seed is kept between runs (marked with its size in `bench_seed`)
and reused when the size asked for is the same; `--reseed` rebuilds it, `--drop-scratch`
removes it.

The queries go to the bench's copies of the three APIs (uvicorn, one process each: the
devstack's command line, current code) pointed at those databases, with real tokens.

What is seeded (deterministic, `random.Random(3)`):
- repatriation: `manifests` x `size` returnees (default 50,000 x 200 = 10,000,000), from Mexico
  to the eight reception points (35 % GT-TECUN-UMAN), over the last 1,000 days: older than 10
  days closed (5 % cancelled) with every hand-over recorded, 3 to 10 days dispatched, newer
  submitted or draft.
- consular: what those manifests caused — one notice per announced manifest and one
  nationality verification per returnee on it (≈ 10,000,000), cloned from rows the real consumer
  wrote for a real `repatriation.manifest.submitted.v1` event (so every JSON column has the
  shape the code writes).
- child_protection: `cases` cases (default 1,000,000) hosted by Mexico (HN 40 %, GT 30 %,
  SV 20 %, NI 10 %), cloned from a case opened through the real API (those older than 90
  days with a closure recorded: `closed_at`, `closed_by`, stage `closed`); the sensitive blob
  is random bytes of the real ciphertext's length.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from puebla.contracts.envelope import make_envelope
from puebla.ids import new_id
from puebla.messaging.nats import connect
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import repo_root
from puebla_dev.testing.keycloak import KeycloakTokens

from . import db, explain, procs
from .seed_repatriation import GIVEN as GIVEN_NAMES
from .seed_repatriation import (
    MANIFEST_COLUMNS,
    POINTS,
    RETURNEE_COLUMNS,
    SURNAMES,
    Manifest,
    manifest_record,
    returnee_records,
)
from .stats import Measurement

REP_DB = "bench_scale_repatriation"
CONS_DB = "bench_scale_consular"
CHILD_DB = "bench_scale_child_protection"
SEED_VERSION = 2
DATABASES = {"repatriation": REP_DB, "consular": CONS_DB, "child_protection": CHILD_DB}
# Queries at least this slow (p95) are explained: statements captured, EXPLAIN ANALYZE'd.
EXPLAIN_FROM_MS = 15.0

POINT_WEIGHTS = {
    "GT-TECUN-UMAN": 35,
    "GT-EL-CARMEN": 10,
    "GT-LA-MESILLA": 5,
    "SV-LAS-CHINAMAS": 10,
    "SV-LA-HACHADURA": 5,
    "HN-CORINTO": 15,
    "HN-AGUA-CALIENTE": 15,
    "NI-EL-GUASAULE": 5,
}
CHILD_NATIONALITY = {"HN": 40, "GT": 30, "SV": 20, "NI": 10}


@dataclass(frozen=True)
class ScaleConfig:
    manifests: int = 50_000
    size: int = 200
    cases: int = 1_000_000
    calls: int = 200
    reseed: bool = False
    drop: bool = False

    @property
    def spec(self) -> str:
        return f"v{SEED_VERSION}:{self.manifests}x{self.size}:{self.cases}"


@dataclass
class Query:
    name: str
    service: str
    user: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    page: int = 1  # 1: the first page; n: the n-th page, reached by following cursors


# --- seed -----------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def scale_manifests(cfg: ScaleConfig, now: datetime) -> list[Manifest]:
    rng = random.Random(3)
    span = timedelta(days=1000)
    out = []
    for i in range(cfg.manifests):
        created = now - span + span * (i + rng.random()) / cfg.manifests
        age = now - created
        if age > timedelta(days=10):
            status = "cancelled" if rng.random() < 0.05 else "closed"
        elif age > timedelta(days=3):
            status = "dispatched"
        else:
            status = "submitted" if rng.random() < 0.7 else "draft"
        out.append(
            Manifest(
                new_id(),
                _weighted(rng, POINT_WEIGHTS),
                status,
                created,
                [new_id() for _ in range(cfg.size)],
            )
        )
    return out


async def _seed_marker(conn: asyncpg.Connection) -> str | None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_seed (spec text NOT NULL, seeded_at timestamptz"
        " NOT NULL DEFAULT now(), seconds real)"
    )
    spec: str | None = await conn.fetchval("SELECT spec FROM bench_seed LIMIT 1")
    return spec


async def _set_marker(conn: asyncpg.Connection, spec: str, seconds: float) -> None:
    await conn.execute("DELETE FROM bench_seed")
    await conn.execute("INSERT INTO bench_seed (spec, seconds) VALUES ($1, $2)", spec, seconds)


async def _seed_repatriation(manifests: list[Manifest]) -> dict[str, int]:
    rng = random.Random(4)
    conn = await asyncpg.connect(db.dsn(REP_DB))
    try:
        await conn.execute("TRUNCATE manifest, returnee CASCADE")
        n_manifests = await db.copy_rows(
            conn,
            "manifest",
            MANIFEST_COLUMNS,
            (
                manifest_record(
                    m,
                    reference=f"MX-{POINTS[m.reception_point][0]}-{m.created_at.year}-{i:06d}",
                    rng=rng,
                )
                for i, m in enumerate(manifests)
            ),
        )
        n_returnees = await db.copy_rows(
            conn,
            "returnee",
            RETURNEE_COLUMNS,
            (
                r
                for m in manifests
                for r in returnee_records(m, rng=rng, handed_over=m.status == "closed")
            ),
        )
        return {"manifests": n_manifests, "returnees": n_returnees}
    finally:
        await conn.close()


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _shift_json(value: Any, delta: timedelta) -> Any:
    """Every ISO timestamp inside a JSON value moved by `delta` (dates of birth untouched)."""
    if isinstance(value, dict):
        return {k: _shift_json(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_json(v, delta) for v in value]
    if isinstance(value, str) and _ISO.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return (parsed + delta).isoformat()
    return value


def _clone(
    template: dict[str, Any], delta: timedelta, json_columns: set[str], **overrides: Any
) -> dict[str, Any]:
    row = {}
    for key, value in template.items():
        if key in overrides:
            row[key] = overrides[key]
        elif isinstance(value, datetime):
            row[key] = value + delta
        elif key in json_columns and isinstance(value, str):
            row[key] = json.dumps(_shift_json(json.loads(value), delta))
        else:
            row[key] = value
    return row


async def _json_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = $1 AND data_type = 'jsonb'",
        table,
    )
    return {r["column_name"] for r in rows}


async def _copy_dicts(
    conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterator[dict[str, Any]]
) -> int:
    return await db.copy_rows(conn, table, columns, (tuple(r[c] for c in columns) for r in rows))


async def _consular_template(nats_url: str) -> None:
    """A real `repatriation.manifest.submitted.v1` (the contract's example, new ids) on the
    private NATS; the bench's consular worker turns it into a notice and a verification."""
    data = json.loads(
        (
            repo_root()
            / "contracts/events/repatriation/repatriation.manifest.submitted.v1.example.json"
        ).read_text()
    )
    manifest_id = new_id()
    now = datetime.now(UTC)
    data["manifest_id"] = str(manifest_id)
    data["returnees"][0]["returnee_id"] = str(new_id())
    data["scheduled_departure"] = (now + timedelta(days=3)).isoformat()
    data["scheduled_arrival"] = (now + timedelta(days=3, hours=8)).isoformat()
    envelope = make_envelope(
        event_id=new_id(),
        event_type="repatriation.manifest.submitted.v1",
        source="puebla/repatriation",
        subject=str(manifest_id),
        time=now,
        access=["MX", "GT"],
        data=data,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
    )
    client = await connect(
        [nats_url], name="bench-template", credentials=dev_nats.credentials("devadmin")
    )
    try:
        js = client.jetstream()
        await js.publish(
            "repatriation.manifest.submitted.v1",
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(envelope.id)},
        )
    finally:
        await client.close()


async def _seed_consular(manifests: list[Manifest], nats_url: str) -> dict[str, int]:
    worker = procs.start_service_worker("consular", CONS_DB, nats_url, tag="bench3")
    conn = await asyncpg.connect(db.dsn(CONS_DB))
    try:
        await conn.execute("TRUNCATE notification, notification_delivery, verification CASCADE")
        await _consular_template(nats_url)
        deadline = time.monotonic() + 60
        while True:
            notice = await conn.fetchrow("SELECT * FROM notification LIMIT 1")
            check = await conn.fetchrow("SELECT * FROM verification LIMIT 1")
            if notice is not None and check is not None:
                break
            if time.monotonic() > deadline or not worker.alive():
                raise RuntimeError(f"no template notice from consular's worker:\n{worker.tail()}")
            await asyncio.sleep(0.2)
        deliveries = [
            dict(r)
            for r in await conn.fetch(
                "SELECT * FROM notification_delivery WHERE notification_id = $1", notice["id"]
            )
        ]
        worker.stop()
        await conn.execute("TRUNCATE notification, notification_delivery, verification CASCADE")
        notice_t, check_t = dict(notice), dict(check)
        n_json = await _json_columns(conn, "notification")
        v_json = await _json_columns(conn, "verification")
        rng = random.Random(5)
        now = datetime.now(UTC)
        announced = [m for m in manifests if m.status != "draft"]

        def notices() -> Iterator[dict[str, Any]]:
            for i, m in enumerate(announced):
                nationality = POINTS[m.reception_point][0]
                created = m.created_at + timedelta(hours=1)
                pending = now - created < timedelta(days=10)
                summary = json.loads(notice_t["manifest"])
                summary.update(
                    {
                        "manifest_id": str(m.id),
                        "reference": f"MX-{nationality}-{created.year}-{i:06d}",
                        "reception_point": m.reception_point,
                        "returnee_count": len(m.returnee_ids),
                    }
                )
                row = _clone(
                    notice_t,
                    created - notice_t["created_at"],
                    n_json,
                    id=new_id(),
                    reference=f"BENCH-{nationality}-{i:07d}",
                    nationality=nationality,
                    related_id=str(m.id),
                    source_key=f"bench:{m.id}",
                    status="pending" if pending else "acknowledged",
                    consular_post=f"{nationality}-CONS-TAPACHULA",
                    acknowledged_at=None if pending else created + timedelta(hours=3),
                    acknowledged_by=None if pending else f"consul.{nationality.lower()}",
                    access=["MX", nationality],
                    version=1 if pending else 2,
                )
                row["manifest"] = json.dumps(_shift_json(summary, created - notice_t["created_at"]))
                yield row

        notice_rows = list(notices())
        n_notices = await _copy_dicts(conn, "notification", list(notice_t), iter(notice_rows))
        n_deliveries = 0
        if deliveries:
            delivery_columns = list(deliveries[0])

            def delivery_rows() -> Iterator[dict[str, Any]]:
                for row in notice_rows:
                    for d in deliveries:
                        yield {**d, "notification_id": row["id"]}

            n_deliveries = await _copy_dicts(
                conn, "notification_delivery", delivery_columns, delivery_rows()
            )
        person = json.loads(check_t["person"])

        def checks() -> Iterator[dict[str, Any]]:
            for m in announced:
                nationality = POINTS[m.reception_point][0]
                requested = m.created_at + timedelta(hours=1)
                decided = m.status != "submitted"
                for rid in m.returnee_ids:
                    who = {
                        **person,
                        "given_names": rng.choice(GIVEN_NAMES),
                        "surnames": rng.choice(SURNAMES),
                    }
                    yield _clone(
                        check_t,
                        requested - check_t["requested_at"],
                        v_json,
                        id=new_id(),
                        person=json.dumps(who),
                        claimed_nationality=nationality,
                        related_id=str(m.id),
                        related_returnee_id=str(rid),
                        source_key=f"bench:{rid}",
                        status="confirmed" if decided else "pending",
                        decided_by=f"consul.{nationality.lower()}" if decided else None,
                        decided_at=requested + timedelta(hours=4) if decided else None,
                        reason=None,
                        access=["MX", nationality],
                        version=2 if decided else 1,
                    )

        n_checks = await _copy_dicts(conn, "verification", list(check_t), checks())
        return {
            "notifications": n_notices,
            "notification_deliveries": n_deliveries,
            "verifications": n_checks,
        }
    finally:
        worker.stop()
        await conn.close()


def _case_body(nationality: str) -> dict[str, Any]:
    return {
        "child": {
            "given_names": "Brayan",
            "surnames": "Zelaya Bench",
            "sex": "M",
            "date_of_birth": "2012-04-02",
            "nationality": nationality,
            "languages": ["es"],
        },
        "identified_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "accompaniment": "unaccompanied",
        "age_disputed": False,
        "protection_need": False,
        "trafficking_indicator": False,
        "indicator_details": "",
    }


async def _seed_child(cfg: ScaleConfig, api: procs.Proc, tokens: KeycloakTokens) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {tokens.get('dif.mx')}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers, timeout=30) as http:
        opened = await http.post("/v1/cases", json=_case_body("HN"))
        opened.raise_for_status()
    conn = await asyncpg.connect(db.dsn(CHILD_DB))
    try:
        open_t = dict(
            await conn.fetchrow(
                "SELECT * FROM child_case WHERE id = $1", uuid.UUID(opened.json()["id"])
            )
        )
        # Closed: the same case with its closure recorded (`closed_at`/`closed_by` are what
        # the repository reads the closure from; the stage column follows it).
        closed_t = {
            **open_t,
            "stage": "closed",
            "closed_at": open_t["opened_at"] + timedelta(days=60),
            "closed_by": "dif.mx",
            "next_deadline_at": None,
        }
        sealed = dict(
            await conn.fetchrow(
                "SELECT * FROM child_case_sensitive WHERE case_id = $1", open_t["id"]
            )
        )
        await conn.execute("TRUNCATE child_case, child_case_sensitive CASCADE")
        c_json = await _json_columns(conn, "child_case")
        rng = random.Random(6)
        now = datetime.now(UTC)
        span = timedelta(days=1000)
        ids = [new_id() for _ in range(cfg.cases)]

        def cases() -> Iterator[dict[str, Any]]:
            for i, case_id in enumerate(ids):
                opened_at = now - span + span * (i + rng.random()) / cfg.cases
                template = closed_t if now - opened_at > timedelta(days=90) else open_t
                yield _clone(
                    template,
                    opened_at - template["opened_at"],
                    c_json,
                    id=case_id,
                    reference=f"CP-MX-{opened_at.year}-B{i:07d}",
                    nationality=_weighted(rng, CHILD_NATIONALITY),
                    given_names=rng.choice(GIVEN_NAMES),
                    surnames=rng.choice(SURNAMES),
                    date_of_birth=date(
                        2008 + rng.randrange(12), 1 + rng.randrange(12), 1 + rng.randrange(28)
                    ),
                    blocked_for_consulate=rng.random() < 0.05,
                )

        n_cases = await _copy_dicts(conn, "child_case", list(open_t), cases())
        length = len(sealed["ciphertext"])

        def blobs() -> Iterator[dict[str, Any]]:
            for case_id in ids:
                yield {
                    **sealed,
                    "case_id": case_id,
                    "nonce": os.urandom(12),
                    "ciphertext": os.urandom(length),
                }

        n_blobs = await _copy_dicts(conn, "child_case_sensitive", list(sealed), blobs())
        return {"child_cases": n_cases, "sensitive_blobs": n_blobs}
    finally:
        await conn.close()


async def _vacuum(database: str) -> None:
    conn = await asyncpg.connect(db.dsn(database))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _table_sizes(database: str, tables: list[str]) -> dict[str, Any]:
    conn = await asyncpg.connect(db.dsn(database))
    try:
        out = {}
        for t in tables:
            out[t] = {
                "rows": await conn.fetchval(f"SELECT count(*) FROM {t}"),
                "size": await conn.fetchval(
                    "SELECT pg_size_pretty(pg_total_relation_size($1::regclass))", t
                ),
            }
        return out
    finally:
        await conn.close()


# --- queries --------------------------------------------------------------------------------


def queries(sample_manifest: str) -> list[Query]:
    border, consul_gt = "border.gt.tecun", "consul.gt.tapachula"
    return [
        Query("border: manifests, first page (50)", "repatriation", border, "/v1/manifests"),
        Query(
            "border: manifests, first page (limit 10)",
            "repatriation",
            border,
            "/v1/manifests",
            {"limit": 10},
        ),
        Query(
            "border: manifests, page 20 (cursor)", "repatriation", border, "/v1/manifests", page=20
        ),
        Query(
            "border: manifests status=dispatched",
            "repatriation",
            border,
            "/v1/manifests",
            {"status": "dispatched"},
        ),
        Query(
            "border: manifests status=closed, page 5",
            "repatriation",
            border,
            "/v1/manifests",
            {"status": "closed"},
            page=5,
        ),
        Query("consul GT: notifications, first page", "consular", consul_gt, "/v1/notifications"),
        Query(
            "consul GT: notifications, page 20 (cursor)",
            "consular",
            consul_gt,
            "/v1/notifications",
            page=20,
        ),
        Query(
            "consul GT: notifications status=pending",
            "consular",
            consul_gt,
            "/v1/notifications",
            {"status": "pending"},
        ),
        Query(
            "consul GT: notifications related_id=<manifest>",
            "consular",
            consul_gt,
            "/v1/notifications",
            {"related_id": sample_manifest},
        ),
        Query("consul GT: verifications, first page", "consular", consul_gt, "/v1/verifications"),
        Query(
            "consul GT: verifications, page 200 (cursor)",
            "consular",
            consul_gt,
            "/v1/verifications",
            page=200,
        ),
        Query(
            "consul GT: verifications status=pending",
            "consular",
            consul_gt,
            "/v1/verifications",
            {"status": "pending"},
        ),
        Query(
            "consul GT: verifications related_id=<manifest>",
            "consular",
            consul_gt,
            "/v1/verifications",
            {"related_id": sample_manifest},
        ),
        Query("dinaf.hn: cases, first page", "child_protection", "dinaf.hn", "/v1/cases"),
        Query(
            "dinaf.hn: cases, page 20 (cursor)",
            "child_protection",
            "dinaf.hn",
            "/v1/cases",
            page=20,
        ),
        Query(
            "dinaf.hn: cases stage=closed",
            "child_protection",
            "dinaf.hn",
            "/v1/cases",
            {"stage": "closed"},
        ),
        Query(
            "dinaf.hn: cases overdue=true",
            "child_protection",
            "dinaf.hn",
            "/v1/cases",
            {"overdue": "true"},
        ),
        Query(
            "consul HN: cases, first page",
            "child_protection",
            "consul.hn.tapachula",
            "/v1/cases",
        ),
        Query(
            "consul HN: cases, page 20 (cursor)",
            "child_protection",
            "consul.hn.tapachula",
            "/v1/cases",
            page=20,
        ),
    ]


async def _measure(
    http: httpx.AsyncClient, q: Query, base: str, headers: dict[str, str], calls: int
) -> dict[str, Any]:
    params = dict(q.params)
    page = 1
    while page < q.page:  # follow cursors to the page asked for (or the last there is)
        got = await http.get(f"{base}{q.path}", params=params, headers=headers)
        got.raise_for_status()
        cursor = got.json().get("next_cursor")
        if cursor is None:
            break
        params["cursor"] = cursor
        page += 1
    latencies: list[float] = []
    items = size = 0
    errors = 0
    t_all = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        got = await http.get(f"{base}{q.path}", params=params, headers=headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        if got.status_code != 200:
            errors += 1
            continue
        items, size = len(got.json()["items"]), len(got.content)
    elapsed = time.perf_counter() - t_all
    if items == 0 and errors == 0:
        raise RuntimeError(f"{q.name}: the list is empty — the seed does not match the query")
    return {
        "measurement": Measurement(q.name, calls - errors, elapsed, latencies, errors),
        "items": items,
        "response_kb": round(size / 1024, 1),
        "page": page,
        "params": params,
    }


async def run(cfg: ScaleConfig, tokens: KeycloakTokens, nats_url: str, out: dict[str, Any]) -> None:
    started: list[procs.Proc] = []
    try:
        for name in (REP_DB, CONS_DB, CHILD_DB):
            await db.create_database(name, fresh=cfg.reseed)
        apis = {}
        for service, database in (
            ("repatriation", REP_DB),
            ("consular", CONS_DB),
            ("child_protection", CHILD_DB),
        ):
            apis[service] = procs.start_service_api(service, database, nats_url, tag="bench3")
            started.append(apis[service])
        markers = {}
        for database in (REP_DB, CONS_DB, CHILD_DB):
            conn = await asyncpg.connect(db.dsn(database))
            try:
                markers[database] = await _seed_marker(conn)
            finally:
                await conn.close()
        seeded: dict[str, Any] = {"reused": True}
        if any(spec != cfg.spec for spec in markers.values()):
            print(f"scale: seeding {cfg.spec} (COPY) ...")
            seeded = {"reused": False}
            t0 = time.perf_counter()
            manifests = scale_manifests(cfg, datetime.now(UTC))
            seeded["repatriation"] = await _seed_repatriation(manifests)
            seeded["repatriation_s"] = round(time.perf_counter() - t0, 1)
            print(f"  repatriation {seeded['repatriation']} in {seeded['repatriation_s']}s")
            t1 = time.perf_counter()
            seeded["consular"] = await _seed_consular(manifests, nats_url)
            seeded["consular_s"] = round(time.perf_counter() - t1, 1)
            print(f"  consular {seeded['consular']} in {seeded['consular_s']}s")
            t2 = time.perf_counter()
            seeded["child_protection"] = await _seed_child(cfg, apis["child_protection"], tokens)
            seeded["child_protection_s"] = round(time.perf_counter() - t2, 1)
            made = seeded["child_protection"]
            print(f"  child_protection {made} in {seeded['child_protection_s']}s")
            t3 = time.perf_counter()
            for database in (REP_DB, CONS_DB, CHILD_DB):
                await _vacuum(database)
            seeded["vacuum_analyze_s"] = round(time.perf_counter() - t3, 1)
            seeded["total_s"] = round(time.perf_counter() - t0, 1)
            for database in (REP_DB, CONS_DB, CHILD_DB):
                conn = await asyncpg.connect(db.dsn(database))
                try:
                    await _set_marker(conn, cfg.spec, seeded["total_s"])
                finally:
                    await conn.close()
            print(f"  seeded in {seeded['total_s']}s")
        else:
            print(f"scale: reusing the seed {cfg.spec} in {REP_DB}, {CONS_DB}, {CHILD_DB}")
        seeded["tables"] = {
            REP_DB: await _table_sizes(REP_DB, ["manifest", "returnee"]),
            CONS_DB: await _table_sizes(CONS_DB, ["notification", "verification"]),
            CHILD_DB: await _table_sizes(CHILD_DB, ["child_case", "child_case_sensitive"]),
        }
        out["scale_seed"] = seeded

        conn = await asyncpg.connect(db.dsn(REP_DB))
        try:
            # A closed manifest to Guatemala from the middle of the history.
            sample: str = str(
                await conn.fetchval(
                    "SELECT id FROM manifest WHERE receiving_country = 'GT' AND status = 'closed'"
                    " ORDER BY created_at LIMIT 1 OFFSET (SELECT count(*) / 2 FROM manifest"
                    " WHERE receiving_country = 'GT' AND status = 'closed')"
                )
            )
        finally:
            await conn.close()
        results = []
        async with httpx.AsyncClient(timeout=60) as http:
            for q in queries(sample):
                headers = {"Authorization": f"Bearer {tokens.get(q.user)}"}
                base = apis[q.service].url
                for _ in range(5):  # warm the connection, the pool and the caches
                    await http.get(f"{base}{q.path}", params=q.params, headers=headers)
                r = await _measure(http, q, base, headers, cfg.calls)
                s = r["measurement"].summary()
                print(
                    f"  {q.name}: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms"
                    f" ({r['items']} items, {r['response_kb']} KB)"
                )
                if s["p95_ms"] >= EXPLAIN_FROM_MS:
                    r["explain"] = await explain.in_subprocess(
                        q.service, DATABASES[q.service], q.path, r["params"], tokens.get(q.user)
                    )
                    e = r["explain"]
                    if "error" not in e:
                        print(
                            f"    in-process {e['request_ms_in_process']} ms, of which SQL"
                            f" {e['sql_execution_ms']} ms in {len(e['statements'])} SELECTs"
                        )
                results.append({"query": q, **r})
        out["scale"] = results
    finally:
        for proc in reversed(started):
            proc.stop()
        if cfg.drop:
            for name in (REP_DB, CONS_DB, CHILD_DB):
                try:
                    await db.drop_database(name)
                except Exception as exc:
                    print(f"  could not drop {name}: {exc}", file=sys.stderr)
