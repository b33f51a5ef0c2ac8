"""The Fund keeps what it needs of child cases from the CHILD stream (real NATS, real
PostgreSQL): each event type has its durable consumer, each event is applied once (inbox), an
older event never overwrites a newer fact, and a payload that breaks the contract is refused
for good instead of retried."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest_asyncio
from nats.js.api import DeliverPolicy
from sqlalchemy import text

from puebla.messaging.consumer import ConsumerRunner
from puebla_dev.testing.bus import process_own
from reserve_fund.entrypoints.worker import subscriptions


class Stream:
    """Publishes on the real CHILD stream and runs the worker's consumer (under a test durable
    of its own) on what it fetches, as the worker does."""

    def __init__(self, js: Any, runners: dict[str, ConsumerRunner]) -> None:
        self.js = js
        self.runners = runners

    async def deliver(self, envelope: Any) -> str:
        body = envelope.model_dump_json().encode()
        await self.js.publish(envelope.type, body)
        runner = self.runners[envelope.type]
        return await process_own(
            self.js,
            stream="CHILD",
            durable=runner.sub.durable,
            event_id=str(envelope.id),
            process=runner.process,
        )


@pytest_asyncio.fixture(loop_scope="session")
async def stream(runtime, js):
    runners: dict[str, ConsumerRunner] = {}
    for worker_sub in subscriptions(runtime):
        sub = dataclasses.replace(
            worker_sub,
            durable=f"test-{worker_sub.durable}-{uuid.uuid4().hex[:8]}",
            deliver_policy=DeliverPolicy.NEW,
        )
        await js.add_consumer(sub.stream, sub.config())
        runners[sub.subjects[0]] = ConsumerRunner(js, runtime.sessions, sub)
    yield Stream(js, runners)
    for runner in runners.values():
        await js.delete_consumer("CHILD", runner.sub.durable)


async def known(runtime, case_id: uuid.UUID) -> dict[str, Any] | None:
    async with runtime.sessions() as session:
        row = (
            (
                await session.execute(
                    text(
                        "SELECT host_country, nationality, blocked_for_consulate, block_version,"
                        " bid_decision, bid_version, closed FROM child_case WHERE case_id = :c"
                    ),
                    {"c": case_id},
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None


class TestTheWorkerSubscribes:
    def test_one_durable_per_child_event_on_the_child_stream(self, runtime):
        subs = subscriptions(runtime)
        assert {s.stream for s in subs} == {"CHILD"}
        assert sorted(s.subjects[0] for s in subs) == [
            "child.case.closed.v1",
            "child.case.consular_block_cleared.v1",
            "child.case.consular_block_set.v1",
            "child.case.determined.v1",
            "child.case.opened.v1",
        ]
        assert len({s.durable for s in subs}) == 5


class TestOverTheBus:
    async def test_a_determination_then_a_block_arrive_and_a_redelivery_changes_nothing(
        self, runtime, stream, child_cases
    ):
        case_id = uuid.uuid4()
        determined = child_cases.envelope(
            child_cases.DETERMINED, child_cases.data(child_cases.DETERMINED, case_id)
        )
        assert await stream.deliver(determined) == "applied"
        assert await known(runtime, case_id) == {
            "host_country": "MX",
            "nationality": "HN",
            "blocked_for_consulate": None,  # the opening has not arrived: treated as blocked
            "block_version": 0,
            "bid_decision": "return",
            "bid_version": 9,
            "closed": False,
        }
        assert await stream.deliver(determined) == "duplicate"

        block = child_cases.envelope(
            child_cases.BLOCK_SET,
            child_cases.data(child_cases.BLOCK_SET, case_id, version=10),
        )
        assert await stream.deliver(block) == "applied"
        after = await known(runtime, case_id)
        assert after is not None
        assert (after["blocked_for_consulate"], after["block_version"]) == (True, 10)

        async with runtime.sessions() as session:
            inbox = await session.execute(
                text("SELECT type, outcome FROM inbox WHERE event_id = ANY(:ids)"),
                {"ids": [determined.id, block.id]},
            )
            assert sorted(inbox.all()) == [
                ("child.case.consular_block_set.v1", "applied"),
                ("child.case.determined.v1", "applied"),
            ]

    async def test_an_opening_of_an_earlier_producer_that_names_the_child_is_applied(
        self, runtime, stream, child_cases
    ):
        """A child protection of before `child.case.consular_notice.v1` (a rolling deployment,
        consumers first) still sends the child's identity in the opening: the Fund reads the
        block flag it needs and keeps nothing else (it never needs who the child is)."""
        case_id = uuid.uuid4()
        data = child_cases.data(
            child_cases.OPENED, case_id, blocked_for_consulate=True, notify_consulate=False
        )
        data.update(
            child={
                "given_names": "Kevin Josué",
                "surnames": "Martínez Reyes",
                "sex": "M",
                "date_of_birth": "2012-04-09",
                "estimated_age": None,
                "age_disputed": False,
                "languages": ["es"],
            },
            identified_at="2026-12-01T13:30:00Z",
            place={"country": "MX", "state": "Chiapas", "city": "Tapachula"},
            accompaniment="unaccompanied",
        )
        assert await stream.deliver(child_cases.envelope(child_cases.OPENED, data)) == "applied"
        kept = await known(runtime, case_id)
        assert kept is not None
        assert (kept["blocked_for_consulate"], kept["block_version"]) == (True, 1)

    async def test_a_payload_that_breaks_the_contract_is_refused_for_good(
        self, runtime, stream, child_cases
    ):
        case_id = uuid.uuid4()
        data = child_cases.data(child_cases.DETERMINED, case_id)
        data["decision"] = "deport"
        envelope = child_cases.envelope(child_cases.DETERMINED, data)
        assert await stream.deliver(envelope) == "rejected"
        assert await known(runtime, case_id) is None


class TestOutOfOrder:
    async def test_an_opening_that_arrives_after_the_block_does_not_unblock(
        self, runtime, child_cases
    ):
        case_id = uuid.uuid4()
        await child_cases.send(child_cases.BLOCK_SET, case_id, version=3)
        await child_cases.send(
            child_cases.OPENED, case_id, blocked_for_consulate=False, notify_consulate=True
        )
        after = await known(runtime, case_id)
        assert after is not None
        assert (after["blocked_for_consulate"], after["block_version"]) == (True, 3)

        await child_cases.cleared(case_id, version=4)
        after = await known(runtime, case_id)
        assert after is not None
        assert (after["blocked_for_consulate"], after["block_version"]) == (False, 4)

    async def test_a_closing_keeps_the_determination_in_force(self, runtime, child_cases):
        case_id = await child_cases.for_return()
        await child_cases.closed(case_id)
        after = await known(runtime, case_id)
        assert after is not None
        assert (after["closed"], after["bid_decision"], after["bid_version"]) == (
            True,
            "return",
            13,
        )

    async def test_a_replayed_event_is_applied_once(self, runtime, child_cases):
        case_id = uuid.uuid4()
        envelope = child_cases.envelope(
            child_cases.BLOCK_SET, child_cases.data(child_cases.BLOCK_SET, case_id)
        )
        assert await child_cases.feed(envelope) == "applied"
        assert await child_cases.feed(envelope) == "duplicate"
        payload = json.loads(envelope.model_dump_json())
        assert payload["access"] == ["MX"]  # host only, as the producer labels it
