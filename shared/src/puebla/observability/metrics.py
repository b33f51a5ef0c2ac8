"""Prometheus metrics: what a process counts, and the listener Prometheus scrapes.

Every API process (each service's and the console's) counts its requests by route template
(`HttpMetricsMiddleware`); every worker counts what its relay and consumers did, and at each
scrape reads what the system holds (`StateCollector` over `puebla.monitoring`: outbox,
consumers, dead letters, audit, and the service's own figures).

The listener is a port of its own (`PUEBLA_METRICS_PORT` on `PUEBLA_METRICS_HOST`, loopback by
default), never the API's: the figures are for operators. In Kubernetes only Prometheus may
reach that port (network policy) and the Ingress routes only the API's. Labels carry route
templates, durables, countries, statuses and years, never a person's data nor an id.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from puebla.observability.logs import get_logger

log = get_logger(__name__)

# A `_created` series beside every counter doubles what is scraped and says nothing a rate
# does not (Prometheus reads resets from the counter itself).
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "puebla_http_requests",
    "HTTP requests answered, by route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "puebla_http_request_duration_seconds",
    "Time from a request's first byte in to its answer's last byte out, by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONSUMED = Counter(
    "puebla_consumer_messages",
    "Messages a durable consumer handled, by outcome "
    "(applied, duplicate, rejected, retry, parked).",
    ["service", "durable", "outcome"],
)
PUBLISHED = Counter(
    "puebla_outbox_published_events",
    "Outbox rows the relay published to JetStream (and the broker acknowledged).",
    ["service"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a path no route takes: one label, whatever was asked


class HttpMetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no per-request task or copy). Outermost,
    so refusals before routing (401, 413) are counted under the route they were aimed at."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before starting a response

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope)
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """`/v1/manifests/{manifest_id}`: the route the router chose, or, for a request refused
    before routing (no token, body too large), the route that would have taken it."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", UNMATCHED))
    router = getattr(scope.get("app"), "router", None)
    path = str(scope.get("path", ""))
    for prefix, candidate in _routes(getattr(router, "routes", ())):
        if not path.startswith(prefix):
            continue
        match, _ = candidate.matches({**scope, "path": path[len(prefix) :]})
        if match is not Match.NONE:
            return prefix + str(getattr(candidate, "path", UNMATCHED))
    return UNMATCHED


def _routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every route with the prefix it is included under: FastAPI keeps an included router's
    routes inside it (`original_router`), the include's own prefix beside them."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            yield prefix, route
        else:
            included = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from _routes(inner.routes, prefix + included)


@dataclass(frozen=True)
class Reading:
    """One gauge sample read from the system's state: `name` (the full metric name), its help,
    its value and labels. Readings of one name are one metric family (same label names)."""

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


StateReader = Callable[[], Coroutine[Any, Any, Sequence[Reading]]]


class StateCollector(Collector):
    """At each scrape, runs `read` on the process's event loop (the scrape comes on the
    listener's thread) and turns its readings into gauges. A read that fails or takes longer
    than `timeout` gives `puebla_state_read_ok 0` and no gauges: Prometheus then shows the gap
    rather than stale figures."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        read: StateReader,
        *,
        timeout: float = 5.0,
        labels: dict[str, str] | None = None,
    ) -> None:
        self.loop = loop
        self.read = read
        self.timeout = timeout
        # On its own gauges (which service could not read): the readings carry theirs.
        self.labels = labels or {}

    def describe(self) -> Iterable[Metric]:
        # Without it the registry would collect once on registering, on the loop's own thread,
        # where waiting for the loop never ends.
        return []

    def collect(self) -> Iterable[Metric]:
        ok = 1.0
        readings: Sequence[Reading] = ()
        started = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(self.read(), self.loop)
        try:
            readings = future.result(self.timeout)
        except Exception as exc:  # the database away, NATS away, a slow read
            future.cancel()
            ok = 0.0
            log.warning("metrics.state_read_failed", error=f"{type(exc).__name__}: {exc}")
        yield from families(readings)
        yield from families(
            [
                Reading(
                    "puebla_state_read_ok",
                    "1 when this scrape read the system's state, else 0.",
                    ok,
                    self.labels,
                ),
                Reading(
                    "puebla_state_read_seconds",
                    "How long this scrape's read of the system's state took.",
                    time.perf_counter() - started,
                    self.labels,
                ),
            ]
        )


def families(readings: Iterable[Reading]) -> list[Metric]:
    by_name: dict[str, GaugeMetricFamily] = {}
    for r in readings:
        family = by_name.get(r.name)
        if family is None:
            family = by_name[r.name] = GaugeMetricFamily(r.name, r.help, labels=list(r.labels))
        family.add_metric(list(r.labels.values()), r.value)
    return list(by_name.values())


class MetricsListener:
    """The process's `/metrics` on `host:port` (prometheus_client's server, on a thread)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsListener:
        self._server, self._thread = start_http_server(self.port, addr=self.host)
        log.info("metrics.listening", url=f"http://{self.host}:{self.port}/metrics")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def listen(host: str, port: int | None) -> MetricsListener | None:
    """Starts the listener when a port is configured (None: no metrics listener)."""
    return None if port is None else MetricsListener(host, port).start()


def watch_state(
    loop: asyncio.AbstractEventLoop, read: StateReader, *, service: str
) -> Callable[[], None]:
    """Registers a `StateCollector`; returns what unregisters it (a worker stopping)."""
    collector = StateCollector(loop, read, labels={"service": service})
    REGISTRY.register(collector)
    return lambda: REGISTRY.unregister(collector)
