"""The HTTP edge every service app gets from `create_service_app` (issue 13, review 5 and 14).

On an app built exactly as the services build theirs, with real Keycloak tokens:

1. Body limits: a declared `Content-Length` over the route's limit is answered 413 before a
   byte is received; a chunked body and a body under a lying `Content-Length` are cut off at
   the first chunk past the limit; a route marked `body_limit` takes more, the others 1 MiB.
2. The bearer check comes before the body: without a valid token the body is never received
   (401, also for a malformed body); an oversized body without a token is 413 when its size
   is declared (known before anything is read or verified), 401 when it is not.
3. Security headers on every answer (also 401, 404, 413, 422 and 500); the docs under their
   own CSP; `/docs`, `/redoc` and `/openapi.json` switched off by `PUEBLA_API_DOCS=false`.

How much of a body was read is counted on the client's side: httpx's ASGI transport pulls
the next chunk of the request stream only when the app calls `receive()`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from puebla.http.app import create_service_app
from puebla.http.deps import Caller
from puebla.http.limits import body_limit
from puebla.http.settings import HttpSettings
from puebla.runtime import Runtime, ServiceDefinition
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.keycloak import KeycloakTokens

from .conftest import FIXTURE_SERVICE

pytestmark = pytest.mark.asyncio(loop_scope="session")

MIB = 1024 * 1024  # the default limit, written out: 1 MiB
CHUNK = 64 * 1024
# A chunked body of 64 KiB chunks passes 1 MiB with its 17th chunk: the app pulls 17, no more.
CHUNKS_TO_PASS_1_MIB = 17


class Echo(BaseModel):
    text: str


router = APIRouter(prefix="/v1")


@router.post("/echo")
async def echo(body: Echo, caller: Caller) -> dict[str, Any]:
    return {"length": len(body.text), "by": caller.username}


@router.post("/bulk")
@body_limit(2 * MIB)
async def bulk(body: Echo, caller: Caller) -> dict[str, Any]:
    return {"length": len(body.text)}


@router.get("/fails")
async def fails(caller: Caller) -> None:
    raise RuntimeError("an unexpected failure")


def build_app(db: MigratedDatabase, *, http: HttpSettings | None = None) -> FastAPI:
    # Named like a service so that the demo users' real tokens carry its audience.
    definition = ServiceDefinition(
        name="repatriation", service_dir=FIXTURE_SERVICE, database_url=db.url
    )
    runtime = Runtime(definition, db.engine, db.sessions)
    return create_service_app(
        definition, title="edge test", routers=[router], runtime=runtime, http=http
    )


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def client(library_db: MigratedDatabase) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(build_app(library_db)) as http:
        yield http


class Body:
    """A request body streamed in 64 KiB chunks, counting the chunks the app pulled."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pulled = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), CHUNK):
            self.pulled += 1
            yield self.data[start : start + CHUNK]


def echo_body(size: int) -> bytes:
    """A valid `Echo` body of exactly `size` bytes."""
    frame = len(b'{"text":""}')
    return b'{"text":"' + b"a" * (size - frame) + b'"}'


def bearer(tokens: KeycloakTokens, user: str = "inm.mx") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get(user)}", "Content-Type": "application/json"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://puebla.rcm/problems/{slug}"
    assert body["status"] == status
    return body


