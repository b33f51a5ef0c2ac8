"""What one hand-over sends to PostgreSQL: the real repatriation app in-process (its own
engine on the bench database). Two counts, since the hot path also talks to asyncpg directly
(`puebla.db.driver`): SQLAlchemy's statements, checkouts, commits and rollbacks from its
events, and every round trip asyncpg itself makes (BEGIN and COMMIT included), from an asyncpg
query logger on each pooled connection, by the statement's first word.

Run in a subprocess (`python -m e2e.bench.sqlcount …`): building the app configures the
service's logging for the whole process, which the benchmark's own process must not get.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import httpx


async def count(
    database: str, manifest_id: str, returnee_ids: list[str], token: str
) -> dict[str, int]:
    from sqlalchemy import event

    from puebla.runtime import Runtime
    from puebla_dev.testing.statements import sent_statements
    from repatriation.config import Settings, definition
    from repatriation.entrypoints.api.app import create_app

    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    runtime = await Runtime.start(
        definition(Settings(database_url=url)), with_nats=False, migrate=False
    )
    counts: dict[str, int] = {}
    sync_engine = runtime.engine.sync_engine

    def bump(key: str) -> Any:
        def listener(*_: Any) -> None:
            counts[key] = counts.get(key, 0) + 1

        return listener

    event.listen(sync_engine, "before_cursor_execute", bump("sqlalchemy_statements"))
    event.listen(sync_engine.pool, "checkout", bump("checkouts"))
    event.listen(sync_engine, "commit", bump("commits"))
    event.listen(sync_engine, "rollback", bump("rollbacks"))
    app = create_app(runtime)
    try:
        transport = httpx.ASGITransport(app=app)
        # The app's lifespan builds what its routes use (the service object, the verifier).
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        ):
            # The first call warms the verifier's JWKS cache and the pool; the second counts.
            for rid in returnee_ids[:2]:
                counts.clear()
                async with sent_statements(runtime.engine) as sent:
                    response = await http.post(
                        f"/v1/manifests/{manifest_id}/handovers",
                        json={"items": [{"returnee_id": rid, "outcome": "received"}]},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                response.raise_for_status()
                counts["round_trips"] = len(sent)
                for first in (statement.split(" ", 1)[0].upper() for statement in sent):
                    counts[f"round_trips_{first}"] = counts.get(f"round_trips_{first}", 0) + 1
    finally:
        await runtime.close()
    return counts


async def in_subprocess(
    database: str, manifest_id: uuid.UUID, returnee_ids: list[uuid.UUID], token: str
) -> dict[str, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "e2e.bench.sqlcount",
        database,
        str(manifest_id),
        ",".join(str(r) for r in returnee_ids[:2]),
        token,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    for line in reversed(out.decode().splitlines()):
        if line.startswith("SQLCOUNT "):
            result: dict[str, int] = json.loads(line.removeprefix("SQLCOUNT "))
            return result
    raise RuntimeError(f"sqlcount gave no result: {out.decode()[-2000:]}")


if __name__ == "__main__":
    db, manifest, returnees, bearer = sys.argv[1:5]
    result = asyncio.run(count(db, manifest, returnees.split(","), bearer))
    print("SQLCOUNT " + json.dumps(result))
