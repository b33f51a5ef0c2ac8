"""Domain events → contract events (`puebla.contracts.fund.v1`), and child protection's events
(`puebla.contracts.child.v1`) → the Fund's commands: the only place that knows both.

Published: submitted, approved (the last approval needed), rejected, disbursed, completed,
cancelled. The other domain events (created, questions and answers, reviews, a first of two
approvals, closing, budget changes) stay inside the Fund: they are audited, not published.

Every envelope is labelled ``["IOM", requesting country, beneficiary's nationality]`` — except
while the child case the application names is blocked for the consulate (a protection need, a
trafficking indicator not yet cleared): then the child's own state learns nothing from the bus
either, and the label is IOM and the requesting country, without the nationality even when it
is the requesting country (its authorities no longer see the application: `service_layer.
access`). Only the approved event names the beneficiary (names, sex, date of birth,
nationality): the consular service needs them to tell the beneficiary's consulate — and an
application whose child case is blocked is never approved.
"""

from __future__ import annotations

from typing import Any

from puebla.contracts.child import v1 as child
from puebla.contracts.envelope import IncomingEnvelope
from puebla.contracts.fund import v1
from puebla.contracts.lenient import read_lenient
from puebla.db.audit import AuditRecord, event_detail
from puebla.db.unit_of_work import OutgoingEvent, audit_action
from reserve_fund.domain import FundApplication
from reserve_fund.domain import commands as c
from reserve_fund.domain import events as domain

# The outbox's `aggregatetype` of each aggregate, and the audit trail's entity type (and the
# first word of its actions: `audit_action`).
AGGREGATE = "fund_application"
BUDGET = "fund_budget"
FUND_LABEL = "IOM"


def access_of(
    requesting_country: str, nationality: str, *, hidden_from_nationality: bool = False
) -> list[str]:
    """Who may see an event about the application: IOM, the requesting country and the
    beneficiary's nationality — never the nationality while the application is hidden from
    it (POLICY.md: what the record's own state says holds in every event derived from it)."""
    labels: list[str] = []
    for label in (FUND_LABEL, requesting_country, nationality):
        if label not in labels:
            labels.append(label)
    if hidden_from_nationality:
        labels.remove(nationality)
    return labels


def _common(event: domain.ApplicationEvent) -> dict[str, Any]:
    return {
        "version": event.version,
        "application_id": event.application_id,
        "reference": event.reference,
        "requesting_country": event.requesting_country,
        "beneficiary_nationality": event.beneficiary_nationality,
        "current_country": event.current_country,
    }


def contract_of(
    event: domain.Event, application: FundApplication
) -> v1.FundApplicationEventV1 | None:
    """The contract model for one domain event, or None if the event is not published."""
    if isinstance(event, domain.ApplicationSubmitted):
        return v1.FundApplicationSubmittedV1(
            **_common(event),
            submitted_by=event.submitted_by,
            submitted_at=event.occurred_at,
            categories=list(event.categories),
            requested_total=event.requested_total,
            approvals_needed=event.approvals_needed,
            child_case_id=event.child_case_id,
        )
    if isinstance(event, domain.ApplicationApproved):
        person = application.beneficiary
        return v1.FundApplicationApprovedV1(
            **_common(event),
            approved_at=event.occurred_at,
            approvers=list(event.approvers),
            approved_total=event.approved_total,
            budget_year=event.budget_year,
            categories=list(event.categories),
            child_case_id=application.child_case_id,
            beneficiary=v1.FundBeneficiary(
                given_names=person.given_names,
                surnames=person.surnames,
                sex=person.sex.value,
                date_of_birth=person.date_of_birth,
                nationality=person.nationality,
            ),
        )
    if isinstance(event, domain.ApplicationRejected):
        return v1.FundApplicationRejectedV1(
            **_common(event),
            rejected_by=event.rejected_by,
            rejected_at=event.occurred_at,
            reason=event.reason,
        )
    if isinstance(event, domain.DisbursementRecorded):
        return v1.FundApplicationDisbursedV1(
            **_common(event),
            disbursed_at=event.occurred_at,
            amount=event.amount,
            purpose=event.purpose,
            disbursed_total=event.disbursed_total,
            approved_total=event.approved_total,
            budget_year=event.budget_year,
            recorded_by=event.recorded_by,
        )
    if isinstance(event, domain.ReturnCompleted):
        return v1.FundApplicationCompletedV1(
            **_common(event),
            completed_at=event.occurred_at,
            completed_by=event.completed_by,
            disbursed_total=event.disbursed_total,
            released=event.released,
            budget_year=event.budget_year,
        )
    if isinstance(event, domain.ApplicationCancelled):
        return v1.FundApplicationCancelledV1(
            **_common(event),
            cancelled_at=event.occurred_at,
            cancelled_by=event.cancelled_by,
            reason=event.reason,
            was_approved=event.budget_year is not None,
            released=event.released,
            budget_year=event.budget_year,
        )
    return None


