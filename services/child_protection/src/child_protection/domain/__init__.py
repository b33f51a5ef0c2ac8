"""The child_protection domain: unaccompanied-child cases under the RCM Regional Guidelines.

Pure Python, no I/O, no clock: every instant is passed in (aware, stored as UTC).

Public surface (import from here):

- `ChildCase` (aggregate, `model.py`): `ChildCase.open(...)`, one method per command, `stage`,
  `deadlines(now)`, `summary(now)`, `check_deadlines(now)`, `access`, `is_visible_to(actor)`,
  `may_read_sensitive(actor)`, `may_read_audit(actor)`, `check_may_act(actor, Acting…)` (404
  then 403, on plain attributes); `events` collects what happened.
- `SensitiveSections` (`sensitive.py`): everything narrative, to be encrypted and audited on read.
- `Actor` (`actors.py`): the caller, built from the token.
- `DeadlineRule`, `Deadline`, `compute_deadlines` (`deadlines.py`): per-country deadlines.
- `ReceptionPoint` and the other value objects (`values.py`), `Stage` (`stages.py`).
- `commands`, `events`, `errors`: modules of their own; errors carry `kind`, `rule`, `field`.
"""

from child_protection.domain.actors import (
    CHILD_PROTECTION_OFFICER,
    CHILD_PROTECTION_SUPERVISOR,
    CONSULAR_OFFICER,
    Actor,
)
from child_protection.domain.deadlines import Deadline, DeadlineRule, compute_deadlines
from child_protection.domain.errors import CaseError
from child_protection.domain.model import Acting, CaseSummary, ChildCase, format_reference
from child_protection.domain.records import (
    AuthorityNotification,
    Closure,
    Determination,
    Reception,
    ReturnPlan,
)
from child_protection.domain.sensitive import (
    Bia,
    BidRecord,
    BidReview,
    FollowUp,
    Interview,
    OriginAssessment,
    ProtectionDecision,
    ProtectionIndicators,
    ProtectionMeasure,
    RiskAssessment,
    Screening,
    SensitiveSections,
    TracingRecord,
)
from child_protection.domain.stages import Stage
from child_protection.domain.values import (
    Accompaniment,
    BidDecision,
    Caregiver,
    Child,
    ChildViewsAbsentReason,
    FamilyContact,
    MeasureKind,
    Place,
    ReceptionPoint,
    Sex,
)

__all__ = [
    "CHILD_PROTECTION_OFFICER",
    "CHILD_PROTECTION_SUPERVISOR",
    "CONSULAR_OFFICER",
    "Accompaniment",
    "Acting",
    "Actor",
    "AuthorityNotification",
    "Bia",
    "BidDecision",
    "BidRecord",
    "BidReview",
    "Caregiver",
    "CaseError",
    "CaseSummary",
    "Child",
    "ChildCase",
    "ChildViewsAbsentReason",
    "Closure",
    "Deadline",
    "DeadlineRule",
    "Determination",
    "FamilyContact",
    "FollowUp",
    "Interview",
    "MeasureKind",
    "OriginAssessment",
    "Place",
    "ProtectionDecision",
    "ProtectionIndicators",
    "ProtectionMeasure",
    "Reception",
    "ReceptionPoint",
    "ReturnPlan",
    "RiskAssessment",
    "Screening",
    "SensitiveSections",
    "Sex",
    "Stage",
    "TracingRecord",
    "compute_deadlines",
    "format_reference",
]
