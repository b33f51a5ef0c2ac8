"""Traces leave the processes over OTLP (issue 20): with `OTEL_TRACES_EXPORTER=otlp` and an
endpoint, the repatriation API, its worker's relay and the consular worker's consumer each
export their spans, and the consul's notice is one trace from the officer's request through
the outbox and NATS into the consumer that applied it.

The collector here is a plain HTTP server decoding what the exporters send (OTLP/HTTP,
protobuf): the same bytes Jaeger's or the OpenTelemetry Collector's OTLP port receives. The
three processes on the path are restarted with the exporter for this test, and again
without it after."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from e2e.bodies import manifest, returnee
from puebla_dev.devstack import stack
from puebla_dev.devstack.processes import stop_pids
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

# The processes on the trace's path (the consular API is not: it keeps running as it is).
TRACED = ("repatriation-api", "repatriation-worker", "consular-worker")
SUBJECT = "repatriation.manifest.submitted.v1"


@dataclass(frozen=True)
class Span:
    service: str  # the exporting process's `service.name`
    name: str
    trace_id: str
    kind: int


class Collector:
    """What the exporters sent, span by span."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = ExportTraceServiceRequest.FromString(body)
                collector.add(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def add(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        Span(attributes["service.name"], span.name, span.trace_id.hex(), span.kind)
                    )
        with self.lock:
            self.spans += found

    def named(self, name: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.name == name]


def restart(env: dict[str, str] | None) -> None:
    stop_pids(list(TRACED))
    services = {name.rsplit("-", 1)[0] for name in TRACED}
    stack.start_services([s for s in stack.load_services() if s.name in services], env=env)


@pytest.fixture
def collector(system: dict[str, str]) -> Iterator[Collector]:
    received = Collector()
    received.thread.start()
    try:
        restart(
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": received.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                # Export within a fifth of a second rather than the SDK's 5 s.
                "OTEL_BSP_SCHEDULE_DELAY": "200",
            }
        )
        yield received
    finally:
        restart(None)
        received.server.shutdown()
        received.server.server_close()


async def test_one_trace_from_the_request_through_nats_into_the_consumer(
    system: dict[str, str], tokens: KeycloakTokens, collector: Collector
) -> None:
    headers = {"Authorization": f"Bearer {tokens.get('inm.mx')}"}
    async with httpx.AsyncClient(timeout=15, headers=headers) as http:
        person = returnee("Traza", f"Otel {uuid.uuid4().hex[:6]}")
        created = await http.post(f"{system['repatriation']}/v1/manifests", json=manifest([person]))
        assert created.status_code == 201, created.text
        manifest_id = created.json()["id"]
        submitted = await http.post(f"{system['repatriation']}/v1/manifests/{manifest_id}/submit")
        assert submitted.status_code == 200, submitted.text

    route = "POST /v1/manifests/{manifest_id}/submit"

    async def whole_trace() -> tuple[Span, Span, Span] | None:
        for request in collector.named(route):
            sent = [s for s in collector.named(f"send {SUBJECT}") if s.trace_id == request.trace_id]
            applied = [
                s for s in collector.named(f"process {SUBJECT}") if s.trace_id == request.trace_id
            ]
            if sent and applied:
                return request, sent[0], applied[0]
        return None

    request, sent, applied = await wait_until(whole_trace, timeout=30, what="the whole trace")
    # Three processes exported their part: the API, the relay of repatriation's worker, the
    # consular worker's consumer.
    assert (request.service, sent.service, applied.service) == (
        "repatriation",
        "repatriation",
        "consular",
    )
    SERVER, PRODUCER, CONSUMER = 2, 4, 5  # OTLP's SpanKind numbers
    assert (request.kind, sent.kind, applied.kind) == (SERVER, PRODUCER, CONSUMER)
