"""A protection need found after opening reaches the CHILD stream through the outbox relay as
`child.case.consular_block_set.v1`, labelled for the host alone, and validates against its
checked-in JSON Schema (envelope and data). consular consumes it to withdraw what the child's
consulate was told.

A case blocked for the consulate puts nothing of who the child is on the stream: not in its
opening, not anywhere, until a supervisor clears the block — then the identity goes out once,
in `child.case.consular_notice.v1`, labelled for the host and the child's nationality.

A database of its own (`fresh_cases`), so the relay publishes this test's rows and nobody else's.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from child_protection.domain import commands as c
from child_protection.service_layer import handlers
from puebla.messaging.relay import OutboxRelay
from puebla_dev.testing.waiting import wait_until

from .conftest import DIF, SUPERVISOR

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "events"
BLOCK_SET = "child.case.consular_block_set.v1"
NOTICE = "child.case.consular_notice.v1"


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


async def _read_case(js, durable: str, case_id: uuid.UUID, into: list[Any]) -> list[Any]:
    """Adds to `into` every message the durable holds about the case, read until a fetch
    finds no more; returns `into`."""
    psub = await js.pull_subscribe_bind(durable=durable, stream="CHILD")
    try:
        while True:
            try:
                msgs = await psub.fetch(50, timeout=1)
            except TimeoutError:
                return into
            for msg in msgs:
                await msg.ack()
                if json.loads(msg.data)["subject"] == str(case_id):
                    into.append(msg)
    finally:
        await psub.unsubscribe()


# What the case's child is, as `Cases.open` records it: none of it may reach the stream.
IDENTITY = ("Kevin", "Josué", "Martínez", "Reyes", "2012-04-09", "Chiapas", "Tapachula")


class TestBlockedCase:
    @pytest.mark.parametrize("flag", ["protection_need", "trafficking_indicator"])
    async def test_no_message_on_the_stream_says_who_the_child_is(
        self, fresh_cases, js, flag
    ) -> None:
        cases = fresh_cases
        durable = f"test-child-all-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "CHILD",
            ConsumerConfig(
                durable_name=durable, deliver_policy=DeliverPolicy.NEW, filter_subject="child.>"
            ),
        )
        try:
            case_id = await cases.open(**{flag: True})
            # Everything the service will ever publish about it so far: the opening alone.
            assert [e["type"] for e in await cases.outbox(case_id)] == ["child.case.opened.v1"]
            await _publish_all(cases, js)
            found: list[Any] = []
            await wait_until(
                lambda: _read_case(js, durable, case_id, found), timeout=20, what="the opening"
            )
        finally:
            await js.delete_consumer("CHILD", durable)

        assert [m.subject for m in found] == ["child.case.opened.v1"]
        for msg in found:
            body = msg.data.decode()
            for part in IDENTITY:
                assert part not in body, part
            assert json.loads(body)["access"] == ["MX"]
        data = json.loads(found[0].data)["data"]
        assert (data["notify_consulate"], data["blocked_for_consulate"]) == (False, True)
        _validate(CONTRACTS / "child" / "child.case.opened.v1.schema.json", data)

    async def test_the_identity_goes_out_once_the_block_is_cleared_labelled_for_the_consulate(
        self, fresh_cases, js
    ) -> None:
        cases = fresh_cases
        durable = f"test-child-all-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "CHILD",
            ConsumerConfig(
                durable_name=durable, deliver_policy=DeliverPolicy.NEW, filter_subject="child.>"
            ),
        )
        try:
            case_id = await cases.open(trafficking_indicator=True)
            await handlers.decide_protection(
                c.DecideProtection(
                    case_id=case_id,
                    clear_block=True,
                    reasons="Risk assessed; family not involved.",
                    decided_at=cases.clock(),
                ),
                cases.uow(SUPERVISOR),
            )
            await _publish_all(cases, js)
            found: list[Any] = []

            async def all_three() -> bool:
                return len(await _read_case(js, durable, case_id, found)) >= 3

            await wait_until(all_three, timeout=20, what="opening, clearing, notice")
        finally:
            await js.delete_consumer("CHILD", durable)

        assert [m.subject for m in found] == [
            "child.case.opened.v1",
            "child.case.consular_block_cleared.v1",
            NOTICE,
        ]
        opened, clearing, notice = (json.loads(m.data) for m in found)
        for before in (opened, clearing):
            for part in IDENTITY:
                assert part not in json.dumps(before, ensure_ascii=False), part
        assert opened["access"] == ["MX"]
        assert clearing["access"] == notice["access"] == ["HN", "MX"]
        _validate(CONTRACTS / "child" / f"{NOTICE}.schema.json", notice["data"])
        assert notice["data"]["occasion"] == "block_cleared"
        assert notice["data"]["child"]["surnames"] == "Martínez Reyes"
        assert notice["data"]["child"]["date_of_birth"] == "2012-04-09"
        assert notice["data"]["place"] == {"country": "MX", "state": "Chiapas", "city": "Tapachula"}


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
                    screened_at=cases.clock(),
                    protection_need=True,
                    trafficking_indicator=False,
                    notes="Fears the gang that killed his brother.",
                ),
                cases.uow(DIF),
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
        assert [e["type"] for e in published] == ["child.case.opened.v1", NOTICE, BLOCK_SET]
        assert [e["access"] for e in published] == [["HN", "MX"], ["HN", "MX"], ["MX"]]
