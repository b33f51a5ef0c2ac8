"""The consulate's decisions arrive on the CONSULAR stream and confirm or reject a returnee.

Events are built from the consular contract's checked-in examples with the ids replaced, so a
change of the producer's contract that breaks this consumer fails here. Each test binds its own
durable (the worker's subscription under a unique name) and processes what it fetched with the
real `ConsumerRunner`, as the worker does.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import jsonschema
import pytest
import pytest_asyncio
from nats.js.api import DeliverPolicy
from sqlalchemy import text

from puebla.messaging.consumer import ConsumerRunner
from puebla_dev.testing.bus import process_own
from repatriation.domain import commands as c
from repatriation.domain.errors import ManifestError
from repatriation.entrypoints.consumers import nationality
from repatriation.entrypoints.worker import subscriptions
from repatriation.service_layer import handlers

CONFIRMED = "consular.nationality.confirmed.v1"
REJECTED = "consular.nationality.rejected.v1"


class Consular:
    """Publishes consular decisions on the real stream and runs the consumer on them."""

    def __init__(
        self, flow: Any, runtime: Any, js: Any, runners: dict[str, ConsumerRunner]
    ) -> None:
        self.flow = flow
        self.runtime = runtime
        self.js = js
        self.runners = runners  # by subject: one durable each

    def durable(self, envelope: dict[str, Any]) -> str:
        return self.runners[envelope["type"]].sub.durable

    def envelope(
        self,
        event_type: str,
        manifest_id: uuid.UUID,
        returnee_id: uuid.UUID,
        *,
        service: str = "repatriation",
    ) -> dict[str, Any]:
        data = self.flow.example(event_type)
        data["verification_id"] = str(uuid.uuid4())
        data["related"] = {
            "service": service,
            "id": str(manifest_id),
            "subject_id": str(returnee_id),
        }
        jsonschema.validate(data, self.flow.schema(event_type))
        envelope = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": event_type,
            "source": "puebla/consular",
            "subject": data["verification_id"],
            "time": "2026-11-29T15:00:00Z",
            "datacontenttype": "application/json",
            "dataschema": f"puebla:contracts/events/consular/{event_type}.schema.json",
            "correlationid": None,
            "causationid": None,
            "access": ["GT", "MX"],
            "data": data,
        }
        jsonschema.validate(envelope, self.flow.schema("envelope"))
        return envelope

    async def deliver(self, envelope: dict[str, Any]) -> str:
        """Publishes the envelope (a fresh stream message each time: a redelivery) and lets the
        consumer process it; returns the runner's outcome."""
        await self.js.publish(envelope["type"], json.dumps(envelope).encode())
        runner = self.runners[envelope["type"]]
        return await process_own(
            self.js,
            stream="CONSULAR",
            durable=runner.sub.durable,
            event_id=envelope["id"],
            process=runner.process,
        )


@pytest_asyncio.fixture(loop_scope="session")
async def consular(flow, runtime, svc, js):
    worker = {s.subjects[0]: s for s in subscriptions(svc)}
    assert {s: w.durable for s, w in worker.items()} == {
        CONFIRMED: "repatriation-nationality-confirmed",
        REJECTED: "repatriation-nationality-rejected",
    }
    assert {w.stream for w in worker.values()} == {"CONSULAR"}
    runners = {}
    for subject, subscription in worker.items():
        sub = dataclasses.replace(
            subscription,
            durable=f"test-{subscription.durable}-{uuid.uuid4().hex[:8]}",
            deliver_policy=DeliverPolicy.NEW,
        )
        await js.add_consumer(sub.stream, sub.config())
        runners[subject] = ConsumerRunner(js, runtime.sessions, sub)
    yield Consular(flow, runtime, js, runners)
    for runner in runners.values():
        await js.delete_consumer(runner.sub.stream, runner.sub.durable)


async def _state(flow, manifest_id: uuid.UUID) -> tuple[int, list[str]]:
    async with flow.uow() as uow:
        manifest = await uow.manifests.get_for_update(manifest_id)
        return manifest.version, [r.nationality_status.value for r in manifest.returnees]


async def _inbox(runtime, consumer: str, event_id: str) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT outcome FROM inbox WHERE consumer = :c AND event_id = :e"),
            {"c": consumer, "e": event_id},
        )
        return [r[0] for r in rows]


