"""The ceiling for hand-over recording: FastAPI + asyncpg and nothing else.

The same route and body as repatriation's `POST /v1/manifests/{id}/handovers`, the same
writes in one transaction on the same tables (the returnee's outcome, officer, post and time;
the manifest's status and version, the manifest row locked first), served the same way (one
uvicorn process, `--factory`, no access log). No token, no policy, no domain model, no
outbox, no audit chain, no read-back of the record: what is left is the framework's floor.

`BENCH_BARE_DSN` names the scratch database (tables made from repatriation's orm.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

OFFICER = "border.gt.tecun"
POST = "GT-TECUN-UMAN"


class Item(BaseModel):
    returnee_id: uuid.UUID
    outcome: Literal["received", "not_presented", "refused"]
    reason: str | None = None


class Body(BaseModel):
    items: list[Item] = Field(min_length=1, max_length=300)


def create_app() -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The services' pool: up to 30 connections, each kept once opened (`make_engine`).
        state["pool"] = await asyncpg.create_pool(
            os.environ["BENCH_BARE_DSN"], min_size=10, max_size=30
        )
        try:
            yield
        finally:
            await state["pool"].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/manifests/{manifest_id}/handovers")
    async def handovers(manifest_id: uuid.UUID, body: Body) -> dict[str, Any]:
        now = datetime.now(UTC)
        pool: asyncpg.Pool = state["pool"]
        async with pool.acquire() as conn, conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM manifest WHERE id = $1 FOR UPDATE", manifest_id
            )
            if status is None:
                raise HTTPException(404)
            if status not in ("dispatched", "arrived", "closed"):
                raise HTTPException(409)
            recorded = []
            for item in body.items:
                done = await conn.fetchval(
                    "UPDATE returnee SET handover_outcome = $3, handover_reason = $4,"
                    " handover_officer = $5, handover_post = $6, handed_over_at = $7,"
                    " handover_stored_at = $7"
                    " WHERE id = $1 AND manifest_id = $2 AND handover_outcome IS NULL"
                    " RETURNING true",
                    item.returnee_id,
                    manifest_id,
                    item.outcome,
                    item.reason,
                    OFFICER,
                    POST,
                    now,
                )
                recorded.append(bool(done))
            if any(recorded):
                pending = await conn.fetchval(
                    "SELECT count(*) FROM returnee"
                    " WHERE manifest_id = $1 AND handover_outcome IS NULL",
                    manifest_id,
                )
                await conn.execute(
                    "UPDATE manifest SET version = version + 1, status = $2,"
                    " arrived_at = coalesce(arrived_at, $3),"
                    " closed_at = CASE WHEN $2 = 'closed' THEN $3 END WHERE id = $1",
                    manifest_id,
                    "closed" if pending == 0 else "arrived",
                    now,
                )
        return {"recorded": recorded}

    return app
