"""The manifest's lifecycle (DOMAIN.md §1, "Lifecycle"):

    draft → submitted → dispatched → arrived → closed
      └──────────┴────────────┴──→ cancelled        (any state before arrived)

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

# "cancelled from any state before arrived": once people are being handed over, the record
# of what happened to each of them must be completed, not voided.
CANCELLABLE = frozenset({ManifestStatus.DRAFT, ManifestStatus.SUBMITTED, ManifestStatus.DISPATCHED})

# Hand-overs happen at the reception point, so only once the bus has left. A closed manifest
# still accepts a repeat of an outcome already recorded (a no-op), never a new one.
HANDOVER_OPEN = frozenset(
    {ManifestStatus.DISPATCHED, ManifestStatus.ARRIVED, ManifestStatus.CLOSED}
)

# Consular decisions are requested at submission and needed before dispatch.
NATIONALITY_OPEN = AMENDABLE