class TestConfirmed:
    async def test_a_decision_another_session_published_meanwhile_is_not_this_tests(
        self, flow, consular
    ):
        """The CONSULAR stream is the stack's: the e2e session beside this one publishes
        consuls' decisions on the same subject. One about a manifest this database never had
        arrives first here; the test's own decision is still the one applied."""
        manifest_id = await flow.submitted([flow.person()])
        (first,) = await flow.returnee_ids(manifest_id)
        theirs = consular.envelope(CONFIRMED, uuid.uuid4(), uuid.uuid4())
        await consular.js.publish(CONFIRMED, json.dumps(theirs).encode())

        assert await consular.deliver(consular.envelope(CONFIRMED, manifest_id, first)) == "applied"

    async def test_confirms_the_returnee_and_a_replay_changes_nothing(
        self, flow, runtime, consular
    ):
        manifest_id = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
        first, _ = await flow.returnee_ids(manifest_id)
        envelope = consular.envelope(CONFIRMED, manifest_id, first)

        assert await consular.deliver(envelope) == "applied"
        assert await _state(flow, manifest_id) == (3, ["confirmed", "pending"])
        assert await _inbox(runtime, consular.durable(envelope), envelope["id"]) == ["applied"]

        assert await consular.deliver(envelope) == "duplicate"
        assert await _state(flow, manifest_id) == (3, ["confirmed", "pending"])

        # The same decision again under a new event id: the domain's no-op, still nothing.
        again = consular.envelope(CONFIRMED, manifest_id, first)
        assert await consular.deliver(again) == "applied"
        assert await _state(flow, manifest_id) == (3, ["confirmed", "pending"])

        async with runtime.sessions() as session:
            audit = await session.execute(
                text(
                    "SELECT actor, detail->>'returnee_id' FROM audit WHERE entity_id = :m"
                    " AND action = 'manifest.nationality_confirmed'"
                ),
                {"m": str(manifest_id)},
            )
            assert audit.all() == [("consul.gt.tapachula", str(first))]

    async def test_once_all_are_confirmed_the_bus_may_leave(self, flow, consular):
        manifest_id = await flow.submitted()
        (only,) = await flow.returnee_ids(manifest_id)
        assert await consular.deliver(consular.envelope(CONFIRMED, manifest_id, only)) == "applied"
        await handlers.dispatch_manifest(
            c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
        )
        async with flow.uow() as uow:
            assert (await uow.manifests.get_for_update(manifest_id)).status.value == "dispatched"


class TestRejected:
    async def test_rejects_the_returnee_and_dispatch_waits_for_their_removal(
        self, flow, runtime, consular
    ):
        manifest_id = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
        first, second = await flow.returnee_ids(manifest_id)
        assert await consular.deliver(consular.envelope(CONFIRMED, manifest_id, first)) == "applied"
        assert await consular.deliver(consular.envelope(REJECTED, manifest_id, second)) == "applied"
        assert await _state(flow, manifest_id) == (4, ["confirmed", "rejected"])

        with pytest.raises(ManifestError) as refused:
            await handlers.dispatch_manifest(
                c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
            )
        assert refused.value.rule == "nationality_rejected"

    async def test_a_contradicting_decision_is_recorded_as_rejected_and_acked(
        self, flow, runtime, consular
    ):
        manifest_id = await flow.submitted()
        (only,) = await flow.returnee_ids(manifest_id)
        assert await consular.deliver(consular.envelope(REJECTED, manifest_id, only)) == "applied"
        contradiction = consular.envelope(CONFIRMED, manifest_id, only)

        assert await consular.deliver(contradiction) == "rejected"
        assert await _state(flow, manifest_id) == (3, ["rejected"])
        (outcome,) = await _inbox(runtime, consular.durable(contradiction), contradiction["id"])
        assert outcome.startswith("rejected: NationalityAlreadyDecided")
        # Redelivered, the refusal is a duplicate: found in the inbox, nothing changes.
        assert await consular.deliver(contradiction) == "duplicate"
        assert len(await _inbox(runtime, consular.durable(contradiction), contradiction["id"])) == 1


class TestNotOurs:
    async def test_an_unknown_manifest_is_a_permanent_refusal(self, runtime, consular):
        envelope = consular.envelope(CONFIRMED, uuid.uuid4(), uuid.uuid4())
        assert await consular.deliver(envelope) == "rejected"
        (outcome,) = await _inbox(runtime, consular.durable(envelope), envelope["id"])
        assert outcome.startswith("rejected: UnknownManifest")

    async def test_an_unknown_returnee_is_a_permanent_refusal(self, flow, runtime, consular):
        manifest_id = await flow.submitted()
        envelope = consular.envelope(CONFIRMED, manifest_id, uuid.uuid4())
        assert await consular.deliver(envelope) == "rejected"
        (outcome,) = await _inbox(runtime, consular.durable(envelope), envelope["id"])
        assert outcome.startswith("rejected: ReturneeNotFound")
        assert await _state(flow, manifest_id) == (2, ["pending"])

    async def test_a_decision_about_a_child_case_is_skipped(self, flow, consular):
        manifest_id = await flow.submitted()
        (only,) = await flow.returnee_ids(manifest_id)
        envelope = consular.envelope(CONFIRMED, manifest_id, only, service="child_protection")
        assert await consular.deliver(envelope) == "applied"
        assert await _state(flow, manifest_id) == (2, ["pending"])

    async def test_a_manifest_already_dispatched_takes_no_decision(self, flow, consular):
        manifest_id = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
        first, second = await flow.returnee_ids(manifest_id)
        for returnee_id in (first, second):
            await consular.deliver(consular.envelope(CONFIRMED, manifest_id, returnee_id))
        await handlers.dispatch_manifest(
            c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
        )
        # The same confirmation again is a no-op even now; a rejection is refused for good.
        assert await consular.deliver(consular.envelope(CONFIRMED, manifest_id, first)) == "applied"
        assert await consular.deliver(consular.envelope(REJECTED, manifest_id, first)) == "rejected"
        assert await _state(flow, manifest_id) == (5, ["confirmed", "confirmed"])


def test_the_permanent_errors_are_the_business_refusals():
    assert (
        ManifestError,
        __import__(
            "repatriation.service_layer.errors", fromlist=["UnknownManifest"]
        ).UnknownManifest,
    ) == nationality.PERMANENT_ERRORS
