"""`/v1/cases/{id}/…`: the host country's casework — protection, notification, interviews,
screening, family tracing, the BIA, the risk assessment and the return plan (its child-protection
officers).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from child_protection.domain import Acting, ChildViewsAbsentReason, FamilyContact, MeasureKind
from child_protection.domain import commands as c
from child_protection.entrypoints.api import schemas as s
from child_protection.entrypoints.api.answers import answer_case, when
from child_protection.entrypoints.api.deps import Svc, case_action
from child_protection.service_layer import handlers
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 404))


@case_action(
    router,
    "/{case_id}/protection-measures",
    "Placement, shelter or urgent care (any stage)",
    Acting.HOST_OFFICER,
)
async def record_protection_measure(
    case_id: uuid.UUID,
    body: s.ProtectionMeasureCreate,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    cmd = c.RecordProtectionMeasure(
        case_id=case_id,
        kind=MeasureKind(body.kind),
        description=body.description,
        taken_at=when(body.taken_at, svc),
    )
    return await answer_case(request, caller, svc, handlers.record_protection_measure, cmd)


@case_action(
    router,
    "/{case_id}/notifications",
    "The host child-protection authority was notified",
    Acting.HOST_OFFICER,
)
async def record_notification(
    case_id: uuid.UUID, body: s.NotificationCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.RecordNotification(
        case_id=case_id,
        authority=body.authority,
        notified_at=when(body.notified_at, svc),
    )
    return await answer_case(request, caller, svc, handlers.record_notification, cmd)


@case_action(router, "/{case_id}/interviews", "An interview record", Acting.HOST_OFFICER)
async def record_interview(
    case_id: uuid.UUID, body: s.InterviewCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.RecordInterview(
        case_id=case_id,
        conducted_at=when(body.conducted_at, svc),
        language=body.language,
        notes=body.notes,
        interpreter=body.interpreter,
    )
    return await answer_case(request, caller, svc, handlers.record_interview, cmd)


@case_action(
    router,
    "/{case_id}/screenings",
    "International-protection screening (may block the consulate)",
    Acting.HOST_OFFICER,
)
async def record_screening(
    case_id: uuid.UUID, body: s.ScreeningCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.RecordScreening(
        case_id=case_id,
        screened_at=when(body.screened_at, svc),
        protection_need=body.protection_need,
        trafficking_indicator=body.trafficking_indicator,
        notes=body.notes,
    )
    return await answer_case(request, caller, svc, handlers.record_screening, cmd)


@case_action(
    router, "/{case_id}/family-tracing", "Tracing actions and family contacts", Acting.HOST_OFFICER
)
async def record_family_tracing(
    case_id: uuid.UUID,
    body: s.FamilyTracingCreate,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    cmd = c.RecordFamilyTracing(
        case_id=case_id,
        traced_at=when(body.traced_at, svc),
        actions=tuple(body.actions),
        contacts=tuple(
            FamilyContact(x.name, x.relationship, x.contact_details, x.location)
            for x in body.contacts
        ),
    )
    return await answer_case(request, caller, svc, handlers.record_family_tracing, cmd)


@case_action(
    router,
    "/{case_id}/bia",
    "The best-interests assessment (host officer); `complete: true` finishes it",
    Acting.HOST_OFFICER,
    method="PUT",
)
async def write_bia(
    case_id: uuid.UUID, body: s.BiaWrite, request: Request, caller: Caller, svc: Svc
) -> Response:
    reason = body.child_views_absent_reason
    cmd = c.WriteBia(
        case_id=case_id,
        safety=body.safety,
        family=body.family,
        health=body.health,
        education=body.education,
        child_views=body.child_views,
        child_views_absent_reason=None if reason is None else ChildViewsAbsentReason(reason),
        recommendation=body.recommendation,
        complete=body.complete,
        written_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.write_bia, cmd)


@case_action(
    router,
    "/{case_id}/risk-assessment",
    "Risk assessment (host officer): required before a return with a trafficking indicator",
    Acting.HOST_OFFICER,
    method="PUT",
)
async def record_risk_assessment(
    case_id: uuid.UUID,
    body: s.RiskAssessmentWrite,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    cmd = c.RecordRiskAssessment(
        case_id=case_id,
        findings=body.findings,
        mitigation=body.mitigation,
        assessed_at=when(body.assessed_at, svc),
    )
    return await answer_case(request, caller, svc, handlers.record_risk_assessment, cmd)


@case_action(
    router,
    "/{case_id}/return-plan",
    "Plan the return (every return gate is checked)",
    Acting.HOST_OFFICER,
)
async def plan_return(
    case_id: uuid.UUID, body: s.ReturnPlanCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.PlanReturn(
        case_id=case_id,
        reception_point=body.reception_point,
        scheduled_at=body.scheduled_at,
        escort=body.escort,
        planned_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.plan_return, cmd)
