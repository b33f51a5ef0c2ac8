"""The event envelope: CloudEvents 1.0 attribute names, JSON body, `traceparent` in headers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "specversion": "1.0",
                    "id": "0190f3c2-6a4e-7b7c-9d1e-2f3a4b5c6d7e",
                    "type": "repatriation.manifest.submitted.v1",
                    "source": "puebla/repatriation",
                    "subject": "0190f3c2-0000-7000-8000-000000000001",
                    "time": "2026-11-26T10:00:00Z",
                    "datacontenttype": "application/json",
                    "dataschema": (
                        "puebla:contracts/events/repatriation/"
                        "repatriation.manifest.submitted.v1.schema.json"
                    ),
                    "correlationid": "3b1d5c8e-1111-4222-8333-944455556666",
                    "causationid": None,
                    "access": ["MX", "GT"],
                    "data": {"version": 2},
                }
            ]
        },
    )

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID  # UUIDv7; also the Nats-Msg-Id and the consumer's inbox key
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$")
    source: str
    subject: str  # the aggregate id
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    correlationid: str | None = None
    causationid: str | None = None
    # Country codes (ISO 3166-1 alpha-2) whose authorities may see the data. IOM-only data
    # carries ["IOM"]. Consumers store the label and enforce it on what they derive.
    access: list[str]
    data: dict[str, Any]


class IncomingEnvelope(Envelope):
    """What a consumer accepts: unknown attributes are ignored, not fatal."""

    model_config = ConfigDict(extra="ignore")


def dataschema_for(event_type: str) -> str:
    context = event_type.split(".", 1)[0]
    return f"puebla:contracts/events/{context}/{event_type}.schema.json"


def make_envelope(
    *,
    event_id: uuid.UUID,
    event_type: str,
    source: str,
    subject: str,
    time: datetime,
    access: list[str],
    data: dict[str, Any],
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> Envelope:
    return Envelope(
        id=event_id,
        type=event_type,
        source=source,
        subject=subject,
        time=time,
        dataschema=dataschema_for(event_type),
        correlationid=correlation_id,
        causationid=causation_id,
        access=sorted(set(access)),
        data=data,
    )
