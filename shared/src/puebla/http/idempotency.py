"""`Idempotency-Key` on write actions: the same key with the same body returns the first result.

The key is scoped to the caller (token subject). The first request claims the key in its own
short transaction; a concurrent retry with the same key gets 409 until the first finishes; a
reuse of the key with a different body gets 422. Answers below 500 are stored and replayed;
a 5xx releases the key so the client may retry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.auth.principal import Principal
from puebla.http.errors import PROBLEM_JSON, problem_response
from puebla.problems import FieldError, Problem, conflict, invalid

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


async def _request_hash(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(request.url.query.encode())
    digest.update(body)
    return digest.hexdigest()


async def idempotent(
    request: Request,
    caller: Principal,
    sessions: async_sessionmaker[AsyncSession],
    action: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response:
    """Runs `action` (returning status and JSON-able body) at most once per key."""
    key = request.headers.get(HEADER)
    if key is None:
        return await _run(request, action)
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid([FieldError("Idempotency-Key", "length", "1 to 200 characters")])
    fingerprint = await _request_hash(request)
    async with sessions() as session:
        claimed = await session.execute(
            text(
                "INSERT INTO idempotency (subject, key, request_hash) VALUES (:s, :k, :h)"
                " ON CONFLICT DO NOTHING RETURNING key"
            ),
            {"s": caller.subject, "k": key, "h": fingerprint},
        )
        await session.commit()
        if claimed.first() is None:
            row = (
                (
                    await session.execute(
                        text(
                            "SELECT request_hash, status, body FROM idempotency"
                            " WHERE subject = :s AND key = :k"
                        ),
                        {"s": caller.subject, "k": key},
                    )
                )
                .mappings()
                .one()
            )
            if row["request_hash"] != fingerprint:
                raise invalid(
                    [FieldError("Idempotency-Key", "reused_with_different_request")],
                    "This Idempotency-Key was already used for a different request.",
                )
            if row["status"] is None:
                raise conflict("A request with this Idempotency-Key is still being processed.")
            media = PROBLEM_JSON if row["status"] >= 400 else "application/json"
            return JSONResponse(
                row["body"],
                status_code=row["status"],
                media_type=media,
                headers={"Idempotent-Replayed": "true"},
            )
    try:
        response = await _run(request, action)
    except BaseException:
        await _release(sessions, caller.subject, key)
        raise
    if response.status_code >= 500:
        await _release(sessions, caller.subject, key)
        return response
    async with sessions() as session:
        await session.execute(
            text(
                "UPDATE idempotency SET status = :st, body = CAST(:b AS jsonb)"
                " WHERE subject = :s AND key = :k"
            ),
            {
                "s": caller.subject,
                "k": key,
                "st": response.status_code,
                "b": bytes(response.body).decode() or "null",
            },
        )
        await session.commit()
    return response


async def _run(request: Request, action: Callable[[], Awaitable[tuple[int, Any]]]) -> Response:
    try:
        status, body = await action()
    except Problem as problem:
        return problem_response(problem, request)
    return JSONResponse(jsonable_encoder(body), status_code=status)


async def _release(sessions: async_sessionmaker[AsyncSession], subject: str, key: str) -> None:
    async with sessions() as session:
        await session.execute(
            text("DELETE FROM idempotency WHERE subject = :s AND key = :k"),
            {"s": subject, "k": key},
        )
        await session.commit()
