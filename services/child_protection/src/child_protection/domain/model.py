"""The `ChildCase` aggregate: one unaccompanied or separated child, two countries, one case.

How a case moves (see `stages.py` for the picture):

- Opening puts it at `identified`. Before the BID, each first act is a milestone and the stage is
  the furthest one reached: a protection measure → `in_protective_custody`, the host authority's
  notification → `notified`, an interview → `interviewed`, a screening → `screened`, a tracing
  record → `family_tracing`, a *complete* BIA → `assessed`. These acts may come in any order.
- The BID moves it to `determined` (return, third country), or straight to `local_protection`
  (stay) or `asylum_referral` (asylum). A BID review sends it back to `assessed` and cancels any
  return plan built on the superseded decision.
- Return path: return plan → `return_planned`; reception by the origin authority →
  `handed_over`; first follow-up → `follow_up`; closing → `closed`.
- Protection measures and the risk assessment may be recorded at every stage short of `closed`
  (urgent protection never waits for a pending BID). A closed case takes no more writes.

Every method takes the `Actor` and refuses, in this order: an actor who may not see the case
(`CaseNotVisible`), one who may see it but not do this (403 kind), a closed case, invalid input,
then the gates of the Guidelines. Nothing is changed when a method raises. Every successful
change increments `version` and appends events to `events`, which the unit of work collects.

Persistence: `sensitive` holds all narrative sections and is meant to be encrypted; every other
attribute is plain. `stage` is derived — store it as a denormalised column if queries need it.
A repository that rebuilds a case without `__init__` must set `events = []`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import TypedDict
from uuid import UUID

from child_protection.domain import errors
from child_protection.domain.actors import Actor
from child_protection.domain.deadlines import Deadline, DeadlineRule, compute_deadlines
from child_protection.domain.events import (
    AuthorityNotified,
    BiaWritten,
    BidReopened,
    CaseClosed,
    CaseDetermined,
    CaseEvent,
    CaseOpened,
    CaseReturned,
    ConsularBlockCleared,
    ConsularBlockSet,
    FamilyTracingRecorded,
    FollowUpRecorded,
    InterviewRecorded,
    OriginAssessmentWritten,
    ProtectionDecisionRecorded,
    ProtectionDecisionRequired,
    ProtectionMeasureRecorded,
    ReturnPlanned,
    RiskAssessmentRecorded,
    ScreeningRecorded,
    StageOverdue,
)
from child_protection.domain.gates import check_bid_allowed, check_return_allowed
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
from child_protection.domain.stages import BEFORE_DETERMINATION, Stage
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
    as_utc,
    check_country,
    is_blank,
)

# Decisions that end the case in the host country get their own stage at once.
_STAGE_AFTER_DECISION = {
    BidDecision.STAY: Stage.LOCAL_PROTECTION,
    BidDecision.ASYLUM: Stage.ASYLUM_REFERRAL,
}


def format_reference(host_country: str, year: int, sequence: int) -> str:
    """The human reference of a case, e.g. `CP-MX-2026-000042` (sequence per host and year)."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"CP-{host_country}-{year:04d}-{sequence:06d}"


@dataclass(frozen=True)
class CaseSummary:
    """What anyone who may see the case is shown. Built from plain attributes only."""

    id: UUID
    reference: str
    version: int
    stage: Stage
    host_country: str
    nationality: str
    child: Child
    age_disputed: bool
    deadlines: tuple[Deadline, ...]
    bid_decision: BidDecision | None
    blocked_for_consulate: bool


class Acting(Enum):
    """Whom a write on a case is reserved to (POLICY.md "Unaccompanied-child cases")."""

    HOST_OFFICER = "host_officer"  # measures, interviews, screening, tracing, BIA, return plan
    NATIONALITY_OFFICER = "nationality_officer"  # origin assessment, reception, follow-up
    HOST_SUPERVISOR = "host_supervisor"  # BID, BID review, protection decision
    CLOSING_AUTHORITY = "closing_authority"  # the host; after the return, the nationality


class _Common(TypedDict):
    case_id: UUID
    reference: str
    version: int
    stage: Stage
    access: tuple[str, ...]
    occurred_at: datetime
    actor: str | None


