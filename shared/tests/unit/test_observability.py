"""puebla.observability: JSON logs with trace ids, one trace from HTTP through NATS, and the
correlation id. No network and no database: spans go to an in-memory exporter through a
SimpleSpanProcessor (synchronous, so a span is visible the moment it ends).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI, Request
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from puebla.observability import (
    NO_FRAMEWORK_TELEMETRY,
    CorrelationIdMiddleware,
    bound_context,
    configure_logging,
    configure_tracing,
    consume_span,
    get_logger,
    get_tracer,
    inject_traceparent,
    instrument_app,
    instrument_engine,
    publish_span,
)

SERVICE = "observability-test"
SUBJECT = "repatriation.manifest.submitted"
tracer = get_tracer(__name__)


@pytest.fixture(scope="module")
def _exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    configure_tracing(SERVICE, exporter=exporter)
    return exporter


@pytest.fixture
def spans(_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    _exporter.clear()
    yield _exporter
    _exporter.clear()


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Configures JSON logging; the fixture value returns the log lines written so far."""
    configure_logging(SERVICE, level="INFO", json=True)
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        out = capsys.readouterr().out
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    yield read
    structlog.contextvars.clear_contextvars()


def _hex(span: ReadableSpan | trace.Span) -> tuple[str, str]:
    ctx = span.get_span_context()
    assert ctx is not None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


def _one(spans: InMemorySpanExporter, kind: SpanKind) -> ReadableSpan:
    found = [s for s in spans.get_finished_spans() if s.kind == kind]
    assert len(found) == 1, [s.name for s in spans.get_finished_spans()]
    return found[0]


# --- logs -------------------------------------------------------------------------------


def test_log_line_is_json_with_the_active_spans_trace_id(spans: Any, json_logs: Any) -> None:
    log = get_logger("puebla.test")
    with tracer.start_as_current_span("work") as span:
        log.info("case.opened", case_id="c-1")
    trace_id, span_id = _hex(span)

    (line,) = json_logs()
    assert line["event"] == "case.opened"
    assert line["case_id"] == "c-1"
    assert line["level"] == "info"
    assert line["logger"] == "puebla.test"
    assert line["service"] == SERVICE
    assert line["timestamp"].endswith("Z")
    assert line["trace_id"] == trace_id
    assert line["span_id"] == span_id


def test_log_line_outside_a_span_has_no_trace_id(json_logs: Any) -> None:
    get_logger("puebla.test").warning("idle")

    (line,) = json_logs()
    assert line["level"] == "warning"
    assert "trace_id" not in line
    assert "span_id" not in line


def test_bound_context_appears_in_log_lines_and_goes_away(json_logs: Any) -> None:
    log = get_logger("puebla.test")
    with bound_context(event_id="e-1"):
        log.info("inside")
    log.info("outside")

    inside, outside = json_logs()
    assert inside["event_id"] == "e-1"
    assert "event_id" not in outside


def test_stdlib_records_come_out_as_json_with_the_trace(spans: Any, json_logs: Any) -> None:
    stdlib = logging.getLogger("alembic.runtime.migration")
    with tracer.start_as_current_span("migrate") as span:
        stdlib.info("Running upgrade %s -> %s", "base", "0001")
    trace_id, _ = _hex(span)

    (line,) = json_logs()
    assert line["event"] == "Running upgrade base -> 0001"
    assert line["logger"] == "alembic.runtime.migration"
    assert line["service"] == SERVICE
    assert line["trace_id"] == trace_id


def test_uvicorn_loggers_are_adopted(json_logs: Any) -> None:
    access = logging.getLogger("uvicorn.access")
    access.addHandler(logging.StreamHandler())  # what uvicorn's own config installs
    access.propagate = False
    configure_logging(SERVICE, level="INFO", json=False)  # a change of settings reconfigures
    configure_logging(SERVICE, level="INFO", json=True)

    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/v1/me", "1.1", 200)

    (line,) = json_logs()
    assert access.handlers == []
    assert line["method"] == "GET"
    assert line["path"] == "/v1/me"
    assert line["status"] == 200


def test_an_access_log_uvicorn_was_told_not_to_keep_stays_off(json_logs: Any) -> None:
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()  # what `uvicorn --no-access-log` leaves
    access.propagate = False
    try:
        configure_logging(SERVICE, level="INFO", json=False)  # a change of settings reconfigures
        configure_logging(SERVICE, level="INFO", json=True)

        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/v1/me", "1.1", 200)

        assert not access.hasHandlers()  # uvicorn logs access only when this is true
        assert json_logs() == []
    finally:
        access.propagate = True


def test_configuring_logging_twice_writes_each_line_once(json_logs: Any) -> None:
    configure_logging(SERVICE, level="INFO", json=True)
    configure_logging(SERVICE, level="INFO", json=True)
    get_logger("puebla.test").info("once")

    assert [line["event"] for line in json_logs()] == ["once"]


