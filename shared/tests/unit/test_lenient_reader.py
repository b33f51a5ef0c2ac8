"""The tolerant reader: fields a producer added since are ignored at any depth; a known field
missing or mistyped is still refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from puebla.contracts.envelope import IncomingEnvelope
from puebla.contracts.lenient import read_lenient


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Person(Strict):
    name: str


class Data(Strict):
    version: int
    person: Person
    people: list[Person]
    maybe: Person | None = None


def envelope(data: dict[str, object]) -> IncomingEnvelope:
    return IncomingEnvelope.model_validate(
        {
            "specversion": "1.0",
            "id": str(uuid4()),
            "type": "test.thing.happened.v1",
            "source": "puebla/test",
            "subject": "thing-1",
            "time": datetime(2026, 12, 2, tzinfo=UTC).isoformat(),
            "datacontenttype": "application/json",
            "dataschema": "puebla:contracts/events/test/test.thing.happened.v1.schema.json",
            "access": [],
            "data": data,
        }
    )


def test_unknown_fields_are_ignored_at_every_depth() -> None:
    read = read_lenient(
        Data,
        envelope(
            {
                "version": 3,
                "added": 1,
                "person": {"name": "A", "new": True},
                "people": [{"name": "B", "new": 1}],
                "maybe": {"name": "C", "new": "x"},
            }
        ),
    )
    assert read == Data(
        version=3, person=Person(name="A"), people=[Person(name="B")], maybe=Person(name="C")
    )


def test_a_missing_or_mistyped_known_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        read_lenient(Data, envelope({"version": 3, "people": []}))
    with pytest.raises(ValidationError):
        read_lenient(Data, envelope({"version": "three", "person": {"name": "A"}, "people": []}))
