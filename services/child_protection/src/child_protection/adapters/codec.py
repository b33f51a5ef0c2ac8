"""Explicit JSON mapping of the case's records, both ways.

`sensitive_to_dict` / `sensitive_from_dict` give the one document that is encrypted as a whole
(and, after a permitted and audited read, served by `/sensitive`). The plain records (milestones,
notifications, the return plan, the reception) go into JSONB columns of `child_case`.
Instants are ISO 8601 strings with their UTC offset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from child_protection.domain import (
    AuthorityNotification,
    Bia,
    BidDecision,
    BidRecord,
    BidReview,
    Caregiver,
    ChildViewsAbsentReason,
    DeadlineRule,
    FamilyContact,
    FollowUp,
    Interview,
    MeasureKind,
    OriginAssessment,
    ProtectionDecision,
    ProtectionIndicators,
    ProtectionMeasure,
    Reception,
    ReceptionPoint,
    ReturnPlan,
    RiskAssessment,
    Screening,
    SensitiveSections,
    Stage,
    TracingRecord,
)

Json = dict[str, Any]


def ts(moment: datetime) -> str:
    return moment.isoformat()


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- sensitive sections ---------------------------------------------------------------------


def _caregiver(c: Caregiver | None) -> Json | None:
    return None if c is None else {"name": c.name, "relationship": c.relationship}


def _bia(b: Bia | None) -> Json | None:
    if b is None:
        return None
    return {
        "safety": b.safety,
        "family": b.family,
        "health": b.health,
        "education": b.education,
        "child_views": b.child_views,
        "child_views_absent_reason": (
            None if b.child_views_absent_reason is None else b.child_views_absent_reason.value
        ),
        "recommendation": b.recommendation,
        "complete": b.complete,
        "written_by": b.written_by,
        "written_at": ts(b.written_at),
    }


def _origin(o: OriginAssessment | None) -> Json | None:
    if o is None:
        return None
    return {
        "family_situation": o.family_situation,
        "home_situation": o.home_situation,
        "risks_on_return": o.risks_on_return,
        "caregiver": _caregiver(o.caregiver),
        "caregiver_agrees_and_able": o.caregiver_agrees_and_able,
        "complete": o.complete,
        "written_by": o.written_by,
        "written_at": ts(o.written_at),
    }


def _bid(b: BidRecord) -> Json:
    review = None
    if b.review is not None:
        review = {
            "reasons": b.review.reasons,
            "reviewed_by": b.review.reviewed_by,
            "reviewed_at": ts(b.review.reviewed_at),
        }
    return {
        "decision": b.decision.value,
        "reasons": b.reasons,
        "panel": list(b.panel),
        "child_views_considered": b.child_views_considered,
        "decided_by": b.decided_by,
        "decided_at": ts(b.decided_at),
        "review": review,
    }


def sensitive_to_dict(s: SensitiveSections) -> Json:
    risk = s.risk_assessment
    return {
        "indicators": {
            "protection_need": s.indicators.protection_need,
            "trafficking_indicator": s.indicators.trafficking_indicator,
            "details": s.indicators.details,
        },
        "protection_measures": [
            {
                "kind": m.kind.value,
                "description": m.description,
                "taken_at": ts(m.taken_at),
                "recorded_by": m.recorded_by,
            }
            for m in s.protection_measures
        ],
        "interviews": [
            {
                "conducted_at": ts(i.conducted_at),
                "conducted_by": i.conducted_by,
                "language": i.language,
                "notes": i.notes,
                "interpreter": i.interpreter,
            }
            for i in s.interviews
        ],
        "screenings": [
            {
                "screened_at": ts(x.screened_at),
                "screened_by": x.screened_by,
                "protection_need": x.protection_need,
                "trafficking_indicator": x.trafficking_indicator,
                "notes": x.notes,
            }
            for x in s.screenings
        ],
        "family_tracing": [
            {
                "traced_at": ts(t.traced_at),
                "recorded_by": t.recorded_by,
                "actions": list(t.actions),
                "contacts": [
                    {
                        "name": c.name,
                        "relationship": c.relationship,
                        "contact_details": c.contact_details,
                        "location": c.location,
                    }
                    for c in t.contacts
                ],
            }
            for t in s.family_tracing
        ],
        "bia": _bia(s.bia),
        "origin_assessment": _origin(s.origin_assessment),
        "risk_assessment": None
        if risk is None
        else {
            "findings": risk.findings,
            "mitigation": risk.mitigation,
            "assessed_by": risk.assessed_by,
            "assessed_at": ts(risk.assessed_at),
        },
        "bids": [_bid(b) for b in s.bids],
        "follow_ups": [
            {"visited_at": ts(f.visited_at), "visited_by": f.visited_by, "notes": f.notes}
            for f in s.follow_ups
        ],
        "protection_decisions": [
            {
                "clears_block": d.clears_block,
                "reasons": d.reasons,
                "decided_by": d.decided_by,
                "decided_at": ts(d.decided_at),
            }
            for d in s.protection_decisions
        ],
        "closure_reason": s.closure_reason,
    }


def sensitive_from_dict(d: Json) -> SensitiveSections:
    ind = d["indicators"]
    bia = d.get("bia")
    origin = d.get("origin_assessment")
    risk = d.get("risk_assessment")
    return SensitiveSections(
        indicators=ProtectionIndicators(
            protection_need=ind["protection_need"],
            trafficking_indicator=ind["trafficking_indicator"],
            details=ind["details"],
        ),
        protection_measures=[
            ProtectionMeasure(
                MeasureKind(m["kind"]), m["description"], parse_ts(m["taken_at"]), m["recorded_by"]
            )
            for m in d["protection_measures"]
        ],
        interviews=[
            Interview(
                parse_ts(i["conducted_at"]),
                i["conducted_by"],
                i["language"],
                i["notes"],
                i["interpreter"],
            )
            for i in d["interviews"]
        ],
        screenings=[
            Screening(
                parse_ts(x["screened_at"]),
                x["screened_by"],
                x["protection_need"],
                x["trafficking_indicator"],
                x["notes"],
            )
            for x in d["screenings"]
        ],
        family_tracing=[
            TracingRecord(
                parse_ts(t["traced_at"]),
                t["recorded_by"],
                tuple(t["actions"]),
                tuple(
                    FamilyContact(c["name"], c["relationship"], c["contact_details"], c["location"])
                    for c in t["contacts"]
                ),
            )
            for t in d["family_tracing"]
        ],
        bia=None
        if bia is None
        else Bia(
            safety=bia["safety"],
            family=bia["family"],
            health=bia["health"],
            education=bia["education"],
            child_views=bia["child_views"],
            child_views_absent_reason=(
                None
                if bia["child_views_absent_reason"] is None
                else ChildViewsAbsentReason(bia["child_views_absent_reason"])
            ),
            recommendation=bia["recommendation"],
            complete=bia["complete"],
            written_by=bia["written_by"],
            written_at=parse_ts(bia["written_at"]),
        ),
        origin_assessment=None
        if origin is None
        else OriginAssessment(
            family_situation=origin["family_situation"],
            home_situation=origin["home_situation"],
            risks_on_return=origin["risks_on_return"],
            caregiver=None
            if origin["caregiver"] is None
            else Caregiver(origin["caregiver"]["name"], origin["caregiver"]["relationship"]),
            caregiver_agrees_and_able=origin["caregiver_agrees_and_able"],
            complete=origin["complete"],
            written_by=origin["written_by"],
            written_at=parse_ts(origin["written_at"]),
        ),
        risk_assessment=None
        if risk is None
        else RiskAssessment(
            risk["findings"], risk["mitigation"], risk["assessed_by"], parse_ts(risk["assessed_at"])
        ),
        bids=[
            BidRecord(
                decision=BidDecision(b["decision"]),
                reasons=b["reasons"],
                panel=tuple(b["panel"]),
                child_views_considered=b["child_views_considered"],
                decided_by=b["decided_by"],
                decided_at=parse_ts(b["decided_at"]),
                review=None
                if b["review"] is None
                else BidReview(
                    b["review"]["reasons"],
                    b["review"]["reviewed_by"],
                    parse_ts(b["review"]["reviewed_at"]),
                ),
            )
            for b in d["bids"]
        ],
        follow_ups=[
            FollowUp(parse_ts(f["visited_at"]), f["visited_by"], f["notes"])
            for f in d["follow_ups"]
        ],
        protection_decisions=[
            ProtectionDecision(
                p["clears_block"], p["reasons"], p["decided_by"], parse_ts(p["decided_at"])
            )
            for p in d["protection_decisions"]
        ],
        closure_reason=d["closure_reason"],
    )


# --- plain records --------------------------------------------------------------------------


def deadline_rule_to_dict(rule: DeadlineRule) -> Json:
    return {
        "country": rule.country,
        "notification_seconds": int(rule.notification.total_seconds()),
        "interview_seconds": int(rule.interview.total_seconds()),
        "bia_seconds": int(rule.bia.total_seconds()),
        "bid_seconds": int(rule.bid.total_seconds()),
    }


def deadline_rule_from_dict(d: Json) -> DeadlineRule:
    return DeadlineRule(
        country=d["country"],
        notification=timedelta(seconds=d["notification_seconds"]),
        interview=timedelta(seconds=d["interview_seconds"]),
        bia=timedelta(seconds=d["bia_seconds"]),
        bid=timedelta(seconds=d["bid_seconds"]),
    )


def reached_to_dict(reached: dict[Stage, datetime]) -> Json:
    return {stage.value: ts(at) for stage, at in reached.items()}


def reached_from_dict(d: Json) -> dict[Stage, datetime]:
    return {Stage(stage): parse_ts(at) for stage, at in d.items()}


def notifications_to_list(items: list[AuthorityNotification]) -> list[Json]:
    return [
        {"authority": n.authority, "notified_at": ts(n.notified_at), "recorded_by": n.recorded_by}
        for n in items
    ]


def notifications_from_list(items: list[Json]) -> list[AuthorityNotification]:
    return [
        AuthorityNotification(n["authority"], parse_ts(n["notified_at"]), n["recorded_by"])
        for n in items
    ]


def return_plan_to_dict(plan: ReturnPlan | None) -> Json | None:
    if plan is None:
        return None
    point = plan.reception_point
    return {
        "reception_point": {
            "code": point.code,
            "country": point.country,
            "has_child_protection_authority": point.has_child_protection_authority,
        },
        "scheduled_at": ts(plan.scheduled_at),
        "escort": plan.escort,
        "planned_by": plan.planned_by,
        "planned_at": ts(plan.planned_at),
    }


def return_plan_from_dict(d: Json | None) -> ReturnPlan | None:
    if d is None:
        return None
    point = d["reception_point"]
    return ReturnPlan(
        ReceptionPoint(point["code"], point["country"], point["has_child_protection_authority"]),
        parse_ts(d["scheduled_at"]),
        d["escort"],
        d["planned_by"],
        parse_ts(d["planned_at"]),
    )


def reception_to_dict(r: Reception | None) -> Json | None:
    if r is None:
        return None
    return {
        "received_at": ts(r.received_at),
        "received_by_institution": r.received_by_institution,
        "confirmed_by": r.confirmed_by,
    }


def reception_from_dict(d: Json | None) -> Reception | None:
    if d is None:
        return None
    return Reception(parse_ts(d["received_at"]), d["received_by_institution"], d["confirmed_by"])
