"""An `Idempotency-Key` is taken in the transaction of the effect it guards (real PostgreSQL).

A request that fails before its commit leaves the key free, so a retry applies it; one that
commits and then dies leaves the key taken, so a retry is told so and never applies it twice;
of two concurrent requests with one key exactly one commits. Keys are purged after the
retention window, and a purged key is free again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.db.idempotency import purge_expired
from puebla.db.unit_of_work import UnitOfWork
from puebla.http.errors import install_problem_handlers
from puebla.http.idempotency import idempotent
from puebla.problems import conflict
from puebla_dev.testing.infra import MigratedDatabase

CALLER = Principal(subject=f"tester-{uuid.uuid4()}", username="tester", roles=frozenset())


class Crash(Exception):
    """The process dies at this point (as far as the request can tell)."""


class Scenario:
    """What the next request's use case does: where it fails, when it may commit."""

    def __init__(self) -> None:
        self.crash_before_commit = False
        self.crash_after_commit = False
        self.refuse = False
        self.answer_values = False  # answer with values json does not know (a UUID, a time)
        self.hold: asyncio.Event | None = None
        self.writing = asyncio.Event()


def build_app(db: MigratedDatabase, scenario: Scenario) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes/{note_id}")
    async def write(note_id: uuid.UUID, request: Request) -> Response:
        async def action() -> tuple[int, Any]:
            if scenario.refuse:
                raise conflict("Refused by the rules.", slug="refused")
            async with UnitOfWork(db.sessions, source="puebla/test", actor="test") as uow:
                await uow.session.execute(
                    text("INSERT INTO note (id, text) VALUES (:id, :t)"),
                    {"id": uuid.uuid4(), "t": str(note_id)},
                )
                scenario.writing.set()
                if scenario.hold is not None:
                    await scenario.hold.wait()
                if scenario.crash_before_commit:
                    raise Crash("before the commit")
                await uow.commit()
            if scenario.crash_after_commit:
                raise Crash("after the commit")
            if scenario.answer_values:
                return 201, {"note": note_id, "at": datetime(2026, 12, 8, 8, 0, tzinfo=UTC)}
            return 201, {"note": str(note_id)}

        return await idempotent(request, CALLER, db.sessions, action)

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def scenario() -> Scenario:
    return Scenario()


