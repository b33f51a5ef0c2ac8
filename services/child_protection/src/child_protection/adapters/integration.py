"""Domain events → contract events (`puebla.contracts.child.v1`) and audit entries.

The only module that knows both the domain and the contracts. Seven domain events cross the
service boundary; every domain event (those seven included) becomes an audit entry. Neither
carries a sensitive section: contract models forbid unknown fields, and the audit detail is
limited to stage, version and outcome codes.

The child's identity leaves the service only in `child.case.consular_notice.v1`, and only when
the consulate is entitled to it: beside the opening of a case that is not blocked, or beside
the clearing of its block. A blocked case's opening says that the case exists, nothing more.
"""

from __future__ import annotations

from typing import Any

from child_protection.domain import Child, ChildCase, Place, Sex
from child_protection.domain import events as ev
from puebla.contracts.child import v1
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import OutgoingEvent, audit_action

AGGREGATE = "child_case"

_SEX = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "X"}


def sex_code(sex: Sex) -> str:
    return _SEX[sex]


def _child(child: Child, age_disputed: bool) -> v1.ChildIdentity:
    return v1.ChildIdentity.model_validate(
        {
            "given_names": child.given_names,
            "surnames": child.surnames,
            "sex": sex_code(child.sex),
            "date_of_birth": child.date_of_birth,
            "estimated_age": child.estimated_age,
            "age_disputed": age_disputed,
            "languages": list(child.languages),
        }
    )


def _place(place: Place) -> v1.Place:
    return v1.Place(country=place.country, state=place.state, city=place.city)


def _common(event: ev.CaseEvent, case: ChildCase) -> dict[str, Any]:
    return {
        "version": event.version,
        "case_id": event.case_id,
        "reference": event.reference,
        "host_country": case.host_country,
        "nationality": case.nationality,
        "stage": event.stage.value,
    }


def _consular_notice(
    event: ev.CaseOpened | ev.ConsularBlockCleared, common: dict[str, Any]
) -> v1.ConsularNoticeV1:
    """What the child's consulate is told: only for an event that allows consular contact and
    is labelled for the child's nationality (never a blocked case's)."""
    if not event.notify_consulate or event.nationality not in event.access:
        raise ValueError("the child's identity leaves only for a consulate entitled to it")
    return v1.ConsularNoticeV1.model_validate(
        {
            **common,
            "occasion": "case_opened" if isinstance(event, ev.CaseOpened) else "block_cleared",
            "allowed_at": event.occurred_at,
            "child": _child(event.child, event.age_disputed),
            "identified_at": event.identified_at,
            "place": _place(event.place),
            "accompaniment": event.accompaniment.value,
        }
    )


def to_contracts(event: ev.CaseEvent, case: ChildCase) -> list[v1.CaseEventV1]:
    """The contract events for a domain event; none if it stays inside the service."""
    common = _common(event, case)
    if isinstance(event, ev.CaseOpened):
        opened = v1.CaseOpenedV1.model_validate(
            {
                **common,
                "notify_consulate": event.notify_consulate,
                "blocked_for_consulate": event.blocked_for_consulate,
                "opened_at": event.occurred_at,
                "opened_by": event.actor,
            }
        )
        if not event.notify_consulate:
            return [opened]  # blocked: who the child is stays here
        return [opened, _consular_notice(event, common)]
    if isinstance(event, ev.ConsularBlockCleared):
        cleared = v1.ConsularBlockClearedV1.model_validate(
            {
                **common,
                "notify_consulate": event.notify_consulate,
                "cleared_at": event.occurred_at,
                "cleared_by": event.actor,
            }
        )
        if not event.notify_consulate:
            return [cleared]
        return [cleared, _consular_notice(event, common)]
    contract = _case_contract(event, common, case)
    return [] if contract is None else [contract]


def _case_contract(
    event: ev.CaseEvent, common: dict[str, Any], case: ChildCase
) -> v1.CaseEventV1 | None:
    if isinstance(event, ev.ConsularBlockSet):
        # A late protection need or trafficking indicator: the consular service withdraws what
        # the child's consulate was told. The event says only *that* the case is blocked (its
        # `access` is the host alone, like every event after it); why stays in the host.
        return v1.ConsularBlockSetV1.model_validate({**common, "blocked_at": event.occurred_at})
    if isinstance(event, ev.CaseDetermined):
        return v1.CaseDeterminedV1.model_validate(
            {
                **common,
                "decision": event.decision.value,
                "decided_at": event.occurred_at,
                "decided_by": event.actor,
            }
        )
    if isinstance(event, ev.CaseReturned):
        return v1.CaseReturnedV1.model_validate(
            {
                **common,
                "reception_point": event.reception_point,
                "received_at": event.received_at,
                "received_by_institution": event.received_by_institution,
                "confirmed_by": event.actor,
            }
        )
    if isinstance(event, ev.CaseClosed):
        decision = case.determination.decision.value if case.determination else None
        return v1.CaseClosedV1.model_validate(
            {
                **common,
                "closed_at": event.occurred_at,
                "closed_by": event.actor,
                "bid_decision": decision,
            }
        )
    if isinstance(event, ev.StageOverdue):
        return v1.StageOverdueV1.model_validate(
            {
                **common,
                "overdue_stage": event.overdue_stage.value,
                "due_at": event.due_at,
                "detected_at": event.occurred_at,
            }
        )
    return None


def outgoing(event: ev.CaseEvent, case: ChildCase) -> list[OutgoingEvent]:
    """The outbox rows for one new event of the case; `access` is the event's own label."""
    return [
        OutgoingEvent(
            event_type=contract.event_type,
            aggregate_type=AGGREGATE,
            aggregate_id=str(case.id),
            data=contract,
            access=list(event.access),
        )
        for contract in to_contracts(event, case)
    ]


def _detail(event: ev.CaseEvent) -> dict[str, Any]:
    detail: dict[str, Any] = {"version": event.version, "stage": event.stage.value}
    if isinstance(event, ev.CaseOpened | ev.ConsularBlockCleared):
        detail["notify_consulate"] = event.notify_consulate
    if isinstance(event, ev.CaseDetermined):
        detail["decision"] = event.decision.value
    if isinstance(event, ev.BidReopened):
        detail["superseded_decision"] = event.superseded_decision.value
    if isinstance(event, ev.ProtectionDecisionRecorded):
        detail["block_cleared"] = event.block_cleared
    if isinstance(event, ev.BiaWritten | ev.OriginAssessmentWritten):
        detail["complete"] = event.complete
    if isinstance(event, ev.StageOverdue):
        detail["overdue_stage"] = event.overdue_stage.value
        detail["due_at"] = event.due_at.isoformat()
    if isinstance(event, ev.ReturnPlanned | ev.CaseReturned):
        detail["reception_point"] = event.reception_point
    return detail


def audit_record(event: ev.CaseEvent, case: ChildCase, actor: str) -> AuditRecord:
    """The audit entry of one new domain event: who did what to which case (no narrative)."""
    return AuditRecord(
        actor=actor,
        action=audit_action(AGGREGATE, event),
        entity_type=AGGREGATE,
        entity_id=str(case.id),
        detail=_detail(event),
    )
