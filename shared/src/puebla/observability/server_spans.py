"""One SERVER span per HTTP request, and nothing else per request (issue 19).

OpenTelemetry's FastAPI instrumentation cost about a third of a small request's CPU: it
matches the route a second time, builds a dozen semantic-convention attributes from the URL
and the headers, and records duration and active-request metrics no one here reads (the
Prometheus middleware counts requests). This middleware keeps what an operator uses:

- the span is named `METHOD /route/{template}` (just `METHOD` when no route matched), is
  current for everything the request does (log lines carry its `trace_id`; the outbox stores
  its `traceparent`), and continues an incoming W3C `traceparent`;
- attributes: `http.request.method`, `url.path`, `http.route`, `http.response.status_code`;
  never the query string (a search can hold a name);
- a 5xx answer or an exception marks it an error, with the exception recorded;
- the probes (`/healthz`, `/readyz`) get no span.

The sampler is the tracer provider's (`OTEL_TRACES_SAMPLER`).
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from puebla.observability.propagation import TRACE_HEADERS, trace_context

PROBES = frozenset({"/healthz", "/readyz"})
_TRACE_HEADERS = frozenset(name.encode() for name in TRACE_HEADERS)  # ASGI names: lower-case


class ServerSpanMiddleware:
    def __init__(self, app: ASGIApp, *, excluded: frozenset[str] = PROBES) -> None:
        self.app = app
        self._excluded = excluded
        self._tracer = trace.get_tracer("puebla.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._excluded:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        parent = _incoming(scope["headers"])
        span = self._tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        answered: list[int] = []

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])
            await send(message)

        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            await self.app(scope, receive, noting_status)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(StatusCode.ERROR, type(exc).__name__)
            raise
        finally:
            otel_context.detach(token)
            # The router has put the matched route into the scope by now.
            template = getattr(scope.get("route"), "path", None)
            if template:
                span.update_name(f"{method} {template}")
                span.set_attribute("http.route", template)
            if answered:
                span.set_attribute("http.response.status_code", answered[0])
                if answered[0] >= 500:
                    span.set_status(StatusCode.ERROR)
            span.end()


def _incoming(headers: list[tuple[bytes, bytes]]) -> otel_context.Context | None:
    """The caller's trace context, if it sent one (most requests do not: no work then)."""
    carrier = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if name in _TRACE_HEADERS
    }
    return trace_context(carrier) if carrier else None
