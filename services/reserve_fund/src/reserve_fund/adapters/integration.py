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

import types
import typing
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, TypeVar

from pydantic import BaseModel

from puebla.contracts.child import v1 as child
from puebla.contracts.envelope import IncomingEnvelope
from puebla.contracts.fund import v1
from puebla.db.unit_of_work import OutgoingEvent
from reserve_fund.domain import FundApplication
from reserve_fund.domain import commands as c
from reserve_fund.domain import events as domain

AGGREGATE = "fund_application"
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


def translate(
    application: FundApplication, *, hidden_from_nationality: bool = False
) -> list[OutgoingEvent]:
    """The outgoing events for the application's new domain events, in order;
    `hidden_from_nationality`: its child case is blocked for the consulate as they are written."""
    out: list[OutgoingEvent] = []
    for event in application.events:
        contract = contract_of(event, application)
        if contract is None:
            continue
        out.append(
            OutgoingEvent(
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
        )
    return out


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


def audit_action(event: domain.Event) -> str:
    """``ApplicationApproved`` → ``fund.application_approved``."""
    name = type(event).__name__
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return f"fund.{snake}"


def audit_detail(event: domain.Event) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    for key, value in asdict(event).items():
        if key in _AUDIT_OMIT:
            continue
        detail[key] = list(value) if isinstance(value, tuple) else value
    return detail


# --- incoming: child protection's events ------------------------------------------------------

M = TypeVar("M", bound=BaseModel)

CHILD_CASE_OPENED = child.CaseOpenedV1.event_type
CHILD_CASE_DETERMINED = child.CaseDeterminedV1.event_type
CHILD_CASE_BLOCK_SET = child.ConsularBlockSetV1.event_type
CHILD_CASE_BLOCK_CLEARED = child.ConsularBlockClearedV1.event_type
CHILD_CASE_CLOSED = child.CaseClosedV1.event_type


def parse(model: type[M], envelope: IncomingEnvelope) -> M:
    """The event's data read with the producer's contract model: fields the model (or a model
    nested in it) does not declare are ignored, a missing or mistyped one is refused
    (pydantic `ValidationError`)."""
    return model.model_validate(_strip(model, envelope.data))


def _strip(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, Mapping):
        return data
    return {
        (field.alias or name): _strip_value(field.annotation, data[field.alias or name])
        for name, field in model.model_fields.items()
        if (field.alias or name) in data
    }


def _strip_value(annotation: Any, value: Any) -> Any:
    candidates = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    models = [a for a in candidates if isinstance(a, type) and issubclass(a, BaseModel)]
    if len(models) == 1 and isinstance(value, Mapping):
        return _strip(models[0], value)
    return value


def _fact(data: child.CaseEventV1) -> dict[str, Any]:
    return {
        "case_id": data.case_id,
        "host_country": data.host_country,
        "nationality": data.nationality,
        "version": data.version,
    }


def child_case_opened(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    data = parse(child.CaseOpenedV1, envelope)
    return c.RecordChildCaseBlock(**_fact(data), blocked=data.blocked_for_consulate)


def child_case_block_set(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    return c.RecordChildCaseBlock(**_fact(parse(child.ConsularBlockSetV1, envelope)), blocked=True)


def child_case_block_cleared(envelope: IncomingEnvelope) -> c.RecordChildCaseBlock:
    data = parse(child.ConsularBlockClearedV1, envelope)
    return c.RecordChildCaseBlock(**_fact(data), blocked=False)


def child_case_determined(envelope: IncomingEnvelope) -> c.RecordChildCaseDetermination:
    data = parse(child.CaseDeterminedV1, envelope)
    return c.RecordChildCaseDetermination(**_fact(data), decision=data.decision)


def child_case_closed(envelope: IncomingEnvelope) -> c.RecordChildCaseClosed:
    data = parse(child.CaseClosedV1, envelope)
    return c.RecordChildCaseClosed(**_fact(data), bid_decision=data.bid_decision)
