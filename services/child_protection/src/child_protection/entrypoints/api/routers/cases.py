"""`/v1/cases`: open a case, the cases the caller may see, one case's summary.

Thin routes — parse, build the command, run the handler on a unit of work made for the caller
(`svc.uow(actor=caller)`), answer the summary. Every write is the kit's `write`
(`answers.answer_case`); every answer about a case the caller may not see is a 404; the
sensitive sections come only from `/sensitive` (`routers.sensitive`). The casework routes are
grouped by who acts: `host`, `origin`, `supervisor`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from child_protection.domain import Accompaniment, Child, Place, Stage
from child_protection.domain import commands as c
from child_protection.entrypoints.api import schemas as s
from child_protection.entrypoints.api.answers import SEX_IN, answer_case, case_read, summary_body
from child_protection.entrypoints.api.deps import CaseOpener, Svc
from child_protection.service_layer import handlers, queries
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE
from puebla.http.pagination import page_request
from puebla.ids import new_id
from puebla.pagination import PageRequest

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 404))


def open_command(body: s.CaseCreate, opened_at: datetime) -> c.OpenCase:
    child = body.child
    return c.OpenCase(
        case_id=new_id(),
        host_country=body.place.country,
        nationality=child.nationality,
        child=Child(
            given_names=child.given_names,
            surnames=child.surnames,
            sex=SEX_IN[child.sex],
            date_of_birth=child.date_of_birth,
            estimated_age=child.estimated_age,
            languages=tuple(child.languages),
        ),
        identified_at=body.identified_at,
        place=Place(body.place.country, body.place.state, body.place.city),
        accompaniment=Accompaniment(body.accompaniment),
        age_disputed=body.age_disputed,
        protection_need=body.protection_need,
        trafficking_indicator=body.trafficking_indicator,
        indicator_details=body.indicator_details,
        opened_at=opened_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=s.CaseRead,
    responses=problem_responses(403, 409, 422),
    summary="Open a case (child-protection officer of the host country)",
    **WRITE,
)
async def open_case(caller: CaseOpener, body: s.CaseCreate, request: Request, svc: Svc) -> Response:
    cmd = open_command(body, opened_at=svc.clock())
    return await answer_case(request, caller, svc, handlers.open_case, cmd, status=201)


@router.get("", response_model=s.CasePage, summary="Cases the caller may see, newest first")
async def list_cases(
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
    stage: Annotated[Stage | None, Query()] = None,
    overdue: Annotated[bool | None, Query(description="only cases with (or without)")] = None,
) -> Any:
    found = await queries.list_cases(svc, caller, page, stage=stage, overdue=overdue)
    today = svc.clock().date()
    return s.CasePage(
        items=[case_read(item, today) for item in found.items], next_cursor=found.next_cursor
    )


@router.get("/{case_id}", response_model=s.CaseRead, summary="The case summary")
async def read_case(case_id: uuid.UUID, caller: Caller, svc: Svc) -> Any:
    return await summary_body(svc, caller, case_id)
