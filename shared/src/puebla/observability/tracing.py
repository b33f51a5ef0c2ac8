"""OpenTelemetry set-up: the process's tracer provider and the FastAPI/SQLAlchemy hooks.

Environment (the standard OTel names):
- `OTEL_TRACES_EXPORTER`: comma-separated; `none` (default), `console` (compact JSON lines
  on stderr, so stdout stays pure log lines), `otlp` (OTLP/HTTP with protobuf, to
  `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. Jaeger's or a collector's `http://host:4318`; the
  exporter is a dependency; e2e/tests/test_traces.py receives one whole trace this way).
- `OTEL_SERVICE_NAME`: overrides the service name given in code.
- `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_*`, `OTEL_SDK_DISABLED`: read by the SDK itself.
- `PUEBLA_TRACE_STATEMENTS=true`: a span per SQL statement too (`instrument_engine`; off by
  default, for its cost on every request).

Requests get one lean server span each (`puebla.observability.server_spans`), not
OpenTelemetry's FastAPI instrumentation (a third of a small request's CPU), and FastAPI's own
telemetry stays off (`NO_FRAMEWORK_TELEMETRY`), so there is one span per request, not two.

Spans are created even with `none`: log lines then still carry `trace_id`, and the
`traceparent` headers written to the outbox and NATS still join the services' logs.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import (
    __version__ as _sqlalchemy_instrumentation_version,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from puebla.observability.logs import get_logger
from puebla.observability.server_spans import ServerSpanMiddleware

if TYPE_CHECKING:
    from fastapi import FastAPI

log = get_logger(__name__)

# `FastAPI(telemetry=...)`: the framework's own request spans and metrics, off (ours are
# `ServerSpanMiddleware` and `puebla.observability.metrics`).
NO_FRAMEWORK_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,
}

_OTLP_EXPORTERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
)

_lock = threading.Lock()
_provider: TracerProvider | None = None
_attached: list[SpanExporter] = []
_instrumented_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure_tracing(service: str, *, exporter: SpanExporter | None = None) -> TracerProvider:
    """Returns the process's SDK tracer provider, creating and installing it on first call.

    OpenTelemetry allows the global provider to be set only once, so later calls return
    the same provider (the first service name wins). `exporter`, if given, is attached to
    that provider with a SimpleSpanProcessor (synchronous: for tests and debugging), once
    per exporter object, on any call.
    """
    global _provider
    with _lock:
        if _provider is None:
            current = trace.get_tracer_provider()
            if isinstance(current, TracerProvider):
                _provider = current  # installed by someone else (e.g. opentelemetry-instrument)
            else:
                name = os.environ.get("OTEL_SERVICE_NAME") or service
                provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
                for configured in _exporters_from_env():
                    provider.add_span_processor(BatchSpanProcessor(configured))
                trace.set_tracer_provider(provider)
                installed = trace.get_tracer_provider()
                _provider = installed if isinstance(installed, TracerProvider) else provider
        if exporter is not None and not any(e is exporter for e in _attached):
            _provider.add_span_processor(SimpleSpanProcessor(exporter))
            _attached.append(exporter)
        return _provider


def _exporters_from_env() -> list[SpanExporter]:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none")
    exporters: list[SpanExporter] = []
    for raw in names.split(","):
        name = raw.strip().lower()
        if name in ("", "none"):
            continue
        if name == "console":
            exporters.append(ConsoleSpanExporter(out=sys.stderr, formatter=_one_line))
        elif name == "otlp":
            otlp = _otlp_exporter()
            if otlp is not None:
                exporters.append(otlp)
            else:
                log.warning(
                    "tracing.otlp_unavailable",
                    hint="install opentelemetry-exporter-otlp-proto-http to export over OTLP",
                )
        else:
            log.warning("tracing.unknown_exporter", exporter=name)
    return exporters


def _one_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + "\n"


def _otlp_exporter() -> SpanExporter | None:
    for module_name in _OTLP_EXPORTERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        exporter: SpanExporter = module.OTLPSpanExporter()
        return exporter
    return None


def get_tracer(name: str) -> trace.Tracer:
    """A tracer for hand-made spans (`with get_tracer(__name__).start_as_current_span(...)`)."""
    return trace.get_tracer(name)


def instrument_app(app: FastAPI) -> None:
    """Server spans for every request except the probes, outside the middlewares added
    before (their log lines carry the trace). Safe to call twice on one app."""
    if getattr(app.state, "server_spans", False):
        return
    app.add_middleware(ServerSpanMiddleware)
    app.state.server_spans = True


def instrument_engine(engine: AsyncEngine | Engine) -> None:
    """Client spans for every statement on this engine; once per engine, any number of engines.

    `SQLAlchemyInstrumentor().instrument(engine=...)` is a process-wide singleton: a second
    call for a second engine is silently ignored (opentelemetry-python-contrib#3977), and it
    also monkeypatches `create_engine`/`Engine.connect` for the whole process. The engine's
    event listeners (`EngineTracer`) are what produce the statement spans, so they are
    attached here directly, per engine.
    """
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    with _lock:
        if sync_engine in _instrumented_engines:
            return
        scope = "opentelemetry.instrumentation.sqlalchemy"
        tracer = trace.get_tracer(scope, _sqlalchemy_instrumentation_version)
        meter = metrics.get_meter(scope, _sqlalchemy_instrumentation_version)
        connections_usage = meter.create_up_down_counter(
            name="db.client.connections.usage",
            unit="connections",
            description="The number of connections that are currently in state described by "
            "the state attribute.",
        )
        EngineTracer(tracer, sync_engine, connections_usage)  # type: ignore[no-untyped-call]
        _instrumented_engines.add(sync_engine)
