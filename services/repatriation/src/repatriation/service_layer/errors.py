"""Refusals of the service layer (beyond the domain's own `ManifestError`s)."""

from __future__ import annotations

import uuid

from repatriation.domain.errors import InvalidSchedule, ManifestInvalid


class UnknownManifest(Exception):
    """No manifest with this id. The API answers 404 (as for one the caller may not see); a
    consumer records the event as rejected for good."""

    def __init__(self, manifest_id: uuid.UUID) -> None:
        super().__init__(f"no manifest {manifest_id}")
        self.manifest_id = manifest_id


class NotAReceivingCountry(ManifestInvalid):
    default_rule = "not_a_receiving_country"
    default_field = "receiving_country"

    def __init__(self, country: str) -> None:
        super().__init__(
            f"{country} has no official reception point under the Memorandum: use a country "
            "listed by GET /v1/reception-points."
        )


class ArrivalInPast(InvalidSchedule):
    def __init__(self) -> None:
        super().__init__(
            "The scheduled arrival is already past: plan a future arrival.",
            rule="arrival_in_past",
            field="scheduled_arrival",
        )
