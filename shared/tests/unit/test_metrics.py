"""The request metrics and the scrape-time state collector (puebla.observability.metrics).

Each test names its own `service` label, so the process-wide counters of other tests do not
change what it reads."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Sequence

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from puebla.observability.metrics import (
    HTTP_DURATION,
    HTTP_REQUESTS,
    HttpMetricsMiddleware,
    Reading,
    StateCollector,
    listen,
)


def _service() -> str:
    return f"svc-{uuid.uuid4().hex[:8]}"


class RefuseWithoutToken:
    """Stands for the authentication middleware: answers 401 before any routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if scope["type"] == "http" and b"authorization" not in headers:
            await JSONResponse({"title": "no token"}, status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _app(service: str) -> FastAPI:
    app = FastAPI()
    router = APIRouter(prefix="/v1")

    @router.get("/manifests/{manifest_id}")
    async def read(manifest_id: str) -> dict[str, str]:
        return {"id": manifest_id}

    @router.post("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(router)
    app.add_middleware(RefuseWithoutToken)
    app.add_middleware(HttpMetricsMiddleware, service=service)
    return app


def _count(service: str, method: str, route: str, status: str) -> float:
    return float(HTTP_REQUESTS.labels(service, method, route, status)._value.get())


def _observations(service: str, method: str, route: str) -> float:
    sample = [
        s
        for m in HTTP_DURATION.collect()
        for s in m.samples
        if s.name.endswith("_count")
        and s.labels == {"service": service, "method": method, "route": route}
    ]
    return sample[0].value if sample else 0.0


async def _requests(app: FastAPI, *calls: tuple[str, str, bool]) -> list[int]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    statuses = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for method, path, token in calls:
            headers = {"Authorization": "Bearer x"} if token else {}
            statuses.append((await client.request(method, path, headers=headers)).status_code)
    return statuses


def test_requests_are_counted_by_route_template_and_status() -> None:
    service = _service()
    app = _app(service)
    statuses = asyncio.run(
        _requests(
            app,
            ("GET", "/v1/manifests/a1", True),
            ("GET", "/v1/manifests/b2", True),
            ("GET", "/v1/manifests/c3", False),
            ("GET", "/nowhere/7", True),
            ("POST", "/v1/boom", True),
        )
    )
    assert statuses == [200, 200, 401, 404, 500]
    route = "/v1/manifests/{manifest_id}"
    assert _count(service, "GET", route, "200") == 2  # two ids, one series
    # Refused before routing, still named after the route it was aimed at.
    assert _count(service, "GET", route, "401") == 1
    assert _count(service, "GET", "unmatched", "404") == 1
    assert _count(service, "POST", "/v1/boom", "500") == 1
    assert _observations(service, "GET", route) == 3


def test_an_unknown_method_is_one_label() -> None:
    service = _service()
    asyncio.run(_requests(_app(service), ("BREW", "/v1/manifests/a1", True)))
    assert _count(service, "OTHER", "/v1/manifests/{manifest_id}", "405") == 1
    assert _count(service, "BREW", "/v1/manifests/{manifest_id}", "405") == 0


class _Loop:
    """An event loop on a thread of its own, as the worker's is while the listener's thread
    asks it for a read."""

    def __enter__(self) -> asyncio.AbstractEventLoop:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self.loop

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _scrape(collector: StateCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_state_is_read_on_the_loop_at_scrape_time() -> None:
    reads: list[int] = []

    async def read() -> Sequence[Reading]:
        reads.append(1)
        return [
            Reading("puebla_things_open", "Things.", 3, {"country": "GT"}),
            Reading("puebla_things_open", "Things.", 0, {"country": "HN"}),
        ]

    with _Loop() as loop:
        collector = StateCollector(loop, read)
        registry = CollectorRegistry()
        registry.register(collector)  # describe(): no read on registering
        assert reads == []
        text = generate_latest(registry).decode()
    assert reads == [1]
    assert 'puebla_things_open{country="GT"} 3.0' in text
    assert 'puebla_things_open{country="HN"} 0.0' in text
    assert "puebla_state_read_ok 1.0" in text


def test_a_failed_read_says_so_and_shows_no_stale_figures() -> None:
    async def read() -> Sequence[Reading]:
        raise ConnectionRefusedError("database away")

    with _Loop() as loop:
        text = _scrape(StateCollector(loop, read, labels={"service": "consular"}))
    # Which service could not read: the alert names it.
    assert 'puebla_state_read_ok{service="consular"} 0.0' in text
    assert "puebla_things" not in text


def test_a_slow_read_is_given_up() -> None:
    async def read() -> Sequence[Reading]:
        await asyncio.sleep(30)
        return [Reading("puebla_things_open", "Things.", 1)]

    with _Loop() as loop:
        text = _scrape(StateCollector(loop, read, timeout=0.2))
    assert "puebla_state_read_ok 0.0" in text
    assert "puebla_things_open" not in text


def test_the_listener_serves_the_exposition_and_stops() -> None:
    service = _service()
    HTTP_REQUESTS.labels(service, "GET", "/x", "200").inc()
    listener = listen("127.0.0.1", 0)
    assert listener is not None
    port = listener._server.server_port
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        listener.stop()
    labels = f'method="GET",route="/x",service="{service}",status="200"'
    assert f"puebla_http_requests_total{{{labels}}} 1.0" in body
    assert "_created" not in body  # no second series per counter
    assert listen("127.0.0.1", None) is None
