"""The sensitive sections of a case: everything narrative about the child.

DOMAIN.md §2 names the BIA narrative, health, trafficking indicators, family contacts and the
origin assessment; the other records kept here (protection measures incl. urgent care,
interview and screening notes, risk assessment, BID reasoning, follow-up notes, protection
decisions) carry the same kind of detail, so they are kept with them. Adapters encrypt
`SensitiveSections` as a whole or per attribute; the API serves it only from `/sensitive`, and
every read is audited. Nothing in here is needed to build the case summary.

Assessments validate themselves on construction: a draft (`complete=False`) may have blank
sections; a complete one may not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from child_protection.domain.errors import (
    CaregiverRequired,
    ChildViewsAbsentReasonNotAllowed,
    ChildViewsRequired,
    PanelRequired,
    SectionRequired,
    TracingRecordEmpty,
)
from child_protection.domain.values import (
    BidDecision,
    Caregiver,
    ChildViewsAbsentReason,
    FamilyContact,
    MeasureKind,
    is_blank,
)


def _require(sections: dict[str, str], prefix: str = "") -> None:
    for name, text in sections.items():
        if is_blank(text):
            raise SectionRequired(f"{prefix}{name} must not be blank", field=f"{prefix}{name}")


@dataclass(frozen=True)
class ProtectionIndicators:
    """Flags that block consular contact, and what was observed.

    The flags only ever go from false to true: the consular block they cause is lifted by a host
    supervisor's protection decision, but the facts stay (a trafficking indicator still requires a
    risk assessment before any return after the block is cleared).
    """

    protection_need: bool = False  # fear of return, asylum or refugee application
    trafficking_indicator: bool = False
    details: str = ""  # trafficking indicators observed, circumstances of the protection need


@dataclass(frozen=True)
class ProtectionMeasure:
    kind: MeasureKind
    description: str  # placement, shelter, or the urgent (often medical) care given
    taken_at: datetime
    recorded_by: str

    def __post_init__(self) -> None:
        _require({"description": self.description})


@dataclass(frozen=True)
class Interview:
    conducted_at: datetime
    conducted_by: str
    language: str
    notes: str
    interpreter: str | None = None


@dataclass(frozen=True)
class Screening:
    """International-protection screening: may raise (never lower) the protection flags."""

    screened_at: datetime
    screened_by: str
    protection_need: bool
    trafficking_indicator: bool
    notes: str


@dataclass(frozen=True)
class TracingRecord:
    traced_at: datetime
    recorded_by: str
    actions: tuple[str, ...] = ()
    contacts: tuple[FamilyContact, ...] = ()

    def __post_init__(self) -> None:
        if not any(not is_blank(a) for a in self.actions) and not self.contacts:
            raise TracingRecordEmpty("a tracing record needs an action or a contact")


@dataclass(frozen=True)
class Bia:
    """Best-interests assessment, written by the host caseworker."""

    safety: str  # safety and risks on return
    family: str
    health: str
    education: str
    child_views: str
    child_views_absent_reason: ChildViewsAbsentReason | None
    recommendation: str
    complete: bool
    written_by: str
    written_at: datetime

    def __post_init__(self) -> None:
        views_given = not is_blank(self.child_views)
        if views_given and self.child_views_absent_reason is not None:
            raise ChildViewsAbsentReasonNotAllowed("a reason is only given when views are empty")
        if not self.complete:
            return  # drafts may be partial
        _require(
            {
                "safety": self.safety,
                "family": self.family,
                "health": self.health,
                "education": self.education,
                "recommendation": self.recommendation,
            }
        )
        if not views_given and self.child_views_absent_reason is None:
            raise ChildViewsRequired(
                "the child's views are required, or a reason tied to age or maturity"
            )


@dataclass(frozen=True)
class OriginAssessment:
    """The nationality country's assessment of family, home and the receiving caregiver."""

    family_situation: str
    home_situation: str
    risks_on_return: str
    caregiver: Caregiver | None
    caregiver_agrees_and_able: bool
    complete: bool
    written_by: str
    written_at: datetime

    def __post_init__(self) -> None:
        if self.caregiver_agrees_and_able and self.caregiver is None:
            raise CaregiverRequired("name the caregiver or agency who agrees and is able")
        if self.caregiver is not None:
            _require(
                {"name": self.caregiver.name, "relationship": self.caregiver.relationship},
                prefix="caregiver.",
            )
        if self.complete:
            _require(
                {
                    "family_situation": self.family_situation,
                    "home_situation": self.home_situation,
                    "risks_on_return": self.risks_on_return,
                }
            )

    @property
    def receiving_caregiver_ready(self) -> bool:
        return self.caregiver is not None and self.caregiver_agrees_and_able


@dataclass(frozen=True)
class RiskAssessment:
    """Required before any return plan when a trafficking indicator is set."""

    findings: str
    mitigation: str
    assessed_by: str
    assessed_at: datetime

    def __post_init__(self) -> None:
        _require({"findings": self.findings})


@dataclass(frozen=True)
class BidReview:
    reasons: str
    reviewed_by: str
    reviewed_at: datetime

    def __post_init__(self) -> None:
        _require({"reasons": self.reasons})


@dataclass(frozen=True)
class BidRecord:
    """A best-interests determination in full; `review` is set once a BID review reopened it."""

    decision: BidDecision
    reasons: str
    panel: tuple[str, ...]
    child_views_considered: str  # how the child's views (or their absence) were weighed
    decided_by: str
    decided_at: datetime
    review: BidReview | None = None

    def __post_init__(self) -> None:
        if not any(not is_blank(name) for name in self.panel):
            raise PanelRequired("name the panel members")
        _require({"reasons": self.reasons, "child_views_considered": self.child_views_considered})


@dataclass(frozen=True)
class FollowUp:
    visited_at: datetime
    visited_by: str
    notes: str

    def __post_init__(self) -> None:
        _require({"notes": self.notes})


@dataclass(frozen=True)
class ProtectionDecision:
    """A host supervisor's decision to clear or keep the consular block."""

    clears_block: bool
    reasons: str
    decided_by: str
    decided_at: datetime

    def __post_init__(self) -> None:
        _require({"reasons": self.reasons})


@dataclass
class SensitiveSections:
    indicators: ProtectionIndicators = field(default_factory=ProtectionIndicators)
    protection_measures: list[ProtectionMeasure] = field(default_factory=list)
    interviews: list[Interview] = field(default_factory=list)
    screenings: list[Screening] = field(default_factory=list)
    family_tracing: list[TracingRecord] = field(default_factory=list)
    bia: Bia | None = None
    origin_assessment: OriginAssessment | None = None
    risk_assessment: RiskAssessment | None = None
    bids: list[BidRecord] = field(default_factory=list)  # oldest first; the last is current
    follow_ups: list[FollowUp] = field(default_factory=list)
    protection_decisions: list[ProtectionDecision] = field(default_factory=list)
    closure_reason: str = ""
