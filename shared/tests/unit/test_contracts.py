"""Every contract's committed schema accepts its committed example, and refuses extras."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from puebla.contracts.base import REGISTRY, context_of
from puebla.contracts.envelope import Envelope, IncomingEnvelope

CONTRACTS = Path(__file__).parents[3] / "contracts" / "events"


def load_registry() -> None:
    import importlib
    import pkgutil

    import puebla.contracts

    for module in pkgutil.walk_packages(puebla.contracts.__path__, "puebla.contracts."):
        importlib.import_module(module.name)


load_registry()
EVENT_TYPES = sorted(REGISTRY)


def test_the_registry_holds_the_contracted_events() -> None:
    # API.md's minimum list for the contexts that exist so far.
    for required in [
        "repatriation.manifest.submitted.v1",
        "repatriation.manifest.amended.v1",
        "repatriation.manifest.dispatched.v1",
        "repatriation.manifest.cancelled.v1",
        "repatriation.manifest.closed.v1",
        "repatriation.returnee.handed_over.v1",
        "consular.nationality.confirmed.v1",
        "consular.nationality.rejected.v1",
        "consular.notification.acknowledged.v1",
        "consular.notification.overdue.v1",
    ]:
        assert required in REGISTRY


@pytest.mark.parametrize("event_type", EVENT_TYPES)
class TestEachContract:
    def test_committed_example_satisfies_committed_schema(self, event_type: str) -> None:
        folder = CONTRACTS / context_of(event_type)
        schema = json.loads((folder / f"{event_type}.schema.json").read_text())
        example = json.loads((folder / f"{event_type}.example.json").read_text())
        jsonschema.validate(example, schema)
        REGISTRY[event_type].model_validate(example)

    def test_producer_model_refuses_unknown_fields(self, event_type: str) -> None:
        model = REGISTRY[event_type]
        with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
            model.model_validate({**model.example(), "surprise": 1})


class TestEnvelope:
    def test_example_satisfies_schema(self) -> None:
        schema = json.loads((CONTRACTS / "envelope.schema.json").read_text())
        example = json.loads((CONTRACTS / "envelope.example.json").read_text())
        jsonschema.validate(example, schema)
        Envelope.model_validate(example)

    def test_consumers_ignore_unknown_attributes_producers_refuse_them(self) -> None:
        example = json.loads((CONTRACTS / "envelope.example.json").read_text())
        example["newattribute"] = "x"
        IncomingEnvelope.model_validate(example)
        with pytest.raises(ValidationError):
            Envelope.model_validate(example)

    def test_type_must_look_like_a_subject(self) -> None:
        example = json.loads((CONTRACTS / "envelope.example.json").read_text())
        example["type"] = "Repatriation Manifest Submitted"
        with pytest.raises(ValidationError):
            Envelope.model_validate(example)
