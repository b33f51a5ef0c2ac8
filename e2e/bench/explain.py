"""Where a slow list spends its time: the service's real app in-process on the scratch
database, one request, every statement it sends captured (SQLAlchemy events) and then run
again under `EXPLAIN (ANALYZE, FORMAT JSON)` with the same parameters.

So the report can say whether a query is bound by PostgreSQL (and by which plan node, on
which index or by a sequential scan) or by the Python around it (rows → objects → JSON).
Run in a subprocess (`python -m e2e.bench.explain …`): building an app configures the
service's logging for the whole process.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import sys
import time
from typing import Any

import asyncpg
import httpx

from . import db, procs


def _nodes(plan: dict[str, Any]) -> list[str]:
    """`Seq Scan on verification`, `Index Scan using ix_… on …`, `Sort`, … depth first."""
    label = plan["Node Type"]
    if "Index Name" in plan:
        label += f" using {plan['Index Name']}"
    if "Relation Name" in plan:
        label += f" on {plan['Relation Name']}"
    out = [f"{label} (rows {plan.get('Actual Rows')})"]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


async def explain(
    service: str, database: str, path: str, params: dict[str, Any], token: str
) -> dict[str, Any]:
    from sqlalchemy import event

    from puebla.runtime import Runtime

    config = importlib.import_module(f"{service}.config")
    app_module = importlib.import_module(f"{service}.entrypoints.api.app")
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    runtime = await Runtime.start(
        config.definition(config.Settings(database_url=url)), with_nats=False, migrate=False
    )
    captured: list[dict[str, Any]] = []

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        captured.append(
            {
                "statement": statement,
                "parameters": parameters,
                "ms_in_app": (time.perf_counter() - conn.info.pop("bench_t0")) * 1000,
                "rows": getattr(cursor, "rowcount", None),
            }
        )

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", before)
    event.listen(runtime.engine.sync_engine, "after_cursor_execute", after)
    app = app_module.create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                headers = {"Authorization": f"Bearer {token}"}
                await http.get(path, params=params, headers=headers)  # warm: JWKS, pool
                captured.clear()
                t0 = time.perf_counter()
                response = await http.get(path, params=params, headers=headers)
                total = (time.perf_counter() - t0) * 1000
                response.raise_for_status()
    finally:
        await runtime.close()
    conn = await asyncpg.connect(db.dsn(database))
    statements = []
    try:
        for c in captured:
            sql = c["statement"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            params_ = c["parameters"] or ()
            plan = json.loads(
                await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *params_)
            )[0]
            statements.append(
                {
                    "sql": re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", " ".join(sql.split()))[
                        :400
                    ],
                    "execution_ms": round(plan["Execution Time"], 2),
                    "ms_in_app": round(c["ms_in_app"], 2),
                    "plan": _nodes(plan["Plan"]),
                }
            )
    finally:
        await conn.close()
    sql_ms = sum(s["execution_ms"] for s in statements)
    return {
        "request_ms_in_process": round(total, 1),
        "sql_execution_ms": round(sql_ms, 2),
        "response_kb": round(len(response.content) / 1024, 1),
        "statements": statements,
    }


async def in_subprocess(
    service: str, database: str, path: str, params: dict[str, Any], token: str
) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "e2e.bench.explain",
        service,
        database,
        path,
        json.dumps(params),
        token,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,  # a failure's traceback is the report's error
        env={**os.environ, **procs.DEV},
    )
    out, _ = await proc.communicate()
    for line in reversed(out.decode().splitlines()):
        if line.startswith("EXPLAIN "):
            result: dict[str, Any] = json.loads(line.removeprefix("EXPLAIN "))
            return result
    return {"error": out.decode()[-1500:]}


if __name__ == "__main__":
    svc, database, path, params, bearer = sys.argv[1:6]
    found = asyncio.run(explain(svc, database, path, json.loads(params), bearer))
    print("EXPLAIN " + json.dumps(found, default=str))