@dataclass(eq=False)
class ChildCase:
    # --- identity (summary) ---
    id: UUID
    reference: str
    host_country: str
    nationality: str
    child: Child
    age_disputed: bool
    identified_at: datetime
    place: Place
    accompaniment: Accompaniment
    opened_at: datetime
    opened_by: str
    deadline_rule: DeadlineRule
    # --- narrative, to be encrypted ---
    sensitive: SensitiveSections
    # --- progress and outcomes (plain) ---
    blocked_for_consulate: bool = False
    reached: dict[Stage, datetime] = field(default_factory=dict)  # milestone → first recorded
    notifications: list[AuthorityNotification] = field(default_factory=list)
    determination: Determination | None = None
    return_plan: ReturnPlan | None = None
    reception: Reception | None = None
    closure: Closure | None = None
    overdue_reported: set[Stage] = field(default_factory=set)
    version: int = 0
    events: list[CaseEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChildCase) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # ------------------------------------------------------------------------------------------
    # Opening
    # ------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        case_id: UUID,
        reference: str,
        actor: Actor,
        host_country: str,
        nationality: str,
        child: Child,
        identified_at: datetime,
        place: Place,
        accompaniment: Accompaniment,
        age_disputed: bool,
        protection_need: bool,
        trafficking_indicator: bool,
        indicator_details: str = "",
        opened_at: datetime,
        deadline_rule: DeadlineRule | None = None,
    ) -> ChildCase:
        check_country(host_country, "place.country")
        check_country(nationality, "child.nationality")
        if not actor.is_officer_of(host_country):
            raise errors.OnlyHostOfficer(
                "only a child-protection officer of the host country opens"
            )
        if nationality == host_country:
            raise errors.NationalityIsHostCountry("the child is a national of the host country")
        if place.country != host_country:
            raise errors.PlaceNotInHostCountry("the child was identified in the host country")
        identified_at = as_utc(identified_at, "identified_at")
        opened_at = as_utc(opened_at, "opened_at")
        if identified_at > opened_at:
            raise errors.IdentifiedAfterOpening("a child is identified before the case is opened")
        if not child.is_treated_as_child(identified_at.date(), age_disputed=age_disputed):
            raise errors.NotAChild("an adult whose age is not disputed is not a child case")
        rule = deadline_rule if deadline_rule is not None else DeadlineRule(host_country)
        if rule.country != host_country:
            raise ValueError("the deadline rule must be the host country's")

        blocked = protection_need or trafficking_indicator
        case = cls(
            id=case_id,
            reference=reference,
            host_country=host_country,
            nationality=nationality,
            child=child,
            age_disputed=age_disputed,
            identified_at=identified_at,
            place=place,
            accompaniment=accompaniment,
            opened_at=opened_at,
            opened_by=actor.username,
            deadline_rule=rule,
            sensitive=SensitiveSections(
                indicators=ProtectionIndicators(
                    protection_need=protection_need,
                    trafficking_indicator=trafficking_indicator,
                    details=indicator_details,
                )
            ),
            blocked_for_consulate=blocked,
            reached={Stage.IDENTIFIED: identified_at},
        )
        case.version = 1
        case._emit(
            CaseOpened(
                **case._common(opened_at, actor),
                host_country=host_country,
                nationality=nationality,
                child=child,
                age_disputed=age_disputed,
                identified_at=identified_at,
                place=place,
                accompaniment=accompaniment,
                blocked_for_consulate=blocked,
                notify_consulate=not blocked,
            )
        )
        if blocked:
            case._alert_host_supervisor(opened_at, actor)
        return case

    # ------------------------------------------------------------------------------------------
    # Who sees what (POLICY.md "Unaccompanied-child cases" and the protection exception)
    # ------------------------------------------------------------------------------------------

    @property
    def access(self) -> tuple[str, ...]:
        """Countries whose authorities may see the case: host only while blocked."""
        if self.blocked_for_consulate:
            return (self.host_country,)
        return (self.host_country, self.nationality)

    def is_visible_to(self, actor: Actor) -> bool:
        """May `actor` see that the case exists and read its summary? Otherwise answer 404."""
        if actor.works_in_child_protection_for(self.host_country):
            return True
        if self.blocked_for_consulate:
            return False
        return actor.works_in_child_protection_for(self.nationality) or actor.is_consul_of(
            self.nationality
        )

    def may_read_sensitive(self, actor: Actor) -> bool:
        """Child-protection roles of the countries in `access`; never consular officers."""
        return any(actor.works_in_child_protection_for(country) for country in self.access)

    def may_read_audit(self, actor: Actor) -> bool:
        return actor.is_supervisor_of(self.host_country)

    def check_may_act(self, actor: Actor, acting: Acting) -> None:
        """Visibility (`CaseNotVisible`, 404), then permission (403) for a write reserved to
        `acting` — decided from plain attributes only, so that it can run on the unlocked row
        with the sections still sealed, before anything is locked, decrypted or validated."""
        self._require_visible(actor)
        if acting is Acting.HOST_OFFICER and not actor.is_officer_of(self.host_country):
            raise errors.OnlyHostOfficer("only a child-protection officer of the host country")
        if acting is Acting.NATIONALITY_OFFICER and not actor.is_officer_of(self.nationality):
            raise errors.OnlyNationalityOfficer(
                "only a child-protection officer of the child's nationality"
            )
        if acting is Acting.HOST_SUPERVISOR and not actor.is_supervisor_of(self.host_country):
            raise errors.OnlyHostSupervisorDecides(
                "only a child-protection supervisor of the host country decides"
            )
        if acting is Acting.CLOSING_AUTHORITY:
            closing_country = self.closing_country
            if not actor.works_in_child_protection_for(closing_country):
                raise errors.OnlyClosingAuthorityCloses(
                    f"only child protection of {closing_country} closes this case"
                )

    @property
    def closing_country(self) -> str:
        """Whose child protection closes the case: the host's, until the child was received in
        the country of origin; from then on the nationality's."""
        return self.nationality if self.reception is not None else self.host_country

    def check_open(self) -> None:
        """A closed case takes no more writes (409)."""
        self._require_open()

    # ------------------------------------------------------------------------------------------
    # Stage, deadlines, summary (plain attributes only)
    # ------------------------------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        if self.closure is not None:
            return Stage.CLOSED
        if self.reception is not None:
            return Stage.FOLLOW_UP if Stage.FOLLOW_UP in self.reached else Stage.HANDED_OVER
        if self.return_plan is not None:
            return Stage.RETURN_PLANNED
        if self.determination is not None:
            return _STAGE_AFTER_DECISION.get(self.determination.decision, Stage.DETERMINED)
        for stage in reversed(BEFORE_DETERMINATION):
            if stage in self.reached:
                return stage
        return Stage.IDENTIFIED

    def deadlines(self, now: datetime) -> tuple[Deadline, ...]:
        """Each stage's due time and whether it is overdue at `now`.

        A closed case is frozen at its closing time: what was overdue then stays shown as
        overdue, nothing becomes overdue afterwards.
        """
        at = as_utc(now, "now")
        if self.closure is not None:
            at = min(at, self.closure.closed_at)
        return compute_deadlines(self.deadline_rule, self.identified_at, self.reached, at)

    @property
    def overdue_after(self) -> datetime | None:
        """The instant after which the case is overdue: the earliest due time of a stage whose
        act is still missing (None: every deadline met). A closed case is overdue if that instant
        lies before its closing. Due times do not depend on the clock, so this can be stored and
        filtered on."""
        missing = [d.due_at for d in self.deadlines(self.identified_at) if d.met_at is None]
        return min(missing) if missing else None

    def summary(self, now: datetime) -> CaseSummary:
        return CaseSummary(
            id=self.id,
            reference=self.reference,
            version=self.version,
            stage=self.stage,
            host_country=self.host_country,
            nationality=self.nationality,
            child=self.child,
            age_disputed=self.age_disputed,
            deadlines=self.deadlines(now),
            bid_decision=None if self.determination is None else self.determination.decision,
            blocked_for_consulate=self.blocked_for_consulate,
        )

    def check_deadlines(self, now: datetime) -> None:
        """Emit `StageOverdue` for each stage newly found overdue; never twice for a stage,
        never for a stage whose act is recorded, never on a closed case."""
        now = as_utc(now, "now")
        if self.closure is not None:
            return
        newly_overdue = [
            d for d in self.deadlines(now) if d.overdue and d.stage not in self.overdue_reported
        ]
        if not newly_overdue:
            return
        self.overdue_reported.update(d.stage for d in newly_overdue)
        self.version += 1
        for deadline in newly_overdue:
            self._emit(
                StageOverdue(
                    **self._common(now, None),
                    overdue_stage=deadline.stage,
                    due_at=deadline.due_at,
                )
            )

    # ------------------------------------------------------------------------------------------
    # Host casework (child-protection officer of the host country)
    # ------------------------------------------------------------------------------------------

    def record_protection_measure(
        self, actor: Actor, *, kind: MeasureKind, description: str, taken_at: datetime
    ) -> None:
        """Placement, shelter or urgent care: allowed at every stage short of closed."""
        self._as_host_officer(actor)
        taken_at = as_utc(taken_at, "taken_at")
        measure = ProtectionMeasure(kind, description, taken_at, actor.username)
        self.sensitive.protection_measures.append(measure)
        self._reach(Stage.IN_PROTECTIVE_CUSTODY, taken_at)
        self._changed()
        self._emit(ProtectionMeasureRecorded(**self._common(taken_at, actor)))

    def record_notification(self, actor: Actor, *, authority: str, notified_at: datetime) -> None:
        """The host child-protection authority was notified (the consulate is notified by the
        consular service from `CaseOpened` / `ConsularBlockCleared`, not recorded here)."""
        self._as_host_officer(actor)
        notified_at = as_utc(notified_at, "notified_at")
        if is_blank(authority):
            raise errors.SectionRequired("name the authority notified", field="authority")
        self.notifications.append(AuthorityNotification(authority, notified_at, actor.username))
        self._reach(Stage.NOTIFIED, notified_at)
        self._changed()
        self._emit(AuthorityNotified(**self._common(notified_at, actor), authority=authority))

    def record_interview(
        self,
        actor: Actor,
        *,
        conducted_at: datetime,
        language: str,
        notes: str,
        interpreter: str | None = None,
    ) -> None:
        self._as_host_officer(actor)
        conducted_at = as_utc(conducted_at, "conducted_at")
        interview = Interview(conducted_at, actor.username, language, notes, interpreter)
        self.sensitive.interviews.append(interview)
        self._reach(Stage.INTERVIEWED, conducted_at)
        self._changed()
        self._emit(InterviewRecorded(**self._common(conducted_at, actor)))

    def record_screening(
        self,
        actor: Actor,
        *,
        screened_at: datetime,
        protection_need: bool,
        trafficking_indicator: bool,
        notes: str,
    ) -> None:
        """International-protection screening. A newly found protection need or trafficking
        indicator blocks the consulate again (even after an earlier clearance) and alerts the
        host supervisor; a screening never lowers a flag already set."""
        self._as_host_officer(actor)
        screened_at = as_utc(screened_at, "screened_at")
        screening = Screening(
            screened_at, actor.username, protection_need, trafficking_indicator, notes
        )
        before = self.sensitive.indicators
        after = replace(
            before,
            protection_need=before.protection_need or protection_need,
            trafficking_indicator=before.trafficking_indicator or trafficking_indicator,
        )
        newly_raised = after != before
        newly_blocked = newly_raised and not self.blocked_for_consulate

        self.sensitive.screenings.append(screening)
        self.sensitive.indicators = after
        self.blocked_for_consulate = self.blocked_for_consulate or newly_raised
        self._reach(Stage.SCREENED, screened_at)
        self._changed()
        self._emit(ScreeningRecorded(**self._common(screened_at, actor)))
        if newly_blocked:
            self._emit(ConsularBlockSet(**self._common(screened_at, actor)))
        if newly_raised:
            self._alert_host_supervisor(screened_at, actor)

    def record_family_tracing(
        self,
        actor: Actor,
        *,
        traced_at: datetime,
        actions: tuple[str, ...] = (),
        contacts: tuple[FamilyContact, ...] = (),
    ) -> None:
        self._as_host_officer(actor)
        traced_at = as_utc(traced_at, "traced_at")
        record = TracingRecord(traced_at, actor.username, tuple(actions), tuple(contacts))
        self.sensitive.family_tracing.append(record)
        self._reach(Stage.FAMILY_TRACING, traced_at)
        self._changed()
        self._emit(FamilyTracingRecorded(**self._common(traced_at, actor)))

    def write_bia(
        self,
        actor: Actor,
        *,
        safety: str,
        family: str,
        health: str,
        education: str,
        child_views: str,
        child_views_absent_reason: ChildViewsAbsentReason | None,
        recommendation: str,
        complete: bool,
        written_at: datetime,
    ) -> None:
        """Replace the BIA. `complete=True` finishes it and moves the case to `assessed`.

        It may be revised until a BID is decided on it (then only after a BID review), and once
        complete it stays complete.
        """
        self._as_host_officer(actor)
        written_at = as_utc(written_at, "written_at")
        bia = Bia(
            safety=safety,
            family=family,
            health=health,
            education=education,
            child_views=child_views,
            child_views_absent_reason=child_views_absent_reason,
            recommendation=recommendation,
            complete=complete,
            written_by=actor.username,
            written_at=written_at,
        )
        self._check_assessment_writable(self.sensitive.bia, bia.complete, "bia")
        self.sensitive.bia = bia
        if bia.complete:
            self._reach(Stage.ASSESSED, written_at)
        self._changed()
        self._emit(BiaWritten(**self._common(written_at, actor), complete=bia.complete))

    def record_risk_assessment(
        self, actor: Actor, *, findings: str, mitigation: str, assessed_at: datetime
    ) -> None:
        """Replace the risk assessment (required before a return plan with a trafficking
        indicator)."""
        self._as_host_officer(actor)
        assessed_at = as_utc(assessed_at, "assessed_at")
        self.sensitive.risk_assessment = RiskAssessment(
            findings, mitigation, actor.username, assessed_at
        )
        self._changed()
        self._emit(RiskAssessmentRecorded(**self._common(assessed_at, actor)))

    def plan_return(
        self,
        actor: Actor,
        *,
        reception_point: ReceptionPoint,
        scheduled_at: datetime,
        escort: str,
        planned_at: datetime,
    ) -> None:
        """Plan (or re-plan) the return. Every return gate of the Guidelines is checked here."""
        self._as_host_officer(actor)
        scheduled_at = as_utc(scheduled_at, "scheduled_at")
        planned_at = as_utc(planned_at, "planned_at")
        check_return_allowed(self, reception_point, escort)

        self.return_plan = ReturnPlan(
            reception_point, scheduled_at, escort, actor.username, planned_at
        )
        self._reach(Stage.RETURN_PLANNED, planned_at)
        self._changed()
        self._emit(
            ReturnPlanned(
                **self._common(planned_at, actor),
                reception_point=reception_point.code,
                scheduled_at=scheduled_at,
            )
        )

    # ------------------------------------------------------------------------------------------
    # Origin side (child-protection officer of the nationality country)
    # ------------------------------------------------------------------------------------------

    def write_origin_assessment(
        self,
        actor: Actor,
        *,
        family_situation: str,
        home_situation: str,
        risks_on_return: str,
        caregiver: Caregiver | None,
        caregiver_agrees_and_able: bool,
        complete: bool,
        written_at: datetime,
    ) -> None:
        """Replace the origin assessment; same revision rules as the BIA."""
        self._as_nationality_officer(actor)
        written_at = as_utc(written_at, "written_at")
        assessment = OriginAssessment(
            family_situation=family_situation,
            home_situation=home_situation,
            risks_on_return=risks_on_return,
            caregiver=caregiver,
            caregiver_agrees_and_able=caregiver_agrees_and_able,
            complete=complete,
            written_by=actor.username,
            written_at=written_at,
        )
        self._check_assessment_writable(
            self.sensitive.origin_assessment, assessment.complete, "origin_assessment"
        )
        self.sensitive.origin_assessment = assessment
        self._changed()
        self._emit(OriginAssessmentWritten(**self._common(written_at, actor), complete=complete))

    def confirm_reception(
        self, actor: Actor, *, received_at: datetime, received_by_institution: str
    ) -> None:
        """The origin authority confirms it received the child: the child is handed over."""
        self._as_nationality_officer(actor)
        received_at = as_utc(received_at, "received_at")
        if is_blank(received_by_institution):
            raise errors.SectionRequired(
                "name the receiving institution", field="received_by_institution"
            )
        if self.reception is not None:
            raise errors.ReceptionAlreadyConfirmed("reception was already confirmed")
        if self.return_plan is None:
            raise errors.ReceptionRequiresReturnPlan("there is no return plan to receive")

        self.reception = Reception(received_at, received_by_institution, actor.username)
        self._reach(Stage.HANDED_OVER, received_at)
        self._changed()
        self._emit(
            CaseReturned(
                **self._common(received_at, actor),
                reception_point=self.return_plan.reception_point.code,
                received_at=received_at,
                received_by_institution=received_by_institution,
            )
        )

    def record_follow_up(self, actor: Actor, *, visited_at: datetime, notes: str) -> None:
        self._as_nationality_officer(actor)
        visited_at = as_utc(visited_at, "visited_at")
        follow_up = FollowUp(visited_at, actor.username, notes)
        if self.reception is None:
            raise errors.FollowUpRequiresReception("follow-up starts after reception")
        self.sensitive.follow_ups.append(follow_up)
        self._reach(Stage.FOLLOW_UP, visited_at)
        self._changed()
        self._emit(FollowUpRecorded(**self._common(visited_at, actor)))

    # ------------------------------------------------------------------------------------------
    # Host supervisor's decisions
    # ------------------------------------------------------------------------------------------

    def decide_bid(
        self,
        actor: Actor,
        *,
        decision: BidDecision,
        reasons: str,
        panel: tuple[str, ...],
        child_views_considered: str,
        decided_at: datetime,
    ) -> None:
        """Best-interests determination, on a complete BIA and a complete origin assessment.

        Exception: while the case is blocked for the consulate, `stay` and `asylum` need no
        origin assessment (the origin country may not be contacted).
        """
        self._as_host_supervisor(actor)
        decided_at = as_utc(decided_at, "decided_at")
        record = BidRecord(
            decision=decision,
            reasons=reasons,
            panel=tuple(panel),
            child_views_considered=child_views_considered,
            decided_by=actor.username,
            decided_at=decided_at,
        )
        check_bid_allowed(self, decision)

        self.sensitive.bids.append(record)
        self.determination = Determination(decision, actor.username, decided_at)
        self._reach(Stage.DETERMINED, decided_at)
        self._changed()
        self._emit(CaseDetermined(**self._common(decided_at, actor), decision=decision))

    def review_bid(self, actor: Actor, *, reasons: str, reviewed_at: datetime) -> None:
        """A BID review reopens the determination: back to `assessed`, return plan cancelled,
        assessments writable again. Not once the child has been handed over."""
        self._as_host_supervisor(actor)
        reviewed_at = as_utc(reviewed_at, "reviewed_at")
        review = BidReview(reasons, actor.username, reviewed_at)
        if self.reception is not None:
            raise errors.BidReviewAfterHandOver("the child was already handed over")
        if self.determination is None:
            raise errors.NoBidToReview("there is no BID to review")

        superseded = self.determination.decision
        plan_cancelled = self.return_plan is not None
        self.sensitive.bids[-1] = replace(self.sensitive.bids[-1], review=review)
        self.determination = None
        self.return_plan = None
        self._changed()
        self._emit(
            BidReopened(
                **self._common(reviewed_at, actor),
                superseded_decision=superseded,
                return_plan_cancelled=plan_cancelled,
            )
        )

    def decide_protection(
        self, actor: Actor, *, clear_block: bool, reasons: str, decided_at: datetime
    ) -> None:
        """Clear or keep the consular block. Clearing emits `ConsularBlockCleared`, which is
        when the consulate is notified for the first time.

        Only a trafficking indicator's block can be cleared: a child with a protection need
        (fear of return, asylum) stays invisible to the country of nationality for good
        (POLICY.md's protection exception; DOMAIN.md §4 "never")."""
        self._as_host_supervisor(actor)
        decided_at = as_utc(decided_at, "decided_at")
        decision = ProtectionDecision(clear_block, reasons, actor.username, decided_at)
        if not self.blocked_for_consulate:
            raise errors.NotBlockedForConsulate("the case is not blocked for the consulate")
        if clear_block and self.sensitive.indicators.protection_need:
            raise errors.ProtectionNeedBlockIsPermanent(
                "a child with a protection need is never disclosed to the country of"
                " nationality; only a trafficking indicator's block can be cleared",
                field="clear_block",
            )

        self.sensitive.protection_decisions.append(decision)
        self.blocked_for_consulate = not clear_block
        self._changed()
        self._emit(
            ProtectionDecisionRecorded(**self._common(decided_at, actor), block_cleared=clear_block)
        )
        if clear_block:
            self._emit(
                ConsularBlockCleared(
                    **self._common(decided_at, actor),
                    host_country=self.host_country,
                    nationality=self.nationality,
                    child=self.child,
                    age_disputed=self.age_disputed,
                    identified_at=self.identified_at,
                    place=self.place,
                    accompaniment=self.accompaniment,
                )
            )

    # ------------------------------------------------------------------------------------------
    # Closing
    # ------------------------------------------------------------------------------------------

    def close(self, actor: Actor, *, reason: str, closed_at: datetime) -> None:
        """Close after follow-up (by the origin authority), or from `local_protection`,
        `asylum_referral` or a `third_country` determination (by the host authority)."""
        self.check_may_act(actor, Acting.CLOSING_AUTHORITY)
        self._require_open()
        closed_at = as_utc(closed_at, "closed_at")
        stage = self.stage
        host_path_ended = stage in (Stage.LOCAL_PROTECTION, Stage.ASYLUM_REFERRAL) or (
            stage is Stage.DETERMINED
            and self.determination is not None
            and self.determination.decision is BidDecision.THIRD_COUNTRY
        )
        if stage is not Stage.FOLLOW_UP and not host_path_ended:
            raise errors.CaseNotReadyToClose(f"a case at {stage} cannot be closed")
        if is_blank(reason):
            raise errors.SectionRequired("give the reason for closing", field="reason")

        self.sensitive.closure_reason = reason
        self.closure = Closure(closed_at, actor.username)
        self._reach(Stage.CLOSED, closed_at)
        self._changed()
        self._emit(CaseClosed(**self._common(closed_at, actor)))

    # ------------------------------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------------------------------

    def _require_visible(self, actor: Actor) -> None:
        if not self.is_visible_to(actor):
            raise errors.CaseNotVisible()

    def _require_open(self) -> None:
        if self.closure is not None:
            raise errors.CaseIsClosed("the case is closed")

    def _as_host_officer(self, actor: Actor) -> None:
        self.check_may_act(actor, Acting.HOST_OFFICER)
        self._require_open()

    def _as_nationality_officer(self, actor: Actor) -> None:
        self.check_may_act(actor, Acting.NATIONALITY_OFFICER)
        self._require_open()

    def _as_host_supervisor(self, actor: Actor) -> None:
        self.check_may_act(actor, Acting.HOST_SUPERVISOR)
        self._require_open()

    def _check_assessment_writable(
        self, current: Bia | OriginAssessment | None, complete: bool, name: str
    ) -> None:
        if self.determination is not None:
            raise errors.AssessmentLockedByBid(f"a BID was decided on the {name}", field=name)
        if current is not None and current.complete and not complete:
            raise errors.AssessmentCannotBeReopened(f"the {name} is complete and stays complete")

    def _reach(self, stage: Stage, at: datetime) -> None:
        # The earliest act counts: a back-dated interview met its deadline when it took place.
        known = self.reached.get(stage)
        self.reached[stage] = at if known is None else min(known, at)

    def _changed(self) -> None:
        self.version += 1

    def _alert_host_supervisor(self, at: datetime, actor: Actor) -> None:
        self._emit(
            ProtectionDecisionRequired(**self._common(at, actor), host_country=self.host_country)
        )

    def _common(self, at: datetime, actor: Actor | None) -> _Common:
        return _Common(
            case_id=self.id,
            reference=self.reference,
            version=self.version,
            stage=self.stage,
            access=self.access,
            occurred_at=at,
            actor=None if actor is None else actor.username,
        )

    def _emit(self, event: CaseEvent) -> None:
        self.events.append(event)
