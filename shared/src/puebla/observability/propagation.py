"""The W3C trace context through the outbox and NATS (no official nats-py instrumentation).

The chain, one trace id from end to end:

1. the use case writes its events inside the request: `inject_traceparent()` captures the
   request's `traceparent` (+ `tracestate`), stored with the outbox row;
2. the relay publishes later, from its own task: `publish_span(subject, headers)` starts a
   PRODUCER span whose parent is the *stored* context (not the relay's poll loop) and
   rewrites the headers to carry the producer span;
3. the consumer: `consume_span(subject, msg.headers)` starts a CONSUMER span under it.

Only the trace context travels (TraceContextTextMapPropagator, not the global propagator):
baggage could carry anything, and outbox rows and NATS headers are kept for days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

_PROPAGATOR = TraceContextTextMapPropagator()
TRACE_HEADERS = frozenset(_PROPAGATOR.fields)  # {"traceparent", "tracestate"}
_MESSAGE_ID_HEADER = "Nats-Msg-Id"
_TRACER_NAME = "puebla.messaging"


class _HeaderGetter(Getter[Mapping[str, str]]):
    """Reads header values whatever their case (NATS headers are case-sensitive in nats-py's
    plain dict, but other clients and proxies may capitalise them)."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = _lookup(carrier, key)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier.keys())


_GETTER = _HeaderGetter()


def _lookup(carrier: Mapping[str, str], key: str) -> str | None:
    value = carrier.get(key)
    if value is not None:
        return value
    lowered = key.lower()
    for name, candidate in carrier.items():
        if name.lower() == lowered:
            return candidate
    return None


def trace_context(carrier: Mapping[str, str]) -> Context:
    """The W3C trace context `carrier` holds (header names in any case); an empty context
    when it holds none. Requests (`server_spans`) and messages alike."""
    return _PROPAGATOR.extract(carrier, getter=_GETTER)


def inject_traceparent(carrier: dict[str, str] | None = None) -> dict[str, str]:
    """The current trace context as headers (`traceparent`, `tracestate` when there is one).

    Call it where the outbox row is written, inside the request: the relay runs later and
    elsewhere. Returns `carrier` (a new dict if None); nothing is added outside a span.
    """
    headers: dict[str, str] = {} if carrier is None else carrier
    _PROPAGATOR.inject(headers)
    return headers


def _attributes(
    subject: str, operation: str, message_id: str | None, consumer: str | None = None
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
    }
    if message_id:
        attributes["messaging.message.id"] = message_id
    if consumer:
        attributes["messaging.consumer.group.name"] = consumer
    return attributes


@contextmanager
def publish_span(
    subject: str, headers: MutableMapping[str, str], *, message_id: str | None = None
) -> Iterator[Span]:
    """A PRODUCER span for publishing one stored message.

    Its parent is the context found in `headers` (as stored by `inject_traceparent`); with
    none there, it starts a new trace, never the caller's. Inside the block, `headers`
    carries the producer span's own `traceparent`: send exactly those headers.
    """
    parent = trace_context(headers)
    for name in [name for name in headers if name.lower() in TRACE_HEADERS]:
        del headers[name]
    message_id = message_id or _lookup(headers, _MESSAGE_ID_HEADER)
    tracer = trace.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"send {subject}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes=_attributes(subject, "send", message_id),
    ) as span:
        _PROPAGATOR.inject(headers)
        yield span


@contextmanager
def consume_span(
    subject: str,
    headers: Mapping[str, str] | None,
    *,
    consumer: str | None = None,
) -> Iterator[Span]:
    """A CONSUMER span for processing one received message, child of the producer span.

    `headers` may be nats-py's `msg.headers` (a dict, or None) or any mapping; names are
    matched without regard to case. Logs inside the block carry the span's trace id.
    """
    carrier: Mapping[str, str] = headers or {}
    parent = trace_context(carrier)
    tracer = trace.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(
        f"process {subject}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes=_attributes(subject, "process", _lookup(carrier, _MESSAGE_ID_HEADER), consumer),
    ) as span:
        yield span
