"""`Idempotency-Key` on write actions: the same key with the same body returns the first result.

The key is scoped to the caller (token subject). It is taken in the transaction that applies
the request's effect (`puebla.db.idempotency`), never before: a request that crashes or fails
before its commit leaves the key free, so a retry runs it again; one that commits leaves the
key taken, so a retry never applies it twice. The answer is stored right after the commit and
replayed to every retry. Between the commit and the stored answer a retry gets 409 "still
being processed"; if the answer can never be stored (the process died in between, or failed
after the commit), a retry gets 409 "applied, answer lost" — definitive: read the resource.
Answers below 500 of requests that committed nothing (refusals) are stored too. A reuse of the
key with a different request gets 422.

A stored answer is a copy of what the caller could see then. Before it is replayed, the route's
`recheck` decides again whether the caller may still see the record (a protection need found
since hides it from the person's own state): if not, the replay answers what a fresh request
would — 404 — and the stored body is never sent. Keys and stored answers are purged after a
retention window (`puebla.db.idempotency.purge_expired`, run by every service's worker; 7 days
by default): after it, the key is free and a request repeated with it runs again.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.auth.principal import Principal
from puebla.db.idempotency import IdempotencyClaim, claiming
from puebla.http.errors import PROBLEM_JSON, problem_response, refusals_of
from puebla.problems import FieldError, Problem, conflict, invalid, problem_for

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# Every write route says so in its OpenAPI operation: `@router.post(..., **WRITE)`.
WRITE: dict[str, Any] = {
    "openapi_extra": {
        "parameters": [
            {
                "name": HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                "description": "The same key with the same request returns the first answer;"
                " a request that failed before its commit runs again.",
            }
        ]
    }
}
# A key taken this long ago whose answer is still missing will never get one: its request
# committed, then died or failed before storing the answer (normally milliseconds apart).
ANSWER_GRACE = timedelta(seconds=30)

# Given the stored answer's JSON body; raises a refusal (or a Problem) when it may no longer
# be replayed.
Recheck = Callable[[Any], Awaitable[None]]


def answer_lost() -> Problem:
    return conflict(
        "The request with this Idempotency-Key was applied, but its answer was lost;"
        " read the resource to see the result.",
        slug="idempotency-answer-lost",
    )


async def _request_hash(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(request.url.query.encode())
    digest.update(body)
    return digest.hexdigest()


async def write(
    request: Request,
    caller: Principal,
    action: Callable[[], Awaitable[tuple[int, Any]]],
    *,
    recheck: Recheck | None = None,
) -> Response:
    """The one write-route wrapper: runs `action` once per Idempotency-Key (`idempotent`, on
    the app's runtime), and answers a refusal it raises with its problem — stored and replayed
    like any other answer, so a refused request is replayed as refused."""
    sessions = request.app.state.runtime.sessions
    return await idempotent(request, caller, sessions, action, recheck=recheck)


async def idempotent(
    request: Request,
    caller: Principal,
    sessions: async_sessionmaker[AsyncSession],
    action: Callable[[], Awaitable[tuple[int, Any]]],
    recheck: Recheck | None = None,
) -> Response:
    """Runs `action` (returning status and JSON-able body) at most once per key.

    `recheck(stored_body)` runs before any replay and raises a `Problem` (404) when the
    caller may no longer see the record the stored answer is about."""
    key = request.headers.get(HEADER)
    if key is None:
        return await _run(request, action)
    if recheck is not None:
        recheck = _refusing_as_problem(recheck, refusals_of(request.app))
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid([FieldError("Idempotency-Key", "length", "1 to 200 characters")])
    claim = IdempotencyClaim(caller.subject, key, await _request_hash(request))
    try:
        recorded = await _recorded(sessions, claim, recheck)
    except Problem as problem:
        return problem_response(problem, request)
    if recorded is not None:
        return recorded
    with claiming(claim):
        try:
            response = await _run(request, action)
        except Exception:
            if claim.committed:
                await _store_quietly(sessions, claim, answer_lost(), request)
                raise
            # Nothing of ours committed; another request with this key may have (our
            # transaction then failed on the key): answer as it does.
            try:
                recorded = await _recorded(sessions, claim, recheck)
            except Problem as problem:
                return problem_response(problem, request)
            except Exception:
                recorded = None
            if recorded is not None:
                return recorded
            raise
    if response.status_code >= 500:
        if claim.committed:
            await _store_quietly(sessions, claim, answer_lost(), request)
        return response
    body = bytes(response.body).decode() or "null"
    async with sessions() as session:
        if claim.committed:
            await session.execute(
                text(
                    "UPDATE idempotency SET status = :st, body = CAST(:b AS jsonb)"
                    " WHERE subject = :s AND key = :k"
                ),
                {"s": claim.subject, "k": claim.key, "st": response.status_code, "b": body},
            )
            await session.commit()
            return response
        # Nothing committed (a refusal): record it, unless a concurrent request with this key
        # committed first, whose answer is then the answer.
        stored = await session.execute(
            text(
                "INSERT INTO idempotency (subject, key, request_hash, status, body)"
                " VALUES (:s, :k, :h, :st, CAST(:b AS jsonb))"
                " ON CONFLICT DO NOTHING RETURNING key"
            ),
            {
                "s": claim.subject,
                "k": claim.key,
                "h": claim.request_hash,
                "st": response.status_code,
                "b": body,
            },
        )
        await session.commit()
    if stored.first() is None:
        try:
            return await _recorded(sessions, claim, recheck) or response
        except Problem as problem:
            return problem_response(problem, request)
    return response


def _refusing_as_problem(recheck: Recheck, refusals: tuple[type[BaseException], ...]) -> Recheck:
    async def checked(stored: Any) -> None:
        try:
            await recheck(stored)
        except refusals as refusal:
            raise problem_for(refusal) from refusal  # type: ignore[arg-type]

    return checked


async def _recorded(
    sessions: async_sessionmaker[AsyncSession],
    claim: IdempotencyClaim,
    recheck: Recheck | None = None,
) -> Response | None:
    """The recorded answer for this key (raises while there is none yet); None if the key
    is free."""
    async with sessions() as session:
        row = (
            (
                await session.execute(
                    text(
                        "SELECT request_hash, status, body,"
                        " clock_timestamp() - created_at AS age"
                        " FROM idempotency WHERE subject = :s AND key = :k"
                    ),
                    {"s": claim.subject, "k": claim.key},
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    if row["request_hash"] != claim.request_hash:
        raise invalid(
            [FieldError("Idempotency-Key", "reused_with_different_request")],
            "This Idempotency-Key was already used for a different request.",
        )
    if row["status"] is None:
        if row["age"] > ANSWER_GRACE:
            raise answer_lost()
        raise conflict("A request with this Idempotency-Key is still being processed.")
    if recheck is not None:
        await recheck(row["body"])  # raises when the caller may no longer see the record
    media = PROBLEM_JSON if row["status"] >= 400 else "application/json"
    return JSONResponse(
        row["body"],
        status_code=row["status"],
        media_type=media,
        headers={"Idempotent-Replayed": "true"},
    )


async def _store_quietly(
    sessions: async_sessionmaker[AsyncSession],
    claim: IdempotencyClaim,
    problem: Problem,
    request: Request,
) -> None:
    """Records `problem` as the answer of a request that committed but cannot answer (the
    database may be gone: then the grace period says it instead)."""
    body = bytes(problem_response(problem, request).body).decode()
    with contextlib.suppress(Exception):
        async with sessions() as session:
            await session.execute(
                text(
                    "UPDATE idempotency SET status = :st, body = CAST(:b AS jsonb)"
                    " WHERE subject = :s AND key = :k AND status IS NULL"
                ),
                {"s": claim.subject, "k": claim.key, "st": problem.status, "b": body},
            )
            await session.commit()


async def _run(request: Request, action: Callable[[], Awaitable[tuple[int, Any]]]) -> Response:
    try:
        status, body = await action()
    except Problem as problem:
        return problem_response(problem, request)
    except refusals_of(request.app) as refusal:
        return problem_response(problem_for(refusal), request)  # type: ignore[arg-type]
    try:
        # Most answers are JSON already (a schema's `model_dump(mode="json")`): rendered as
        # they are, without FastAPI's encoder walking every value first.
        return JSONResponse(body, status_code=status)
    except TypeError:  # a value json does not know (a UUID, a date): the encoder's turn
        return JSONResponse(jsonable_encoder(body), status_code=status)
