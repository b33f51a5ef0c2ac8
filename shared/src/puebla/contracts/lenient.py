"""The tolerant reader of every consumer: an event's data read with the producer's model.

A producer may add fields to a contract (a minor version); a consumer built against the older
model must still read it. `read_lenient` drops every key the model (and each nested model)
does not declare before validating, so an unknown field — however deep — is ignored, while a
missing or mistyped known field is still refused (pydantic `ValidationError`, which the
consumer parks as a dead letter)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from puebla.contracts.envelope import IncomingEnvelope

M = TypeVar("M", bound=BaseModel)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _strip(model: type[BaseModel], data: Any) -> Any:
    """`data` without the keys `model` (and its nested models) does not declare."""
    if not isinstance(data, Mapping):
        return data
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        out[key] = _strip_value(field.annotation, data[key])
    return out


def _strip_value(annotation: Any, value: Any) -> Any:
    nested = _model_in(annotation)
    if nested is not None:
        return _strip(nested, value)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args and isinstance(value, list):
        inner = _model_in(args[0])
        return [_strip(inner, v) for v in value] if inner else value
    if origin in (typing.Union, types.UnionType):
        models = [m for m in (_model_in(a) for a in args) if m is not None]
        if len(models) == 1 and isinstance(value, Mapping):
            return _strip(models[0], value)
    return value


def read_lenient(model: type[M], envelope: IncomingEnvelope) -> M:
    """The event's data read with the producer's contract model; unknown fields ignored, a
    missing or mistyped known field refused (pydantic `ValidationError`)."""
    return model.model_validate(_strip(model, envelope.data))
