"""Shared by the integration and API tests: repatriation events built from the producer's
checked-in examples (`contracts/events/repatriation/*.example.json`, ids replaced) and fed
through the consular worker's own consumers (`entrypoints/consumers/`), on the test's
`Consular` service object (`svc`, defined by each folder's conftest)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from consular.bootstrap import Consular
from consular.entrypoints.worker import subscriptions
from puebla.clock import Clock, utcnow
from puebla.contracts.envelope import IncomingEnvelope, make_envelope
from puebla.db.unit_of_work import Tracking
from puebla.ids import new_id

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "events"


class Events:
    """The helpers below as a fixture (`events.submitted()`): test modules cannot import
    conftest under `--import-mode=importlib`."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.example = example
        self.returnee = returnee
        self.submitted = submitted
        self.child_notice = child_notice

    def envelope(self, event_type: str, data: dict[str, Any], **kwargs: Any) -> IncomingEnvelope:
        """Stamped now by the service's clock unless `time` is given."""
        kwargs.setdefault("time", self.clock())
        return envelope(event_type, data, **kwargs)


@pytest.fixture
def events(svc: Consular) -> Events:
    return Events(svc.clock)


def example(event_type: str) -> dict[str, Any]:
    context = event_type.split(".", 1)[0]
    path = EXAMPLES / context / f"{event_type}.example.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


CHILD_NOTICE = "child.case.consular_notice.v1"


def child_notice(case: dict[str, Any]) -> dict[str, Any]:
    """The `child.case.consular_notice.v1` child protection emits beside `case`, the data of
    an unblocked case's opening (`opened_at`) or of a clearing (`cleared_at`): the example's
    child, at that event's version, stage, host and nationality."""
    data = example(CHILD_NOTICE)
    clearing = "cleared_at" in case
    allowed_at = case["cleared_at"] if clearing else case["opened_at"]
    data.update(
        {key: case[key] for key in ("case_id", "reference", "host_country", "nationality")},
        version=case["version"],
        stage=case["stage"],
        occasion="block_cleared" if clearing else "case_opened",
        allowed_at=allowed_at,
        identified_at=allowed_at,
    )
    data["place"] = {**data["place"], "country": case["host_country"]}
    return data


def envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    time: datetime | None = None,
    access: list[str] | None = None,
    event_id: uuid.UUID | None = None,
) -> IncomingEnvelope:
    producer = {"repatriation": "repatriation", "child": "child_protection", "fund": "reserve_fund"}
    subject = data.get("manifest_id") or data.get("case_id") or data.get("application_id")
    made = make_envelope(
        event_id=event_id or new_id(),
        event_type=event_type,
        source=f"puebla/{producer[event_type.split('.', 1)[0]]}",
        subject=str(subject),
        time=time or utcnow(),
        access=access or ["MX", "GT"],
        data=data,
    )
    return IncomingEnvelope.model_validate(made.model_dump(mode="json"))


def returnee(nationality: str = "GT", given_names: str = "María José") -> dict[str, Any]:
    one: dict[str, Any] = copy.deepcopy(
        example("repatriation.manifest.submitted.v1")["returnees"][0]
    )
    one["returnee_id"] = str(uuid.uuid4())
    one["person"]["nationality"] = nationality
    one["person"]["given_names"] = given_names
    return one


def submitted(returnees: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    """The checked-in submitted example with a fresh manifest id and two fresh returnees."""
    data = example("repatriation.manifest.submitted.v1")
    data["manifest_id"] = str(uuid.uuid4())
    data["returnees"] = returnees if returnees is not None else [returnee(), returnee()]
    data.update(overrides)
    return data


Consume = Callable[[IncomingEnvelope], Awaitable[str]]


@pytest.fixture
def consume(svc: Consular) -> Consume:
    """Runs the worker's handler for the envelope's type, as the consumer runner would
    (inbox tracking included); returns "applied" or "duplicate"."""
    from puebla.db.unit_of_work import AlreadyApplied

    by_subject = {s.subjects[0]: s for s in subscriptions(svc)}

    async def run(env: IncomingEnvelope) -> str:
        sub = by_subject[env.type]
        try:
            await sub.handle(env, Tracking(sub.durable, env.id, env.type))
        except AlreadyApplied:
            return "duplicate"
        return "applied"

    return run
