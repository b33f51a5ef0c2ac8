"""consular.*.v1 — notifications and nationality verification.

`access`: the host country and the person's nationality.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from puebla.contracts.base import EventData, register
from puebla.contracts.common import Related

_DECISION: dict[str, Any] = {
    "version": 2,
    "verification_id": "0190f3c2-0000-7000-8000-0000000000c1",
    "related": {
        "service": "repatriation",
        "id": "0190f3c2-0000-7000-8000-000000000001",
        "subject_id": "0190f3c2-0000-7000-8000-0000000000a1",
    },
    "claimed_nationality": "GT",
    "decided_by": "consul.gt.tapachula",
    "decided_at": "2026-12-02T16:00:00Z",
}


class NationalityDecisionV1(EventData):
    verification_id: uuid.UUID
    related: Related
    claimed_nationality: str = Field(pattern=r"^[A-Z]{2}$")
    decided_by: str
    decided_at: AwareDatetime
    reason: str | None = None


@register
class NationalityConfirmedV1(NationalityDecisionV1):
    event_type: ClassVar[str] = "consular.nationality.confirmed.v1"
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION]})


@register
class NationalityRejectedV1(NationalityDecisionV1):
    event_type: ClassVar[str] = "consular.nationality.rejected.v1"
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_DECISION, "reason": "Not a Guatemalan national"}]}
    )

    reason: str


_NOTIFICATION: dict[str, Any] = {
    "version": 3,
    "notification_id": "0190f3c2-0000-7000-8000-0000000000d1",
    "kind": "repatriation_notice",
    "nationality": "GT",
    "host_country": "MX",
    "consular_post": "GT-CONS-TAPACHULA",
    "related": {"service": "repatriation", "id": "0190f3c2-0000-7000-8000-000000000001"},
}

NotificationKind = Literal[
    "detention",
    "death",
    "minor_guardianship",
    "accident",
    "repatriation_notice",
    "repatriation_cancellation",
    "child_case",
    "reserve_fund_return",
]


class NotificationEventV1(EventData):
    notification_id: uuid.UUID
    kind: NotificationKind
    nationality: str
    host_country: str
    consular_post: str
    related: Related | None


@register
class NotificationAcknowledgedV1(NotificationEventV1):
    event_type: ClassVar[str] = "consular.notification.acknowledged.v1"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_NOTIFICATION,
                    "acknowledged_by": "consul.gt.tapachula",
                    "acknowledged_at": "2026-12-02T09:00:00Z",
                }
            ]
        }
    )

    acknowledged_by: str
    acknowledged_at: AwareDatetime


@register
class NotificationOverdueV1(NotificationEventV1):
    """Escalation: the notification was not sent or not acknowledged in time."""

    event_type: ClassVar[str] = "consular.notification.overdue.v1"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_NOTIFICATION, "overdue": "acknowledgment", "due_at": "2026-12-05T09:00:00Z"}
            ]
        }
    )

    overdue: Literal["sending", "acknowledgment"]
    due_at: AwareDatetime
