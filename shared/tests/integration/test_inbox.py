"""An event delivered twice, or redelivered after the consumer died before acking, applies once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from puebla.contracts.envelope import IncomingEnvelope, make_envelope
from puebla.db.unit_of_work import Tracking, UnitOfWork
from puebla.ids import new_id
from puebla.messaging.consumer import ConsumerRunner, Subscription
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.waiting import wait_until

SUBJECT = "puebla_test.note.requested.v1"


def note_handler(db: MigratedDatabase):
    async def handle(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        uow = UnitOfWork(db.sessions, source="puebla/test", actor="test")
        uow.track(tracking)
        async with uow:
            await uow.session.execute(
                text("INSERT INTO note (id, text, event_id) VALUES (:id, :t, :e)"),
                {"id": uuid.uuid4(), "t": envelope.data["text"], "e": envelope.id},
            )
            await uow.commit()

    return handle


async def publish_request(js: JetStreamContext, event_id: uuid.UUID, *, msg_id: str) -> None:
    envelope = make_envelope(
        event_id=event_id,
        event_type=SUBJECT,
        source="puebla/test",
        subject=str(uuid.uuid4()),
        time=datetime.now(UTC),
        access=["MX"],
        data={"version": 1, "text": "apply me once"},
    )
    await js.publish(SUBJECT, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id})


async def effects(db: MigratedDatabase, event_id: uuid.UUID) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    text("SELECT count(*) FROM note WHERE event_id = :e"), {"e": event_id}
                )
            ).scalar_one()
        )


def subscription(db: MigratedDatabase, **kw: object) -> Subscription:
    return Subscription(
        durable=f"test-{uuid.uuid4().hex[:8]}",
        stream="PUEBLA_TEST",
        subjects=[SUBJECT],
        publisher=lambda _: "test",
        handle=note_handler(db),
        **kw,  # type: ignore[arg-type]
    )


class TestIdempotentConsumer:
    async def test_the_same_event_delivered_twice_is_applied_once(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        event_id = new_id()
        # Two distinct stream messages carrying the same event: what a relay re-publishing
        # after the duplicate window produces.
        await publish_request(js, event_id, msg_id=f"{event_id}-a")
        await publish_request(js, event_id, msg_id=f"{event_id}-b")
        sub = subscription(library_db)
        runner = ConsumerRunner(js, library_db.sessions, sub)
        await js.add_consumer(test_stream, sub.config())
        psub = await js.pull_subscribe_bind(durable=sub.durable, stream=test_stream)
        outcomes = []
        while True:
            try:
                msgs = await psub.fetch(10, timeout=1)
            except TimeoutError:
                break
            for msg in msgs:
                if IncomingEnvelope.model_validate_json(msg.data).id == event_id:
                    outcomes.append(await runner.process(msg))
                else:
                    await msg.ack()
        assert outcomes == ["applied", "duplicate"]
        assert await effects(library_db, event_id) == 1

    async def test_redelivery_after_the_consumer_died_before_acking_is_applied_once(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        event_id = new_id()
        await publish_request(js, event_id, msg_id=str(event_id))
        sub = subscription(library_db, ack_wait=1.0, deliver_policy=DeliverPolicy.LAST_PER_SUBJECT)
        await js.add_consumer(test_stream, sub.config())
        psub = await js.pull_subscribe_bind(durable=sub.durable, stream=test_stream)
        first = (await psub.fetch(1, timeout=5))[0]
        # The consumer applies and commits the effect, then dies before it can ack.
        await note_handler(library_db)(
            IncomingEnvelope.model_validate_json(first.data),
            Tracking(sub.durable, event_id, SUBJECT),
        )
        assert await effects(library_db, event_id) == 1

        # Its successor receives the same message again once ack_wait expires.
        redelivered = (await psub.fetch(1, timeout=10))[0]
        assert redelivered.metadata.num_delivered == 2
        outcome = await ConsumerRunner(js, library_db.sessions, sub).process(redelivered)
        assert outcome == "duplicate"
        assert await effects(library_db, event_id) == 1

    async def test_concurrent_duplicate_deliveries_apply_once(
        self, library_db: MigratedDatabase
    ) -> None:
        event_id = new_id()
        envelope = IncomingEnvelope.model_validate_json(
            json.dumps(
                {
                    "id": str(event_id),
                    "type": SUBJECT,
                    "source": "puebla/test",
                    "subject": "x",
                    "time": "2026-11-26T10:00:00Z",
                    "dataschema": "puebla:test",
                    "access": ["MX"],
                    "data": {"version": 1, "text": "race"},
                }
            )
        )
        handler = note_handler(library_db)
        tracking = Tracking("test-race", event_id, SUBJECT)
        results = await asyncio.gather(
            *(handler(envelope, tracking) for _ in range(5)), return_exceptions=True
        )
        assert sum(r is None for r in results) == 1
        assert await effects(library_db, event_id) == 1

    async def test_a_poison_message_is_parked_and_the_stream_keeps_flowing(
        self, library_db: MigratedDatabase, js: JetStreamContext, test_stream: str
    ) -> None:
        sub = subscription(library_db, deliver_policy=DeliverPolicy.NEW)
        await js.add_consumer(test_stream, sub.config())
        stop = asyncio.Event()
        task = asyncio.create_task(ConsumerRunner(js, library_db.sessions, sub).run(stop))
        try:
            await wait_until(lambda: consumer_exists(js, test_stream, sub.durable))
            await js.publish(SUBJECT, b"{not json", headers={"Nats-Msg-Id": str(uuid.uuid4())})
            good = new_id()
            await publish_request(js, good, msg_id=str(good))
            await wait_until(lambda: effects(library_db, good), timeout=15)
            parked = await js.get_last_msg("DEADLETTER", f"deadletter.{sub.durable}")
            assert parked.data == b"{not json"
            assert parked.headers is not None
            assert "unparseable" in parked.headers["Puebla-Reason"]
        finally:
            stop.set()
            await task


async def consumer_exists(js: JetStreamContext, stream: str, durable: str) -> bool:
    info = await js.consumer_info(stream, durable)
    return isinstance(info.config, ConsumerConfig)
