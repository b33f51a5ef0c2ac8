"""repatriation.*.v1 — land-repatriation manifests under the Memorandum.

`access` on every envelope: the sending and the receiving country — except
`repatriation.returnee.protection_need_recorded.v1`, the sending country alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict

from puebla.contracts.base import EventData, register
from puebla.contracts.common import ContractPart, PersonSummary

_MANIFEST: dict[str, Any] = {
    "version": 2,
    "manifest_id": "0190f3c2-0000-7000-8000-000000000001",
    "reference": "MX-GT-2026-000123",
    "sending_country": "MX",
    "receiving_country": "GT",
    "reception_point": "GT-TECUN-UMAN",
    "scheduled_arrival": "2026-12-03T15:00:00Z",
}
_RETURNEE: dict[str, Any] = {
    "returnee_id": "0190f3c2-0000-7000-8000-0000000000a1",
    "person": {
        "given_names": "María José",
        "surnames": "López Pérez",
        "sex": "F",
        "date_of_birth": "1994-05-17",
        "nationality": "GT",
    },
}


def _examples(**extra: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [{**_MANIFEST, **extra}]})


class ReturneeOnManifest(ContractPart):
    returnee_id: uuid.UUID
    person: PersonSummary


class ManifestEventV1(EventData):
    manifest_id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_arrival: AwareDatetime


@register
class ManifestSubmittedV1(ManifestEventV1):
    """The receiving country is notified; a verification request per returnee follows."""

    event_type: ClassVar[str] = "repatriation.manifest.submitted.v1"
    model_config = _examples(
        scheduled_departure="2026-12-03T07:00:00Z",
        late_notice=False,
        late_notice_reason=None,
        returnees=[_RETURNEE],
    )

    scheduled_departure: AwareDatetime
    late_notice: bool
    late_notice_reason: str | None
    returnees: list[ReturneeOnManifest]


@register
class ManifestAmendedV1(ManifestEventV1):
    event_type: ClassVar[str] = "repatriation.manifest.amended.v1"
    model_config = _examples(added=[_RETURNEE], removed=[], removal_reason=None, returnee_count=30)

    added: list[ReturneeOnManifest]
    removed: list[uuid.UUID]
    removal_reason: str | None
    returnee_count: int


@register
class ReturneeProtectionNeedRecordedV1(ManifestEventV1):
    """A protection need (asylum, refugee, fear of return, trafficking) was found after the
    manifest was built: these returnees (the person, and family members who leave with them)
    are off the manifest. `access` is the sending country alone: the receiving country must
    learn nothing of them again, so consular withdraws their verification requests as if they
    had never existed for that nationality. Neither the kind of need nor its note is carried."""

    event_type: ClassVar[str] = "repatriation.returnee.protection_need_recorded.v1"
    model_config = _examples(
        returnee_ids=["0190f3c2-0000-7000-8000-0000000000a1"],
        returnee_count=29,
        recorded_at="2026-12-02T18:00:00Z",
    )

    returnee_ids: list[uuid.UUID]  # every person taken off by this act
    returnee_count: int  # returnees left on the manifest
    recorded_at: AwareDatetime


@register
class ManifestDispatchedV1(ManifestEventV1):
    event_type: ClassVar[str] = "repatriation.manifest.dispatched.v1"
    model_config = _examples(
        returnee_ids=["0190f3c2-0000-7000-8000-0000000000a1"], returnee_count=1
    )

    returnee_ids: list[uuid.UUID]
    returnee_count: int


@register
class ManifestCancelledV1(ManifestEventV1):
    event_type: ClassVar[str] = "repatriation.manifest.cancelled.v1"
    model_config = _examples(reason="Bus broke down", previous_status="submitted")

    reason: str
    previous_status: Literal["draft", "submitted", "dispatched"]


@register
class ManifestClosedV1(ManifestEventV1):
    """Every returnee has an outcome: the totals both countries publish."""

    event_type: ClassVar[str] = "repatriation.manifest.closed.v1"
    model_config = _examples(received=28, not_presented=1, refused=0)

    received: int
    not_presented: int
    refused: int


@register
class ReturneeHandedOverV1(ManifestEventV1):
    """One person's outcome at the reception point. `recorded_at` is the post's time, when
    the officer recorded it there: a post without a link sends its hand-overs later, so it may
    be hours before the envelope's time (when Puebla stored it). Readers that date a hand-over
    use `recorded_at`."""

    event_type: ClassVar[str] = "repatriation.returnee.handed_over.v1"
    model_config = _examples(
        returnee_id="0190f3c2-0000-7000-8000-0000000000a1",
        outcome="received",
        reason=None,
        officer="border.gt.tecun",
        post="GT-TECUN-UMAN",
        recorded_at="2026-12-03T15:20:00Z",
    )

    returnee_id: uuid.UUID
    outcome: Literal["received", "not_presented", "refused"]
    reason: (
        Literal[
            "not_a_national",
            "identity_mismatch",
            "not_on_manifest",
            "medically_unfit",
            "outside_window",
            "returned_to_station",  # not_presented: a bus that turned back
            "other",
        ]
        | None
    )
    officer: str
    post: str
    recorded_at: datetime
