"""`/v1/cases/{id}/…`: the child's own country — its assessment, the reception of a returned
child and the follow-up visits (its child-protection officers).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from child_protection.domain import Acting, Caregiver
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
    "/{case_id}/origin-assessment",
    "The nationality country's assessment (its child-protection officer)",
    Acting.NATIONALITY_OFFICER,
    method="PUT",
)
async def write_origin_assessment(
    case_id: uuid.UUID,
    body: s.OriginAssessmentWrite,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    caregiver = body.caregiver
    cmd = c.WriteOriginAssessment(
        case_id=case_id,
        family_situation=body.family_situation,
        home_situation=body.home_situation,
        risks_on_return=body.risks_on_return,
        caregiver=None if caregiver is None else Caregiver(caregiver.name, caregiver.relationship),
        caregiver_agrees_and_able=body.caregiver_agrees_and_able,
        complete=body.complete,
        written_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.write_origin_assessment, cmd)


@case_action(
    router,
    "/{case_id}/reception",
    "The origin authority confirms it received the child",
    Acting.NATIONALITY_OFFICER,
)
async def confirm_reception(
    case_id: uuid.UUID, body: s.ReceptionCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.ConfirmReception(
        case_id=case_id,
        received_at=body.received_at,
        received_by_institution=body.received_by_institution,
    )
    return await answer_case(request, caller, svc, handlers.confirm_reception, cmd)


@case_action(
    router,
    "/{case_id}/follow-ups",
    "A follow-up visit after return (origin officer)",
    Acting.NATIONALITY_OFFICER,
)
async def record_follow_up(
    case_id: uuid.UUID, body: s.FollowUpCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.RecordFollowUp(
        case_id=case_id,
        visited_at=when(body.visited_at, svc),
        notes=body.notes,
    )
    return await answer_case(request, caller, svc, handlers.record_follow_up, cmd)
