"""One trace from the request that wrote the events, through the outbox, the relay's publish
and NATS, into the consumer that applied them."""

from __future__ import annotations

import uuid

from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import OutgoingEvent, Tracking, UnitOfWork
from puebla.messaging.consumer import ConsumerRunner, Subscription
from puebla.messaging.relay import OutboxRelay
from puebla.observability import configure_tracing
from puebla_dev.testing.infra import MigratedDatabase

SUBJECT = "puebla_test.trace.written.v1"


async def test_trace_continues_from_request_to_consumer(
    library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
) -> None:
    spans = InMemorySpanExporter()
    configure_tracing("puebla-test", exporter=spans)
    relay = OutboxRelay(library_db.engine, library_db.sessions, js)
    await relay.publish_pending()

    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("POST /v1/things") as request_span:
        trace_id = request_span.get_span_context().trace_id
        uow = UnitOfWork(library_db.sessions, source="puebla/test", actor="test")
        async with uow:
            uow.publish(OutgoingEvent(SUBJECT, "thing", str(uuid.uuid4()), {"version": 1}, ["MX"]))
            await uow.commit()

    # The relay runs later, in its own context: the stored traceparent joins the two.
    assert await relay.publish_pending() == 1
    seen: list[int] = []

    async def handle(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    sub = Subscription(
        durable=f"trace-{uuid.uuid4().hex[:8]}",
        stream=test_stream,
        subjects=[SUBJECT],
        publisher=lambda _: "test",
        handle=handle,
        deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
    )
    await js.add_consumer(test_stream, sub.config())
    psub = await js.pull_subscribe_bind(durable=sub.durable, stream=test_stream)
    msg = (await psub.fetch(1, timeout=5))[0]
    await ConsumerRunner(js, library_db.sessions, sub).process(msg)

    assert seen == [trace_id]
    names = {s.name for s in spans.get_finished_spans() if s.context.trace_id == trace_id}
    assert {"POST /v1/things", f"send {SUBJECT}", f"process {SUBJECT}"} <= names
