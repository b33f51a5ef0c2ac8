"""Request and response bodies of the child_protection API (API.md "child_protection").

Requests refuse unknown fields (`RequestModel`). The summary (`CaseRead`) is what everyone who
may see a case gets; the sensitive sections (`SensitiveRead`) have their own, audited endpoint.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from puebla.http.schemas import (
    BirthDate,
    Code,
    CountryCode,
    LongText,
    Name,
    Page,
    RequestModel,
    ResponseModel,
    ShortText,
)

SexCode = Literal["F", "M", "X"]
StageName = Literal[
    "identified",
    "in_protective_custody",
    "notified",
    "interviewed",
    "screened",
    "family_tracing",
    "assessed",
    "determined",
    "return_planned",
    "handed_over",
    "follow_up",
    "local_protection",
    "asylum_referral",
    "closed",
]
Decision = Literal["return", "stay", "asylum", "third_country"]
Language = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=40)]
# Narrative sections: drafts may leave them blank; the domain decides when they are required.
Narrative = LongText


# --- requests -----------------------------------------------------------------------------------


class ChildIn(RequestModel):
    given_names: Name
    surnames: Name
    sex: SexCode
    date_of_birth: BirthDate | None = None
    estimated_age: Annotated[int, Field(ge=0, le=30)] | None = Field(
        None, description="in years, when no reliable date of birth exists"
    )
    nationality: CountryCode
    languages: list[Language] = Field(default_factory=list, max_length=10)


class PlaceIn(RequestModel):
    country: CountryCode = Field(description="the host country: where the child is")
    state: ShortText | None = None
    city: ShortText | None = None


class CaseCreate(RequestModel):
    child: ChildIn
    identified_at: AwareDatetime
    place: PlaceIn
    accompaniment: Literal["unaccompanied", "separated"]
    age_disputed: bool = False
    protection_need: bool
    trafficking_indicator: bool
    indicator_details: Narrative = Field(
        "", description="sensitive: what was observed (encrypted, read only via /sensitive)"
    )


class ProtectionMeasureCreate(RequestModel):
    kind: Literal["placement", "shelter", "urgent_care"]
    description: Narrative
    taken_at: AwareDatetime | None = Field(None, description="default: now")


class NotificationCreate(RequestModel):
    authority: ShortText = Field(description="e.g. Procuraduría Federal de Protección (PFPNNA)")
    notified_at: AwareDatetime | None = Field(None, description="default: now")


class InterviewCreate(RequestModel):
    conducted_at: AwareDatetime | None = Field(None, description="default: now")
    language: Language
    notes: Narrative
    interpreter: ShortText | None = None


class ScreeningCreate(RequestModel):
    screened_at: AwareDatetime | None = Field(None, description="default: now")
    protection_need: bool
    trafficking_indicator: bool
    notes: Narrative


class FamilyContactIn(RequestModel):
    name: Name
    relationship: ShortText
    contact_details: Annotated[str, StringConstraints(max_length=500)] = ""
    location: Annotated[str, StringConstraints(max_length=200)] = ""


class FamilyTracingCreate(RequestModel):
    traced_at: AwareDatetime | None = Field(None, description="default: now")
    actions: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(
        default_factory=list, max_length=50
    )
    contacts: list[FamilyContactIn] = Field(default_factory=list, max_length=50)


class BiaWrite(RequestModel):
    safety: Narrative
    family: Narrative
    health: Narrative
    education: Narrative
    child_views: Narrative
    child_views_absent_reason: Literal["too_young", "maturity"] | None = None
    recommendation: Narrative
    complete: bool


class CaregiverIn(RequestModel):
    name: Name
    relationship: ShortText


class OriginAssessmentWrite(RequestModel):
    family_situation: Narrative
    home_situation: Narrative
    risks_on_return: Narrative
    caregiver: CaregiverIn | None = None
    caregiver_agrees_and_able: bool
    complete: bool


class RiskAssessmentWrite(RequestModel):
    findings: Narrative
    mitigation: Narrative = ""
    assessed_at: AwareDatetime | None = Field(None, description="default: now")


class BidCreate(RequestModel):
    decision: Decision
    reasons: Narrative
    panel: list[Name] = Field(min_length=1, max_length=20)
    child_views_considered: Narrative


class BidReviewCreate(RequestModel):
    reasons: Narrative


class ReturnPlanCreate(RequestModel):
    reception_point: Code
    scheduled_at: AwareDatetime
    escort: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ReceptionCreate(RequestModel):
    received_at: AwareDatetime
    received_by_institution: ShortText


class FollowUpCreate(RequestModel):
    visited_at: AwareDatetime | None = Field(None, description="default: now")
    notes: Narrative


class ProtectionDecisionCreate(RequestModel):
    clear_block: bool = Field(description="true: the consulate may now be notified")
    reasons: Narrative


class CaseClose(RequestModel):
    reason: Narrative


# --- responses ----------------------------------------------------------------------------------


class ChildRead(ResponseModel):
    given_names: str
    surnames: str
    sex: SexCode
    date_of_birth: date | None
    estimated_age: int | None
    age: int = Field(description="whole years today (date of birth, else the estimate)")
    age_disputed: bool
    languages: list[str]


class DeadlineRead(ResponseModel):
    stage: StageName
    due_at: datetime
    overdue: bool
    met_at: datetime | None


class BidSummary(ResponseModel):
    decision: Decision


class CaseRead(ResponseModel):
    id: uuid.UUID
    reference: str
    version: int
    stage: StageName
    host_country: str
    nationality: str
    child: ChildRead
    deadlines: list[DeadlineRead]
    bid: BidSummary | None
    blocked_for_consulate: bool


CasePage = Page[CaseRead]


class IndicatorsRead(ResponseModel):
    protection_need: bool
    trafficking_indicator: bool
    details: str


class ProtectionMeasureRead(ResponseModel):
    kind: str
    description: str
    taken_at: datetime
    recorded_by: str


class InterviewRead(ResponseModel):
    conducted_at: datetime
    conducted_by: str
    language: str
    notes: str
    interpreter: str | None


class ScreeningRead(ResponseModel):
    screened_at: datetime
    screened_by: str
    protection_need: bool
    trafficking_indicator: bool
    notes: str


class FamilyContactRead(ResponseModel):
    name: str
    relationship: str
    contact_details: str
    location: str


class TracingRead(ResponseModel):
    traced_at: datetime
    recorded_by: str
    actions: list[str]
    contacts: list[FamilyContactRead]


class BiaRead(ResponseModel):
    safety: str
    family: str
    health: str
    education: str
    child_views: str
    child_views_absent_reason: str | None
    recommendation: str
    complete: bool
    written_by: str
    written_at: datetime


class CaregiverRead(ResponseModel):
    name: str
    relationship: str


class OriginAssessmentRead(ResponseModel):
    family_situation: str
    home_situation: str
    risks_on_return: str
    caregiver: CaregiverRead | None
    caregiver_agrees_and_able: bool
    complete: bool
    written_by: str
    written_at: datetime


class RiskAssessmentRead(ResponseModel):
    findings: str
    mitigation: str
    assessed_by: str
    assessed_at: datetime


class BidReviewRead(ResponseModel):
    reasons: str
    reviewed_by: str
    reviewed_at: datetime


class BidRead(ResponseModel):
    decision: Decision
    reasons: str
    panel: list[str]
    child_views_considered: str
    decided_by: str
    decided_at: datetime
    review: BidReviewRead | None


class FollowUpRead(ResponseModel):
    visited_at: datetime
    visited_by: str
    notes: str


class ProtectionDecisionRead(ResponseModel):
    clears_block: bool
    reasons: str
    decided_by: str
    decided_at: datetime


class SensitiveRead(ResponseModel):
    """Every sensitive section. Each read of this is in the case's audit trail."""

    case_id: uuid.UUID
    reference: str
    version: int
    indicators: IndicatorsRead
    protection_measures: list[ProtectionMeasureRead]
    interviews: list[InterviewRead]
    screenings: list[ScreeningRead]
    family_tracing: list[TracingRead]
    bia: BiaRead | None
    origin_assessment: OriginAssessmentRead | None
    risk_assessment: RiskAssessmentRead | None
    bids: list[BidRead]
    follow_ups: list[FollowUpRead]
    protection_decisions: list[ProtectionDecisionRead]
    closure_reason: str


class AuditEntryRead(ResponseModel):
    id: uuid.UUID
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: Literal["child_case"] = "child_case"
    entity_id: uuid.UUID
    detail: dict[str, Any]
    correlation_id: str | None


AuditPage = Page[AuditEntryRead]
