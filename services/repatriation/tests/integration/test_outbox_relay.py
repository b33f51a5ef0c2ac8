"""Every contracted event reaches the REPATRIATION stream through the outbox relay, and what
arrives validates against its checked-in JSON Schema (envelope and data)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import jsonschema
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from puebla.messaging.relay import OutboxRelay
from puebla_dev.testing.waiting import wait_until
from repatriation.domain import HandoverItem, HandoverOutcome, ProtectionNeedKind, RefusalReason
from repatriation.domain import commands as c
from repatriation.service_layer import handlers


def _validate(schema: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


async def _unpublished(runtime, manifest_ids: list[str]) -> int:
    async with runtime.sessions() as session:
        pending = await session.execute(
            text(
                "SELECT count(*) FROM outbox WHERE aggregateid = ANY(:ids) AND published_at IS NULL"
            ),
            {"ids": manifest_ids},
        )
        return int(pending.scalar_one())


async def _relay_until_published(runtime, manifest_ids: list[str]) -> None:
    relay = OutboxRelay(runtime.engine, runtime.sessions, runtime.js, poll_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await wait_until(
            lambda: _none_left(runtime, manifest_ids), timeout=20, what="outbox published"
        )
    finally:
        stop.set()
        await task


async def _none_left(runtime, manifest_ids: list[str]) -> bool:
    return await _unpublished(runtime, manifest_ids) == 0


async def _read_back(js, durable: str, manifest_ids: set[str], expected: int) -> list[Any]:
    psub = await js.pull_subscribe_bind(durable=durable, stream="REPATRIATION")
    found: list[Any] = []

    async def more() -> bool:
        try:
            msgs = await psub.fetch(50, timeout=1)
        except TimeoutError:
            msgs = []
        for msg in msgs:
            await msg.ack()
            if json.loads(msg.data)["subject"] in manifest_ids:
                found.append(msg)
        return len(found) >= expected

    await wait_until(more, timeout=20, what=f"{expected} messages on REPATRIATION")
    await psub.unsubscribe()
    return found


class TestSubmittedReachesTheStream:
    async def test_submit_publishes_a_schema_valid_manifest_submitted(self, flow, runtime, js):
        durable = f"test-repatriation-relay-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "REPATRIATION",
            ConsumerConfig(
                durable_name=durable,
                deliver_policy=DeliverPolicy.NEW,
                filter_subject="repatriation.manifest.submitted.v1",
            ),
        )
        try:
            manifest_id = await flow.submitted([flow.person()])
            returnee_id = (await flow.returnee_ids(manifest_id))[0]

            await _relay_until_published(runtime, [str(manifest_id)])
            (msg,) = await _read_back(js, durable, {str(manifest_id)}, 1)
        finally:
            await js.delete_consumer("REPATRIATION", durable)

        envelope = json.loads(msg.data)
        _validate(flow.schema("envelope"), envelope)
        assert msg.subject == "repatriation.manifest.submitted.v1"
        assert msg.headers["Nats-Msg-Id"] == envelope["id"]
        _validate(flow.schema("repatriation.manifest.submitted.v1"), envelope["data"])
        assert envelope["type"] == "repatriation.manifest.submitted.v1"
        assert envelope["source"] == "puebla/repatriation"
        assert envelope["subject"] == str(manifest_id)
        assert envelope["access"] == ["GT", "MX"]
        data = envelope["data"]
        assert data["reference"].startswith("MX-GT-2026-")
        assert {k: v for k, v in data.items() if k not in ("manifest_id", "reference")} == {
            "version": 2,
            "sending_country": "MX",
            "receiving_country": "GT",
            "reception_point": "GT-TECUN-UMAN",
            "scheduled_departure": "2026-12-01T08:00:00Z",
            "scheduled_arrival": "2026-12-01T16:00:00Z",
            "late_notice": False,
            "late_notice_reason": None,
            "returnees": [
                {
                    "returnee_id": str(returnee_id),
                    "person": {
                        "given_names": "Ana María",
                        "surnames": "López Pérez",
                        "sex": "F",
                        "date_of_birth": "1990-05-17",
                        "nationality": "GT",
                    },
                }
            ],
        }


class TestEveryContractedEvent:
    async def test_a_whole_journey_publishes_each_type_schema_valid(self, flow, runtime, js):
        durable = f"test-repatriation-relay-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "REPATRIATION",
            ConsumerConfig(
                durable_name=durable,
                deliver_policy=DeliverPolicy.NEW,
                filter_subject="repatriation.>",
            ),
        )
        try:
            journey = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
            await handlers.add_returnee(
                c.AddReturnee(manifest_id=journey, returnee=flow.person(given_names="Eva")),
                flow.uow(flow.inm),
            )
            first, second, third = await flow.returnee_ids(journey)
            await handlers.remove_returnee(
                c.RemoveReturnee(manifest_id=journey, returnee_id=second, reason="Hospital"),
                flow.uow(flow.inm),
            )
            for returnee_id in (first, third):
                await handlers.confirm_nationality(
                    c.ConfirmNationality(manifest_id=journey, returnee_id=returnee_id),
                    flow.uow("consul.gt.tapachula"),
                )
            await handlers.dispatch_manifest(
                c.DispatchManifest(manifest_id=journey), flow.uow(flow.inm)
            )
            await handlers.record_handovers(
                c.RecordHandovers(
                    manifest_id=journey,
                    items=(
                        HandoverItem(returnee_id=first, outcome=HandoverOutcome.RECEIVED),
                        HandoverItem(
                            returnee_id=third,
                            outcome=HandoverOutcome.REFUSED,
                            reason=RefusalReason.NOT_A_NATIONAL,
                        ),
                    ),
                ),
                flow.uow(flow.border),
            )
            cancelled = await flow.submitted()
            await handlers.cancel_manifest(
                c.CancelManifest(manifest_id=cancelled, reason="Bus broke down"),
                flow.uow(flow.inm),
            )
            ids = [str(journey), str(cancelled)]

            await _relay_until_published(runtime, ids)
            msgs = await _read_back(js, durable, set(ids), 9)
        finally:
            await js.delete_consumer("REPATRIATION", durable)

        seen = []
        for msg in msgs:
            envelope = json.loads(msg.data)
            assert envelope["type"] == msg.subject
            _validate(flow.schema("envelope"), envelope)
            assert envelope["access"] == ["GT", "MX"]
            _validate(flow.schema(msg.subject), envelope["data"])
            seen.append((envelope["subject"], msg.subject, envelope["data"]["version"]))
        j, x = str(journey), str(cancelled)
        assert seen == [
            (j, "repatriation.manifest.submitted.v1", 2),
            (j, "repatriation.manifest.amended.v1", 3),
            (j, "repatriation.manifest.amended.v1", 4),
            (j, "repatriation.manifest.dispatched.v1", 7),
            (j, "repatriation.returnee.handed_over.v1", 8),
            (j, "repatriation.returnee.handed_over.v1", 8),
            (j, "repatriation.manifest.closed.v1", 8),
            (x, "repatriation.manifest.submitted.v1", 2),
            (x, "repatriation.manifest.cancelled.v1", 3),
        ]


class TestProtectionNeedReachesTheStreamForTheSenderOnly:
    async def test_published_schema_valid_labelled_mx_and_no_amendment(self, flow, runtime, js):
        durable = f"test-repatriation-relay-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "REPATRIATION",
            ConsumerConfig(
                durable_name=durable,
                deliver_policy=DeliverPolicy.NEW,
                filter_subject="repatriation.>",
            ),
        )
        try:
            manifest_id = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
            fears, _ = await flow.returnee_ids(manifest_id)
            await handlers.record_protection_need(
                c.RecordProtectionNeed(
                    manifest_id=manifest_id,
                    returnee_id=fears,
                    kind=ProtectionNeedKind.ASYLUM,
                    note="Applied for asylum at the station",
                ),
                flow.uow(flow.inm),
            )
            await _relay_until_published(runtime, [str(manifest_id)])
            msgs = await _read_back(js, durable, {str(manifest_id)}, 2)
        finally:
            await js.delete_consumer("REPATRIATION", durable)

        envelopes = [json.loads(m.data) for m in msgs]
        assert [e["type"] for e in envelopes] == [
            "repatriation.manifest.submitted.v1",
            "repatriation.returnee.protection_need_recorded.v1",
        ]
        recorded = envelopes[1]
        _validate(flow.schema("envelope"), recorded)
        _validate(flow.schema(recorded["type"]), recorded["data"])
        assert recorded["access"] == ["MX"]
        assert recorded["data"]["returnee_ids"] == [str(fears)]
        assert recorded["data"]["returnee_count"] == 1
        assert "asylum" not in msgs[1].data.decode()
