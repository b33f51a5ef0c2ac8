"""Base classes and the registry of event contracts."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """The `data` of one event type. Subclasses set `event_type` (= NATS subject)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    # Every payload carries the aggregate version so consumers can drop stale updates.
    version: int

    @classmethod
    def example(cls) -> dict[str, Any]:
        """The first of `json_schema_extra["examples"]`: every contract must have one."""
        extra = cls.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if not isinstance(examples, list) or not examples or not isinstance(examples[0], dict):
            raise LookupError(f"{cls.__name__} has no example")
        return dict(examples[0])


REGISTRY: dict[str, type[EventData]] = {}


def register(cls: type[EventData]) -> type[EventData]:
    """Class decorator: makes an event type known to `make contracts` and to consumers."""
    if cls.event_type in REGISTRY and REGISTRY[cls.event_type] is not cls:
        raise ValueError(f"event type {cls.event_type} registered twice")
    REGISTRY[cls.event_type] = cls
    return cls


def context_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]
