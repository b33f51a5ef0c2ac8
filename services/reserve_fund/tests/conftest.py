"""Shared by the integration and API tests: child protection's events, built from the
producer's checked-in examples (`contracts/events/child/*.example.json`, ids replaced), and fed
through the worker's own consumer handlers (inbox tracking included) — so a change of the
child contracts that breaks the Fund's consumers fails here.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from puebla.clock import utcnow
from puebla.contracts.envelope import IncomingEnvelope, make_envelope
from puebla.db.unit_of_work import AlreadyApplied, Tracking
from puebla.ids import new_id
from puebla.runtime import Runtime
from reserve_fund.entrypoints.worker import subscriptions

EVENTS = Path(__file__).resolve().parents[3] / "contracts" / "events"

OPENED = "child.case.opened.v1"
DETERMINED = "child.case.determined.v1"
BLOCK_SET = "child.case.consular_block_set.v1"
BLOCK_CLEARED = "child.case.consular_block_cleared.v1"
CLOSED = "child.case.closed.v1"


def _json(event_type: str, kind: str) -> dict[str, Any]:
    path = EVENTS / "child" / f"{event_type}.{kind}.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


class ChildCases:
    """Child events about cases of the tests' own (fresh ids), fed to the Fund's consumers."""

    OPENED = OPENED
    DETERMINED = DETERMINED
    BLOCK_SET = BLOCK_SET
    BLOCK_CLEARED = BLOCK_CLEARED
    CLOSED = CLOSED

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.by_subject = {s.subjects[0]: s for s in subscriptions(runtime)}

    def data(self, event_type: str, case_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
        """The checked-in example for `case_id`, with `overrides`; checked against the
        checked-in schema, so the test sends what the producer may send."""
        data = _json(event_type, "example")
        data.update(case_id=str(case_id), **overrides)
        jsonschema.validate(data, _json(event_type, "schema"))
        return data

    def envelope(self, event_type: str, data: dict[str, Any]) -> IncomingEnvelope:
        made = make_envelope(
            event_id=new_id(),
            event_type=event_type,
            source="puebla/child_protection",
            subject=str(data["case_id"]),
            time=utcnow(),
            access=[data["host_country"]],
            data=data,
        )
        return IncomingEnvelope.model_validate(made.model_dump(mode="json"))

    async def feed(self, envelope: IncomingEnvelope) -> str:
        """Runs the worker's handler for the envelope's type, as the consumer runner would;
        returns "applied" or "duplicate"."""
        sub = self.by_subject[envelope.type]
        try:
            await sub.handle(envelope, Tracking(sub.durable, envelope.id, envelope.type))
        except AlreadyApplied:
            return "duplicate"
        return "applied"

    async def send(self, event_type: str, case_id: uuid.UUID, **overrides: Any) -> str:
        return await self.feed(
            self.envelope(event_type, self.data(event_type, case_id, **overrides))
        )

    async def apply(self, event_type: str, case_id: uuid.UUID, **overrides: Any) -> None:
        """`send`, for an event that must take effect: one stopped by the inbox would leave the
        test asserting on a state the Fund never reached, so say so here instead."""
        outcome = await self.send(event_type, case_id, **overrides)
        assert outcome == "applied", (event_type, case_id, outcome)

    async def opened(
        self, *, nationality: str = "HN", host: str = "MX", blocked: bool = False
    ) -> uuid.UUID:
        case_id = uuid.uuid4()
        await self.apply(
            OPENED,
            case_id,
            nationality=nationality,
            host_country=host,
            blocked_for_consulate=blocked,
            notify_consulate=not blocked,
        )
        return case_id

    async def determined(
        self, case_id: uuid.UUID, decision: str, *, version: int = 9, **overrides: Any
    ) -> None:
        overrides.setdefault("nationality", "HN")
        overrides.setdefault("host_country", "MX")
        await self.apply(DETERMINED, case_id, decision=decision, version=version, **overrides)

    async def blocked(self, case_id: uuid.UUID, *, version: int = 10) -> None:
        await self.apply(BLOCK_SET, case_id, nationality="HN", host_country="MX", version=version)

    async def cleared(self, case_id: uuid.UUID, *, version: int = 11) -> None:
        await self.apply(
            BLOCK_CLEARED, case_id, nationality="HN", host_country="MX", version=version
        )

    async def closed(self, case_id: uuid.UUID, *, version: int = 13) -> None:
        await self.apply(CLOSED, case_id, nationality="HN", host_country="MX", version=version)

    async def for_return(self, *, nationality: str = "HN", host: str = "MX") -> uuid.UUID:
        """A case of an HN child in MX, open, not blocked, whose BID decided return."""
        case_id = await self.opened(nationality=nationality, host=host)
        await self.determined(case_id, "return", nationality=nationality, host_country=host)
        return case_id


@pytest.fixture
def child_cases(runtime: Runtime) -> ChildCases:
    return ChildCases(runtime)


@pytest.fixture
def child_events() -> type[ChildCases]:
    """`ChildCases` itself, for a test on a database of its own: `child_events(runtime)`."""
    return ChildCases