def outgoing(
    event: domain.Event, application: FundApplication, *, hidden_from_nationality: bool = False
) -> OutgoingEvent | None:
    """The outgoing event for one new domain event of `application`, None if it stays inside;
    `hidden_from_nationality`: its child case is blocked for the consulate as it is written."""
    contract = contract_of(event, application)
    if contract is None:
        return None
    return OutgoingEvent(
        event_type=contract.event_type,
        aggregate_type=AGGREGATE,
        aggregate_id=str(application.id),
        data=contract,
        access=access_of(
            application.requesting_country,
            application.beneficiary.nationality,
            hidden_from_nationality=hidden_from_nationality,
        ),
    )


# Fields of domain events that are never copied into the audit trail's detail: free text may
# hold personal details, and the trail records who did what to which record, not the content.
_AUDIT_OMIT = frozenset(
    {
        "occurred_at",
        "application_id",
        "reference",
        "question",
        "answer",
        "note",
        "reason",
        "purpose",
    }
)


def audit_record(event: domain.Event, actor: str) -> AuditRecord:
    """The audit entry of a domain event (every one is audited, published or not), its action
    named by the kit's rule: `fund_application.approved`, `fund_budget.set`."""
    if isinstance(event, domain.BudgetSet):
        entity_type, entity_id = BUDGET, str(event.year)
    else:
        assert isinstance(event, domain.ApplicationEvent), event
        entity_type, entity_id = AGGREGATE, str(event.application_id)
    return AuditRecord(
        actor=actor,
        action=audit_action(entity_type, event),
        entity_type=entity_type,
        entity_id=entity_id,
        detail=audit_detail(event),
    )


def audit_detail(event: domain.Event) -> dict[str, Any]:
    return {k: v for k, v in event_detail(event).items() if k not in _AUDIT_OMIT}


# --- incoming: child protection's events ------------------------------------------------------

CHILD_CASE_OPENED = child.CaseOpenedV1.event_type
CHILD_CASE_DETERMINED = child.CaseDeterminedV1.event_type
CHILD_CASE_BLOCK_SET = child.ConsularBlockSetV1.event_type
CHILD_CASE_BLOCK_CLEARED = child.ConsularBlockClearedV1.event_type
CHILD_CASE_CLOSED = child.CaseClosedV1.event_type


def _fact(data: child.CaseEventV1) -> dict[str, Any]:
    return {
        "case_id": data.case_id,
        "host_country": data.host_country,
        "nationality": data.nationality,
        "version": data.version,
    }


def child_case_opened(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    data = read_lenient(child.CaseOpenedV1, envelope)
    return c.RecordChildCaseBlock(**_fact(data), blocked=data.blocked_for_consulate)


def child_case_block_set(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    return c.RecordChildCaseBlock(
        **_fact(read_lenient(child.ConsularBlockSetV1, envelope)), blocked=True
    )


def child_case_block_cleared(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    data = read_lenient(child.ConsularBlockClearedV1, envelope)
    return c.RecordChildCaseBlock(**_fact(data), blocked=False)


def child_case_determined(envelope: IncomingEnvelope) -> c.RecordChildCaseDetermination:
    data = read_lenient(child.CaseDeterminedV1, envelope)
    return c.RecordChildCaseDetermination(**_fact(data), decision=data.decision)


def child_case_closed(envelope: IncomingEnvelope) -> c.RecordChildCaseClosed:
    data = read_lenient(child.CaseClosedV1, envelope)
    return c.RecordChildCaseClosed(**_fact(data), bid_decision=data.bid_decision)
