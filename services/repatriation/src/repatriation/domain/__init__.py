"""The repatriation domain: land-repatriation manifests under the 2006 Memorandum.

Pure Python (stdlib only; import-linter enforces it). Public surface, re-exported here:

- `Manifest` (model.py): the aggregate. `Manifest.create(...)` makes a draft; its methods
  `add_returnee`, `remove_returnee`, `submit`, `dispatch`, `cancel`, `confirm_nationality`,
  `reject_nationality`, `record_handovers` / `record_handover`, `record_protection_need`
  (protection.py: a need found later takes the person off), `sign_handover_record`
  (handover_record.py: each side signs the closed record, or objects) enforce DOMAIN.md §1, bump
  `version` and append events to `manifest.events`. Value objects `Vehicle`, `HandoverItem`,
  `HandoverTotals`; `format_reference` for ``MX-GT-2026-000123``.
- `Returnee`, `ReturneeData` and their value objects (returnee.py).
- `ManifestStatus` (status.py).
- Reference data (reference_data.py): `ReceptionPoint`, `ReceptionWindow`, `Agreement`,
  `NoticeRule`, bundled in `ReferenceData`; seed values in `seed.py`.
- `commands` (commands.py), `events` (events.py), errors (errors.py: `ManifestError` with
  `kind` invalid/conflict/not_found, `rule`, `field`).
"""

from repatriation.domain.errors import ManifestError
from repatriation.domain.handover_record import (
    ArrivedPerson,
    HandoverSignature,
    Objection,
    Side,
    UnlistedArrival,
)
from repatriation.domain.model import (
    HandoverItem,
    HandoverTotals,
    Manifest,
    OnRecord,
    Vehicle,
    format_reference,
)
from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind, ProtectionRemoval
from repatriation.domain.reference_data import (
    DEFAULT_ADVANCE_NOTICE,
    MONDAY_TO_SATURDAY,
    Agreement,
    NoticeRule,
    ReceptionPoint,
    ReceptionWindow,
    ReferenceData,
)
from repatriation.domain.returnee import (
    Handover,
    HandoverOutcome,
    IdentityDocument,
    NationalityStatus,
    RefusalReason,
    Returnee,
    ReturneeData,
    Sex,
    Vulnerabilities,
)
from repatriation.domain.status import ManifestStatus

__all__ = [
    "DEFAULT_ADVANCE_NOTICE",
    "MONDAY_TO_SATURDAY",
    "Agreement",
    "ArrivedPerson",
    "FamilyChoice",
    "Handover",
    "HandoverItem",
    "HandoverOutcome",
    "HandoverSignature",
    "HandoverTotals",
    "IdentityDocument",
    "Manifest",
    "ManifestError",
    "ManifestStatus",
    "NationalityStatus",
    "NoticeRule",
    "Objection",
    "OnRecord",
    "ProtectionNeedKind",
    "ProtectionRemoval",
    "ReceptionPoint",
    "ReceptionWindow",
    "ReferenceData",
    "RefusalReason",
    "Returnee",
    "ReturneeData",
    "Sex",
    "Side",
    "UnlistedArrival",
    "Vehicle",
    "Vulnerabilities",
    "format_reference",
]
