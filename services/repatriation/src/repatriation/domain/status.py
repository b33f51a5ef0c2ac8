"""The manifest's lifecycle (DOMAIN.md §1, "Lifecycle"):

    draft → submitted → dispatched → arrived → closed
      └──────────┴──→ cancelled                     (only before the bus leaves)

Kept apart from the aggregate so events and errors can name states without importing it.
"""

from __future__ import annotations

from enum import StrEnum


class ManifestStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# Adding or removing returnees "is allowed until dispatch": the bus has not left yet.
AMENDABLE = frozenset({ManifestStatus.DRAFT, ManifestStatus.SUBMITTED})

# "cancelled from draft or submitted only": once the bus has left, people are on the road and
# every one of them must get a hand-over outcome (a bus that turns back: `not_presented`,
# reason `returned_to_station`); cancelling would void the record of what happened to them.
CANCELLABLE = frozenset({ManifestStatus.DRAFT, ManifestStatus.SUBMITTED})

# Hand-overs happen at the reception point, so only once the bus has left. A closed manifest
# still accepts a repeat of an outcome already recorded (a no-op), never a new one.
HANDOVER_OPEN = frozenset(
    {ManifestStatus.DISPATCHED, ManifestStatus.ARRIVED, ManifestStatus.CLOSED}
)

# Consular decisions are requested at submission and needed before dispatch.
NATIONALITY_OPEN = AMENDABLE