def test_level_filters_debug(json_logs: Any) -> None:
    log = get_logger("puebla.test")
    log.debug("hidden")
    log.info("shown")

    assert [line["event"] for line in json_logs()] == ["shown"]


# --- tracing set-up -----------------------------------------------------------------------


def test_configure_tracing_is_safe_to_repeat(spans: InMemorySpanExporter) -> None:
    first = configure_tracing(SERVICE)
    again = configure_tracing("another-name", exporter=spans)  # same exporter: not re-added

    with tracer.start_as_current_span("one"):
        pass

    assert again is first
    assert trace.get_tracer_provider() is first
    assert isinstance(first, TracerProvider)
    assert [s.name for s in spans.get_finished_spans()] == ["one"]


def test_instrument_engine_traces_each_statement_once(spans: InMemorySpanExporter) -> None:
    engine = create_engine("sqlite://")
    instrument_engine(engine)
    instrument_engine(engine)  # a second call must not double the spans

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

    statements = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert len(statements) == 1
    assert statements[0].attributes is not None
    assert "SELECT 1" in str(statements[0].attributes.get("db.statement"))


def test_instrument_engine_covers_every_engine(spans: InMemorySpanExporter) -> None:
    first, second = create_engine("sqlite://"), create_engine("sqlite://")
    instrument_engine(first)
    instrument_engine(second)  # SQLAlchemyInstrumentor would ignore this one (contrib#3977)

    for engine in (first, second):
        with engine.connect() as conn:
            conn.execute(text("SELECT 2"))

    assert len([s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]) == 2


def test_instrument_engine_accepts_an_async_engine() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")  # no connect
    instrument_engine(engine)
    instrument_engine(engine)

    assert len(engine.sync_engine.dispatch.before_cursor_execute) == 1


# --- one trace from HTTP through the outbox and NATS to the consumer ----------------------


def _outbox_app(stored: list[dict[str, str]]) -> FastAPI:
    app = FastAPI(telemetry=NO_FRAMEWORK_TELEMETRY)

    @app.post("/v1/manifests")
    async def submit() -> dict[str, str]:
        stored.append(inject_traceparent())  # what the unit of work stores with the row
        return {"status": "accepted"}

    instrument_app(app)
    return app


async def test_one_trace_from_http_through_producer_to_consumer(
    spans: InMemorySpanExporter,
) -> None:
    stored: list[dict[str, str]] = []
    transport = httpx.ASGITransport(app=_outbox_app(stored))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/v1/manifests")
    assert response.status_code == 200

    # The relay publishes later, under its own unrelated span (its poll loop).
    headers = dict(stored[0])
    headers["Nats-Msg-Id"] = "0193-event"
    with tracer.start_as_current_span("relay.poll") as poll, publish_span(SUBJECT, headers):
        sent = dict(headers)  # what goes to js.publish

    # nats-py may hand the headers back with other capitalisation.
    received = {k.title(): v for k, v in sent.items()}
    with consume_span(SUBJECT, received, consumer="consular-manifests"):
        pass

    server = _one(spans, SpanKind.SERVER)
    producer = _one(spans, SpanKind.PRODUCER)
    consumer = _one(spans, SpanKind.CONSUMER)
    trace_id = server.context.trace_id
    assert producer.context.trace_id == trace_id
    assert consumer.context.trace_id == trace_id
    assert poll.get_span_context().trace_id != trace_id
    assert producer.parent is not None
    assert producer.parent.span_id == server.context.span_id
    assert consumer.parent is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert producer.name == f"send {SUBJECT}"
    assert consumer.name == f"process {SUBJECT}"
    assert producer.attributes is not None
    assert consumer.attributes is not None
    assert producer.attributes["messaging.message.id"] == "0193-event"
    assert consumer.attributes["messaging.consumer.group.name"] == "consular-manifests"
    # The published headers carry the producer span, not the stored request span.
    assert sent["traceparent"].split("-")[2] == format(producer.context.span_id, "016x")


def test_inject_outside_a_span_adds_nothing() -> None:
    carrier = {"Nats-Msg-Id": "x"}

    assert inject_traceparent(carrier) == {"Nats-Msg-Id": "x"}
    assert inject_traceparent() == {}


def test_inject_uses_the_current_span(spans: Any) -> None:
    with tracer.start_as_current_span("use-case") as span:
        headers = inject_traceparent()
    trace_id, span_id = _hex(span)

    version, traced, parent, _flags = headers["traceparent"].split("-")
    assert (version, traced, parent) == ("00", trace_id, span_id)