@pytest_asyncio.fixture(loop_scope="session")
async def client(
    library_db: MigratedDatabase, scenario: Scenario
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(library_db, scenario), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def post(
    client: httpx.AsyncClient, note_id: uuid.UUID, key: str, body: str = "{}"
) -> httpx.Response:
    return await client.post(
        f"/notes/{note_id}",
        content=body,
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
    )


async def notes(db: MigratedDatabase, note_id: uuid.UUID) -> int:
    async with db.sessions() as session:
        found = await session.execute(
            text("SELECT count(*) FROM note WHERE text = :t"), {"t": str(note_id)}
        )
        return int(found.scalar_one())


async def test_a_request_that_dies_before_its_commit_leaves_the_key_free_for_the_retry(
    client: httpx.AsyncClient, scenario: Scenario, library_db: MigratedDatabase
) -> None:
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    scenario.crash_before_commit = True
    assert (await post(client, note_id, key)).status_code == 500
    assert await notes(library_db, note_id) == 0

    scenario.crash_before_commit = False
    retried = await post(client, note_id, key)
    assert retried.status_code == 201, retried.text
    assert await notes(library_db, note_id) == 1
    replayed = await post(client, note_id, key)
    assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")
    assert replayed.json() == {"note": str(note_id)}
    assert await notes(library_db, note_id) == 1


async def test_a_request_that_dies_after_its_commit_is_never_applied_again(
    client: httpx.AsyncClient, scenario: Scenario, library_db: MigratedDatabase
) -> None:
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    scenario.crash_after_commit = True
    assert (await post(client, note_id, key)).status_code == 500
    assert await notes(library_db, note_id) == 1

    scenario.crash_after_commit = False
    for _ in range(2):
        retried = await post(client, note_id, key)
        assert retried.status_code == 409, retried.text
        assert retried.headers["content-type"] == "application/problem+json"
        assert retried.json()["type"].endswith("idempotency-answer-lost")
    assert await notes(library_db, note_id) == 1


async def test_a_key_whose_answer_never_came_is_reported_applied_after_the_grace_period(
    client: httpx.AsyncClient, library_db: MigratedDatabase
) -> None:
    """The process died between its commit and storing the answer (nothing could store it)."""
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    first = await post(client, note_id, key)
    assert first.status_code == 201
    async with library_db.sessions() as session:
        await session.execute(
            text(
                "UPDATE idempotency SET status = NULL, body = NULL,"
                " created_at = created_at - interval '1 minute'"
                " WHERE subject = :s AND key = :k"
            ),
            {"s": CALLER.subject, "k": key},
        )
        await session.commit()
    retried = await post(client, note_id, key)
    assert retried.status_code == 409
    assert retried.json()["type"].endswith("idempotency-answer-lost")
    assert await notes(library_db, note_id) == 1


async def test_of_two_concurrent_requests_with_one_key_exactly_one_applies(
    client: httpx.AsyncClient, scenario: Scenario, library_db: MigratedDatabase
) -> None:
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    scenario.hold = asyncio.Event()
    first = asyncio.create_task(post(client, note_id, key))
    await asyncio.wait_for(scenario.writing.wait(), 10)
    scenario.writing.clear()
    second = asyncio.create_task(post(client, note_id, key))
    await asyncio.wait_for(scenario.writing.wait(), 10)
    # Both have written and wait to commit: both transactions are open at once.
    scenario.hold.set()
    answers = sorted([(await first).status_code, (await second).status_code])
    scenario.hold = None

    assert await notes(library_db, note_id) == 1
    assert answers in ([201, 201], [201, 409]), answers
    assert (await post(client, note_id, key)).status_code == 201


async def test_a_refusal_is_replayed_and_a_key_reused_for_another_request_is_422(
    client: httpx.AsyncClient, scenario: Scenario, library_db: MigratedDatabase
) -> None:
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    scenario.refuse = True
    try:
        refused = await post(client, note_id, key)
        assert refused.status_code == 409
    finally:
        scenario.refuse = False
    replayed = await post(client, note_id, key)
    assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (409, "true")
    assert replayed.json()["type"] == refused.json()["type"]
    assert await notes(library_db, note_id) == 0

    reused = await post(client, note_id, key, body=json.dumps({"other": 1}))
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"


async def age(db: MigratedDatabase, key: str, by: timedelta) -> None:
    """Backdates a key, as if it had been taken `by` ago."""
    async with db.sessions() as session:
        await session.execute(
            text(
                "UPDATE idempotency SET created_at = created_at - CAST(:by AS interval)"
                " WHERE subject = :s AND key = :k"
            ),
            {"s": CALLER.subject, "k": key, "by": by},
        )
        await session.commit()


async def stored(db: MigratedDatabase, key: str) -> bool:
    async with db.sessions() as session:
        found = await session.execute(
            text("SELECT 1 FROM idempotency WHERE subject = :s AND key = :k"),
            {"s": CALLER.subject, "k": key},
        )
        return found.first() is not None


class TestRetention:
    async def test_keys_older_than_the_retention_are_purged_and_younger_ones_kept(
        self, client: httpx.AsyncClient, library_db: MigratedDatabase
    ) -> None:
        old, young = str(uuid.uuid4()), str(uuid.uuid4())
        assert (await post(client, uuid.uuid4(), old)).status_code == 201
        assert (await post(client, uuid.uuid4(), young)).status_code == 201
        await age(library_db, old, timedelta(days=7, minutes=1))
        await age(library_db, young, timedelta(days=6, hours=23))

        purged = await purge_expired(library_db.sessions, timedelta(days=7))

        assert purged >= 1  # other tests' old keys may go too
        assert not await stored(library_db, old)
        assert await stored(library_db, young)

    async def test_a_key_still_without_an_answer_is_purged_too(
        self, client: httpx.AsyncClient, library_db: MigratedDatabase
    ) -> None:
        key = str(uuid.uuid4())
        assert (await post(client, uuid.uuid4(), key)).status_code == 201
        async with library_db.sessions() as session:
            await session.execute(
                text("UPDATE idempotency SET status = NULL, body = NULL WHERE key = :k"),
                {"k": key},
            )
            await session.commit()
        await age(library_db, key, timedelta(days=8))
        await purge_expired(library_db.sessions, timedelta(days=7))
        assert not await stored(library_db, key)

    async def test_after_the_purge_the_key_is_free_and_a_repeat_runs_again(
        self, client: httpx.AsyncClient, library_db: MigratedDatabase
    ) -> None:
        """The documented choice: the window bounds how long a retry is recognised."""
        note_id, key = uuid.uuid4(), str(uuid.uuid4())
        assert (await post(client, note_id, key)).status_code == 201
        await age(library_db, key, timedelta(days=8))
        await purge_expired(library_db.sessions, timedelta(days=7))

        again = await post(client, note_id, key)

        assert again.status_code == 201, again.text
        assert "Idempotent-Replayed" not in again.headers
        assert await notes(library_db, note_id) == 2
        replayed = await post(client, note_id, key)  # and the key is taken again
        assert replayed.headers["Idempotent-Replayed"] == "true"
        assert await notes(library_db, note_id) == 2


async def test_an_answer_with_values_json_does_not_know_is_encoded_and_replayed_alike(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    """Answers are rendered as they are when they are JSON already; a UUID or a time in one
    is encoded as FastAPI encodes it, first time and replay alike."""
    note_id, key = uuid.uuid4(), str(uuid.uuid4())
    scenario.answer_values = True
    expected = {"note": str(note_id), "at": "2026-12-08T08:00:00+00:00"}
    first = await post(client, note_id, key)
    assert (first.status_code, first.json()) == (201, expected)
    replayed = await post(client, note_id, key)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert (replayed.status_code, replayed.json()) == (201, expected)
