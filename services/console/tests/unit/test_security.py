"""The headers of every answer and the console's one origin."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from console.entrypoints.security import ConsoleHeadersMiddleware


def app() -> ConsoleHeadersMiddleware:
    async def ok(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(
        routes=[Route("/", ok), Route("/static/console.css", ok), Route("/readyz", ok)]
    )
    return ConsoleHeadersMiddleware(
        inner, public_url="http://localhost:8000", keycloak_url="http://127.0.0.1:8080/realms/rcm"
    )


def client(host: str = "localhost:8000") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url=f"http://{host}")


async def test_pages_carry_a_strict_policy_and_are_never_stored() -> None:
    async with client() as http:
        answer = await http.get("/")
    policy = answer.headers["content-security-policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self' http://127.0.0.1:8080",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"


async def test_static_files_are_kept_a_year() -> None:
    async with client() as http:
        answer = await http.get("/static/console.css")
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_another_host_is_sent_to_the_public_origin() -> None:
    async with client("127.0.0.1:8000") as http:
        answer = await http.get("/manifests?status=draft")
        probe = await http.get("/readyz")
    assert answer.status_code == 308
    assert answer.headers["location"] == "http://localhost:8000/manifests?status=draft"
    assert probe.status_code == 200  # probes answer on any host


def test_the_stated_purpose_never_reaches_the_access_log() -> None:
    import logging

    from console.entrypoints.app import _RedactPurpose

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:1",
            "GET",
            "/cases/c-1/sensitive?purpose=preparar+la+audiencia&x=1",
            "1.1",
            200,
        ),
        None,
    )
    assert _RedactPurpose().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:1 - "GET /cases/c-1/sensitive?purpose=[redacted]&x=1 HTTP/1.1" 200'
    )
