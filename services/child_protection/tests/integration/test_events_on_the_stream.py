"""A protection need found after opening reaches the CHILD stream through the outbox relay as
`child.case.consular_block_set.v1`, labelled for the host alone, and validates against its
checked-in JSON Schema (envelope and data). consular consumes it to withdraw what the child's
consulate was told.

A database of its own (`fresh_cases`), so the relay publishes this test's rows and nobody else's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from child_protection.domain import commands as c
from child_protection.service_layer import handlers
from puebla.messaging.relay import OutboxRelay
from puebla.testing.waiting import wait_until

from .conftest import DIF

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "events"
BLOCK_SET = "child.case.consular_block_set.v1"


def _validate(path: Path, instance: Any) -> None:
    schema = json.loads(path.read_text())
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


async def _publish_all(cases, js) -> None:
    runtime = cases.runtime

    async def none_left() -> bool:
        async with runtime.sessions() as session:
            left = await session.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            )
            return int(left.scalar_one()) == 0

    relay = OutboxRelay(runtime.engine, runtime.sessions, js, poll_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_until(none_left, timeout=20, what="outbox published")
    finally:
        stop.set()
        await task


class TestLateProtectionNeed:
    async def test_the_block_reaches_the_stream_for_the_host_only(self, fresh_cases, js) -> None:
        cases = fresh_cases
        durable = f"test-child-block-set-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "CHILD",
            ConsumerConfig(
                durable_name=durable, deliver_policy=DeliverPolicy.NEW, filter_subject=BLOCK_SET
            ),
        )
        try:
            case_id = await cases.open()  # not blocked: the consulate is told of the child
            await handlers.record_screening(
                c.RecordScreening(
                    case_id=case_id,
                    actor=DIF,
                    screened_at=cases.clock(),
                    protection_need=True,
                    trafficking_indicator=False,
                    notes="Fears the gang that killed his brother.",
                ),
                cases.uow(),
            )
            await _publish_all(cases, js)

            psub = await js.pull_subscribe_bind(durable=durable, stream="CHILD")
            found: list[Any] = []

            async def arrived() -> bool:
                try:
                    msgs = await psub.fetch(10, timeout=1)
                except TimeoutError:
                    msgs = []
                for msg in msgs:
                    await msg.ack()
                    if json.loads(msg.data)["subject"] == str(case_id):
                        found.append(msg)
                return bool(found)

            await wait_until(arrived, timeout=20, what=f"{BLOCK_SET} on CHILD")
            await psub.unsubscribe()
        finally:
            await js.delete_consumer("CHILD", durable)

        (msg,) = found
        envelope = json.loads(msg.data)
        _validate(CONTRACTS / "envelope.schema.json", envelope)
        _validate(CONTRACTS / "child" / f"{BLOCK_SET}.schema.json", envelope["data"])
        assert msg.subject == BLOCK_SET
        assert msg.headers["Nats-Msg-Id"] == envelope["id"]
        assert envelope["type"] == BLOCK_SET
        assert envelope["access"] == ["MX"]
        assert envelope["data"]["case_id"] == str(case_id)
        assert envelope["data"]["nationality"] == "HN"
        assert envelope["data"]["blocked_at"] == "2026-12-01T15:00:00Z"
        assert "protection_need" not in msg.data.decode()
        # The screening itself stays inside the service; only the opening went out before.
        published = await cases.outbox(case_id)
        assert [e["type"] for e in published] == ["child.case.opened.v1", BLOCK_SET]
        assert [e["access"] for e in published] == [["HN", "MX"], ["MX"]]
