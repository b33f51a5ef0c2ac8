"""Logs, traces and correlation ids: the one place a service sets them up.

- `configure_logging` / `get_logger`: structlog JSON lines on stdout carrying `service`,
  `trace_id`/`span_id` of the current span and whatever is bound in contextvars; stdlib
  loggers (uvicorn, alembic, ...) are rendered the same way.
- `configure_tracing`, `instrument_app`, `instrument_engine`: OpenTelemetry.
- `inject_traceparent`, `publish_span`, `consume_span`: the W3C trace context through the
  outbox and NATS headers (there is no official nats-py instrumentation).
- `CorrelationIdMiddleware`, `bind_request_context`, `bound_context`, `clear_context`.
- `metrics` (imported as a module): Prometheus counters, the request middleware, the
  scrape-time state collector and the listener.
"""

from puebla.observability.correlation import (
    CORRELATION_HEADER,
    CorrelationIdMiddleware,
    bind_request_context,
    bound_context,
    clear_context,
    reset_request_context,
)
from puebla.observability.logs import add_trace_context, configure_logging, get_logger
from puebla.observability.propagation import consume_span, inject_traceparent, publish_span
from puebla.observability.tracing import (
    NO_FRAMEWORK_TELEMETRY,
    configure_tracing,
    get_tracer,
    instrument_app,
    instrument_engine,
)

__all__ = [
    "CORRELATION_HEADER",
    "NO_FRAMEWORK_TELEMETRY",
    "CorrelationIdMiddleware",
    "add_trace_context",
    "bind_request_context",
    "bound_context",
    "clear_context",
    "configure_logging",
    "configure_tracing",
    "consume_span",
    "get_logger",
    "get_tracer",
    "inject_traceparent",
    "instrument_app",
    "instrument_engine",
    "publish_span",
    "reset_request_context",
]