def test_publish_without_stored_context_starts_a_new_trace(spans: InMemorySpanExporter) -> None:
    headers: dict[str, str] = {}
    with tracer.start_as_current_span("relay.poll") as poll, publish_span(SUBJECT, headers):
        pass

    producer = _one(spans, SpanKind.PRODUCER)
    assert producer.parent is None
    assert producer.context.trace_id != poll.get_span_context().trace_id
    assert headers["traceparent"].split("-")[1] == format(producer.context.trace_id, "032x")


def test_consume_without_headers_is_a_root_span_and_logs_carry_it(
    spans: InMemorySpanExporter, json_logs: Any
) -> None:
    with consume_span(SUBJECT, None):
        get_logger("puebla.test").info("consumer.done")

    consumer = _one(spans, SpanKind.CONSUMER)
    (line,) = json_logs()
    assert consumer.parent is None
    assert line["trace_id"] == format(consumer.context.trace_id, "032x")


def test_consume_span_records_a_failure(spans: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError), consume_span(SUBJECT, {}):
        raise RuntimeError("handler failed")

    consumer = _one(spans, SpanKind.CONSUMER)
    assert consumer.status.status_code == trace.StatusCode.ERROR


# --- FastAPI instrumentation and the correlation id ---------------------------------------


def _app() -> FastAPI:
    app = FastAPI(telemetry=NO_FRAMEWORK_TELEMETRY)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str, broken: bool = False) -> dict[str, str]:
        if broken:
            raise RuntimeError("the handler failed")
        return {"id": thing_id}

    @app.get("/v1/context")
    async def context(request: Request) -> dict[str, Any]:
        return {
            "bound": structlog.contextvars.get_contextvars(),
            "state": request.state.correlation_id,
        }

    app.add_middleware(CorrelationIdMiddleware)
    instrument_app(app)
    instrument_app(app)  # harmless twice
    return app


@pytest.fixture
async def client() -> Any:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_fastapi_traces_requests_but_not_probes(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    assert spans.get_finished_spans() == ()

    response = await client.get("/v1/context")

    server = _one(spans, SpanKind.SERVER)
    assert server.name == "GET /v1/context"
    assert server.attributes is not None
    assert server.attributes["puebla.correlation_id"] == response.headers["X-Correlation-Id"]


async def test_the_span_names_the_route_and_keeps_the_query_out(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    response = await client.get("/v1/things/0193?surname=Lopez")

    assert response.status_code == 200
    server = _one(spans, SpanKind.SERVER)
    assert server.name == "GET /v1/things/{thing_id}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/things/{thing_id}"
    assert server.attributes["url.path"] == "/v1/things/0193"
    assert server.attributes["http.response.status_code"] == 200
    assert "Lopez" not in json.dumps(dict(server.attributes))
    assert server.status.status_code == trace.StatusCode.UNSET


async def test_the_span_continues_the_callers_trace(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    await client.get("/v1/things/1", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})

    server = _one(spans, SpanKind.SERVER)
    assert format(server.context.trace_id, "032x") == trace_id
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == parent_id


async def test_an_unmatched_path_is_named_by_its_method_alone(
    spans: InMemorySpanExporter, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/v1/nowhere/0193")).status_code == 404

    server = _one(spans, SpanKind.SERVER)
    assert server.name == "GET"
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 404


async def test_a_failed_request_is_an_error_span_with_the_exception(
    spans: InMemorySpanExporter,
) -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/things/1", params={"broken": "true"})

    assert response.status_code == 500
    server = _one(spans, SpanKind.SERVER)
    assert server.status.status_code == trace.StatusCode.ERROR
    assert [e.name for e in server.events] == ["exception"]


async def test_correlation_id_is_echoed_and_bound(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/context", headers={"X-Correlation-Id": "req-42.a:b"})

    assert response.headers["X-Correlation-Id"] == "req-42.a:b"
    assert response.json()["bound"]["correlation_id"] == "req-42.a:b"
    assert response.json()["state"] == "req-42.a:b"
    assert "correlation_id" not in structlog.contextvars.get_contextvars()


async def test_correlation_id_is_generated_when_missing(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/context")
    second = await client.get("/v1/context")

    generated = first.headers["X-Correlation-Id"]
    assert uuid.UUID(generated).version == 4
    assert first.json()["bound"]["correlation_id"] == generated
    assert second.headers["X-Correlation-Id"] != generated


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, "-leading-dash", "a\tb"])
async def test_unacceptable_correlation_id_is_replaced(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.get("/v1/context", headers={"X-Correlation-Id": bad})

    assert uuid.UUID(response.headers["X-Correlation-Id"]).version == 4


async def test_correlation_middleware_restores_outer_context(client: httpx.AsyncClient) -> None:
    structlog.contextvars.bind_contextvars(correlation_id="outer", worker="w1")
    try:
        await client.get("/v1/context", headers={"X-Correlation-Id": "inner"})
        assert structlog.contextvars.get_contextvars() == {
            "correlation_id": "outer",
            "worker": "w1",
        }
    finally:
        structlog.contextvars.clear_contextvars()
