"""A domain event as an audit detail (`puebla.db.audit.event_detail`)."""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from puebla.db.audit import event_detail


class Outcome(enum.StrEnum):
    RECEIVED = "received"


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    outcome: Outcome


@dataclass(frozen=True)
class Recorded:
    manifest_id: uuid.UUID
    at: datetime
    people: tuple[Person, ...]
    counts: dict[str, int]
    reason: str | None = None


def test_an_event_is_its_fields_nested_as_plain_values() -> None:
    manifest, person = uuid.UUID(int=1), uuid.UUID(int=2)
    at = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    event = Recorded(manifest, at, (Person(person, Outcome.RECEIVED),), {"received": 1})

    detail = event_detail(event)

    assert detail == {
        "manifest_id": manifest,
        "at": at,
        "people": [{"id": person, "outcome": Outcome.RECEIVED}],
        "counts": {"received": 1},
        "reason": None,
    }
    # As stored (`audit.rows`: JSON, unknown values as text).
    assert json.loads(json.dumps(detail, default=str)) == {
        "manifest_id": "00000000-0000-0000-0000-000000000001",
        "at": "2026-12-08 08:00:00+00:00",
        "people": [{"id": "00000000-0000-0000-0000-000000000002", "outcome": "received"}],
        "counts": {"received": 1},
        "reason": None,
    }