class TestBodyLimit:
    async def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        body = Body(echo_body(MIB + 1))
        headers = {**bearer(tokens), "Content-Length": str(MIB + 1)}
        response = await client.post("/v1/echo", content=body.stream(), headers=headers)
        problem = assert_problem(response, 413, "body-too-large")
        assert problem["limit_bytes"] == MIB
        assert body.pulled == 0

    async def test_a_chunked_body_is_cut_off_at_the_limit(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        body = Body(echo_body(2 * MIB))
        response = await client.post("/v1/echo", content=body.stream(), headers=bearer(tokens))
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "body-too-large")
        assert body.pulled == CHUNKS_TO_PASS_1_MIB

    async def test_a_lying_content_length_is_not_believed(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        body = Body(echo_body(2 * MIB))
        headers = {**bearer(tokens), "Content-Length": "100"}
        response = await client.post("/v1/echo", content=body.stream(), headers=headers)
        assert_problem(response, 413, "body-too-large")
        assert body.pulled == CHUNKS_TO_PASS_1_MIB

    async def test_a_body_of_exactly_the_limit_is_taken(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        response = await client.post("/v1/echo", content=echo_body(MIB), headers=bearer(tokens))
        assert response.status_code == 200, response.text
        assert response.json() == {"length": MIB - 11, "by": "inm.mx"}

    async def test_a_route_marked_with_a_larger_limit_takes_more_and_no_more(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        one_and_a_half = echo_body(MIB + MIB // 2)
        response = await client.post("/v1/bulk", content=one_and_a_half, headers=bearer(tokens))
        assert response.status_code == 200, response.text
        refused = await client.post("/v1/echo", content=one_and_a_half, headers=bearer(tokens))
        assert_problem(refused, 413, "body-too-large")
        body = Body(echo_body(2 * MIB + 1))
        over = await client.post("/v1/bulk", content=body.stream(), headers=bearer(tokens))
        assert assert_problem(over, 413, "body-too-large")["limit_bytes"] == 2 * MIB
        assert body.pulled == 33  # 2 MiB is 32 chunks of 64 KiB: the 33rd passes it


class TestBearerBeforeBody:
    @pytest.mark.parametrize(
        "authorization", [None, "Bearer not-a-token", "Basic aW5tLm14OmRlbW8="]
    )
    async def test_a_malformed_body_without_a_valid_token_is_never_read(
        self, client: httpx.AsyncClient, authorization: str | None
    ) -> None:
        body = Body(b'{"text": [unclosed')
        headers = {"Authorization": authorization} if authorization else {}
        response = await client.post("/v1/echo", content=body.stream(), headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == 'Bearer realm="rcm"'
        assert body.pulled == 0

    async def test_an_undeclared_huge_body_without_a_token_is_401_unread(
        self, client: httpx.AsyncClient
    ) -> None:
        body = Body(echo_body(2 * MIB))
        response = await client.post("/v1/echo", content=body.stream())
        assert_problem(response, 401, "unauthorized")
        assert body.pulled == 0

    async def test_a_declared_huge_body_without_a_token_is_413_unread(
        self, client: httpx.AsyncClient
    ) -> None:
        body = Body(echo_body(2 * MIB))
        headers = {"Content-Length": str(2 * MIB)}
        response = await client.post("/v1/echo", content=body.stream(), headers=headers)
        assert_problem(response, 413, "body-too-large")
        assert body.pulled == 0

    async def test_with_a_valid_token_the_malformed_body_is_read_and_refused(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        response = await client.post(
            "/v1/echo", content=b'{"text": [unclosed', headers=bearer(tokens)
        )
        assert response.status_code == 422, response.text

    async def test_unknown_paths_ask_for_a_token_first(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/nothing-here"), 401, "unauthorized")


SECURITY = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


class TestSecurityHeaders:
    async def test_every_answer_carries_them(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        answers = {
            "health": await client.get("/healthz"),
            "me": await client.get("/v1/me", headers=bearer(tokens)),
            "401": await client.get("/v1/me"),
            "404": await client.get("/v1/nothing-here", headers=bearer(tokens)),
            "413": await client.post(
                "/v1/echo", content=echo_body(MIB + 1), headers=bearer(tokens)
            ),
            "422": await client.post("/v1/echo", json={"text": 1}, headers=bearer(tokens)),
            "500": await client.get("/v1/fails", headers=bearer(tokens)),
            "openapi": await client.get("/openapi.json"),
        }
        statuses = {name: r.status_code for name, r in answers.items()}
        assert statuses == {
            "health": 200,
            "me": 200,
            "401": 401,
            "404": 404,
            "413": 413,
            "422": 422,
            "500": 500,
            "openapi": 200,
        }
        for name, response in answers.items():
            for header, value in SECURITY.items():
                assert response.headers.get(header) == value, (name, header)
            assert response.headers.get("content-security-policy") == API_CSP, name

    async def test_swagger_ui_runs_only_its_own_inline_script_and_the_cdn(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/docs")
        assert response.status_code == 200
        for header, value in SECURITY.items():
            assert response.headers.get(header) == value
        csp = dict(
            part.strip().split(" ", 1)
            for part in response.headers["content-security-policy"].split(";")
        )
        inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
        assert len(inline) == 1
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert csp["script-src"] == f"https://cdn.jsdelivr.net 'sha256-{digest}'"
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["connect-src"] == "'self'"

    async def test_redoc_loads_scripts_only_from_the_cdn(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/redoc")
        assert response.status_code == 200
        csp = dict(
            part.strip().split(" ", 1)
            for part in response.headers["content-security-policy"].split(";")
        )
        assert csp["script-src"] == "https://cdn.jsdelivr.net"
        assert csp["default-src"] == "'none'"


DOCS = ["/docs", "/redoc", "/openapi.json"]


class TestDocsSwitch:
    async def test_on_by_default_and_public(self, client: httpx.AsyncClient) -> None:
        for path in DOCS:
            assert (await client.get(path)).status_code == 200, path
        document = json.loads((await client.get("/openapi.json")).text)
        assert "/v1/echo" in document["paths"]

    async def test_off_by_environment(
        self,
        library_db: MigratedDatabase,
        tokens: KeycloakTokens,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("PUEBLA_API_DOCS", "false")
        async with serving(build_app(library_db)) as client:
            for path in DOCS:
                assert_problem(await client.get(path), 401, "unauthorized")
                with_token = await client.get(path, headers=bearer(tokens))
                assert with_token.status_code == 404, path
            assert (await client.get("/v1/me", headers=bearer(tokens))).status_code == 200


class TestDocumented:
    async def test_each_route_with_a_body_documents_its_413_and_limit(
        self, client: httpx.AsyncClient
    ) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]
        echo_413 = paths["/v1/echo"]["post"]["responses"]["413"]
        assert echo_413["description"] == "The body is larger than this route takes (1048576 bytes)"
        assert "application/problem+json" in echo_413["content"]
        bulk_413 = paths["/v1/bulk"]["post"]["responses"]["413"]
        assert bulk_413["description"] == "The body is larger than this route takes (2097152 bytes)"
        assert "413" not in paths["/v1/me"]["get"]["responses"]


@asynccontextmanager
async def listening(app: FastAPI) -> AsyncIterator[int]:
    """The app behind a real uvicorn on a loopback port (bound and listening before the
    server starts, so a connection made at once waits in the backlog: nothing to poll)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


async def answer_to(port: int, head: str, chunks: list[bytes]) -> tuple[int, bytes]:
    """Sends `head` and `chunks` as they are, never ends the body, and reads the answer: a
    server that waited for the rest of the body would never answer (the timeout fails)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1"))
        for chunk in chunks:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=10)
        rest = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        return int(status_line.split()[1]), rest
    finally:
        writer.close()


class TestOverRealHttp:
    """The same rules through uvicorn's HTTP framing (review 5 measured the live servers)."""

    async def test_a_declared_20_mb_body_is_refused_before_it_is_sent(
        self, library_db: MigratedDatabase
    ) -> None:
        async with listening(build_app(library_db)) as port:
            head = (
                "POST /v1/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                f"Content-Length: {20 * 1000 * 1000}\r\n\r\n"
            )
            status, headers = await answer_to(port, head, [])
        assert status == 413
        assert b"application/problem+json" in headers

    async def test_a_chunked_body_is_answered_413_at_the_limit_without_its_end(
        self, library_db: MigratedDatabase, tokens: KeycloakTokens
    ) -> None:
        async with listening(build_app(library_db)) as port:
            head = (
                "POST /v1/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                f"Authorization: {bearer(tokens)['Authorization']}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            chunks = [b'{"text":"'] + [b"a" * CHUNK] * CHUNKS_TO_PASS_1_MIB
            status, _ = await answer_to(port, head, chunks)
        assert status == 413

    async def test_without_a_token_a_chunked_body_is_answered_401_before_any_of_it(
        self, library_db: MigratedDatabase
    ) -> None:
        async with listening(build_app(library_db)) as port:
            head = (
                "POST /v1/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            status, headers = await answer_to(port, head, [])
        assert status == 401
        assert b'www-authenticate: bearer realm="rcm"' in headers.lower()
