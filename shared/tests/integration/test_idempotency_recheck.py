"""A replayed answer is sent only if the caller may still see the record (real PostgreSQL).

`idempotent(..., recheck=...)` stores the first answer; before replaying it, `recheck` decides
again. Here a note becomes invisible to its writer (as a record does to a person's own state
once a protection need is found): the same key then answers 404, never the stored body — on
the plain replay and on the concurrent path, where a second request with the key loses the
race for it and answers from the stored answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI, Request, Response
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.db.unit_of_work import UnitOfWork
from puebla.http.errors import install_problem_handlers
from puebla.http.idempotency import idempotent
from puebla.problems import not_found
from puebla_dev.testing.infra import MigratedDatabase

CALLER = Principal(subject=f"rechecker-{uuid.uuid4()}", username="rechecker", roles=frozenset())
SECRET = "what the caller was told when it could still see the note"


class Notes:
    """Which notes the caller may no longer see, and where each write waits."""

    def __init__(self) -> None:
        self.hidden: set[str] = set()
        # One gate per write, in the order the writes start; a write waits at its gate with
        # its row written and its transaction open.
        self.gates: list[asyncio.Event] = []
        self.written: asyncio.Queue[int] = asyncio.Queue()
        self.writes = 0


def build_app(db: MigratedDatabase, notes: Notes) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    async def still_visible(stored: Any) -> None:
        if stored["note"] in notes.hidden:
            raise not_found("note")

    @app.post("/notes/{note_id}")
    async def write(note_id: uuid.UUID, request: Request) -> Response:
        async def action() -> tuple[int, Any]:
            n, notes.writes = notes.writes, notes.writes + 1
            async with UnitOfWork(db.sessions, source="puebla/test", actor="test") as uow:
                await uow.session.execute(
                    text("INSERT INTO note (id, text) VALUES (:id, :t)"),
                    {"id": uuid.uuid4(), "t": str(note_id)},
                )
                notes.written.put_nowait(n)
                if n < len(notes.gates):
                    await notes.gates[n].wait()
                await uow.commit()
            return 201, {"note": str(note_id), "secret": SECRET}

        return await idempotent(request, CALLER, db.sessions, action, recheck=still_visible)

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def notes() -> Notes:
    return Notes()


@pytest_asyncio.fixture(loop_scope="session")
async def client(library_db: MigratedDatabase, notes: Notes) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(library_db, notes), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def post(client: httpx.AsyncClient, note_id: uuid.UUID, key: str) -> httpx.Response:
    return await client.post(f"/notes/{note_id}", json={}, headers={"Idempotency-Key": key})


async def count(db: MigratedDatabase, note_id: uuid.UUID) -> int:
    async with db.sessions() as session:
        found = await session.execute(
            text("SELECT count(*) FROM note WHERE text = :t"), {"t": str(note_id)}
        )
        return int(found.scalar_one())


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert SECRET not in response.text
    assert "Idempotent-Replayed" not in response.headers


class TestReplayRechecksVisibility:
    async def test_a_replay_while_the_caller_still_sees_the_note_is_the_stored_answer(
        self, client: httpx.AsyncClient
    ) -> None:
        note_id, key = uuid.uuid4(), str(uuid.uuid4())
        assert (await post(client, note_id, key)).status_code == 201
        replayed = await post(client, note_id, key)
        assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")
        assert replayed.json()["secret"] == SECRET

    async def test_a_replay_after_the_note_became_invisible_is_404_not_the_stored_body(
        self, client: httpx.AsyncClient, notes: Notes, library_db: MigratedDatabase
    ) -> None:
        note_id, key = uuid.uuid4(), str(uuid.uuid4())
        assert (await post(client, note_id, key)).status_code == 201
        notes.hidden.add(str(note_id))

        for _ in range(2):
            assert_not_found(await post(client, note_id, key))
        assert await count(library_db, note_id) == 1  # and it was not applied again

    async def test_a_concurrent_request_that_loses_the_key_rechecks_before_answering(
        self, client: httpx.AsyncClient, notes: Notes, library_db: MigratedDatabase
    ) -> None:
        """Both requests found the key free and wrote; the first commits and stores its answer,
        the note becomes invisible, then the second's commit fails on the key: it answers from
        the stored answer, which the recheck now refuses."""
        note_id, key = uuid.uuid4(), str(uuid.uuid4())
        notes.writes, notes.gates = 0, [asyncio.Event(), asyncio.Event()]
        try:
            first = asyncio.create_task(post(client, note_id, key))
            assert await asyncio.wait_for(notes.written.get(), 10) == 0
            second = asyncio.create_task(post(client, note_id, key))
            assert await asyncio.wait_for(notes.written.get(), 10) == 1
            # Both transactions are open, each with its note written and the key not yet taken.
            notes.gates[0].set()
            assert (await first).status_code == 201
            notes.hidden.add(str(note_id))
            notes.gates[1].set()
            assert_not_found(await second)
        finally:
            for gate in notes.gates:
                gate.set()
            notes.gates = []
        assert await count(library_db, note_id) == 1
