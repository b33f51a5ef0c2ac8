"""`/v1/applications`: filing, review, decision, money out, the return (API.md "reserve_fund").

Thin: parse the body, build the command from it, run its handler with a unit of work made for
the verified caller (`svc.uow(actor=caller)`), answer with the application as it now reads —
all inside `puebla.http.idempotency.write`, so every write takes an `Idempotency-Key` (the
OpenAPI says so: `**WRITE`) and a refusal is answered, stored and replayed as its problem. A
replay is answered only while the caller may still see the application (404 otherwise: its
child case may have been blocked for the consulate since).

Each action route declares who may take it (`may(...)`, `Applicant`): FastAPI resolves those
dependencies before it validates the body, so the answers come in POLICY's order — 404, 403,
then 409 and 422 — whatever the body holds.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from puebla.auth.principal import Principal
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE, Recheck, write
from puebla.http.pagination import page_request
from puebla.ids import new_id
from puebla.pagination import PageRequest
from reserve_fund.bootstrap import Fund
from reserve_fund.domain import (
    Beneficiary,
    Category,
    Consent,
    ConsentGiver,
    CostItem,
    CostKind,
    Money,
    Recommendation,
    Sex,
)
from reserve_fund.domain import commands as c
from reserve_fund.entrypoints.api.deps import Applicant, Svc, may
from reserve_fund.entrypoints.api.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApproveIn,
    CancelIn,
    CostItemIn,
    DisbursementIn,
    InformationAnswerIn,
    InformationRequestIn,
    RejectIn,
    ReviewIn,
    StatusName,
)
from reserve_fund.service_layer import access, handlers, queries

router = APIRouter(
    prefix="/v1/applications",
    tags=["applications"],
    responses=problem_responses(401, 404, 422),
)
ACTION_ERRORS = problem_responses(403, 409)


def _items(items: list[CostItemIn]) -> tuple[CostItem, ...]:
    return tuple(
        CostItem(CostKind(item.kind), Money.parse(item.amount, field=f"items[{i}].amount"))
        for i, item in enumerate(items)
    )


async def _read(svc: Fund, caller: Principal, application_id: UUID) -> ApplicationRead:
    return ApplicationRead.model_validate(await queries.application(svc, caller, application_id))


def _still_visible(svc: Fund, caller: Principal, application_id: UUID | None = None) -> Recheck:
    """Before a stored answer is replayed: may the caller still see the application — the one
    in the path, or for a filing the one the stored answer is about (404 otherwise)."""

    async def recheck(stored: Any) -> None:
        about = application_id
        if about is None and isinstance(stored, dict) and "id" in stored and "status" in stored:
            about = UUID(str(stored["id"]))
        if about is not None:
            await queries.ensure_readable(svc, caller, about)

    return recheck


@router.post(
    "",
    status_code=201,
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[Applicant],
    **WRITE,
)
async def create_application(
    body: ApplicationCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    """A draft, filed by a consular or immigration officer of the beneficiary's current country
    or nationality; checked for eligibility and the per-case cap at once."""

    async def action() -> tuple[int, Any]:
        b = body.beneficiary
        consent = body.voluntary_consent
        command = c.CreateApplication(
            application_id=new_id(),
            beneficiary=Beneficiary(
                given_names=b.given_names,
                surnames=b.surnames,
                sex=Sex(b.sex),
                date_of_birth=b.date_of_birth,
                nationality=b.nationality,
                protection_need=b.protection_need,
            ),
            current_country=body.current_country,
            categories=frozenset(Category(name) for name in body.categories),
            voluntary_consent=Consent(
                given=consent.given,
                given_by=ConsentGiver(consent.given_by),
                recorded_at=consent.recorded_at,
            ),
            items=_items(body.items),
            justification=body.justification,
            child_case_id=body.child_case_id,
        )
        done = await handlers.create_application(command, svc.uow(actor=caller))
        return 201, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller))


@router.get("", response_model=ApplicationPage)
async def list_applications(
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
    status: Annotated[StatusName | None, Query()] = None,
) -> Any:
    """The applications the caller may read, newest first; `next_cursor` continues the list."""
    result = await queries.applications(svc, caller, page, status=status)
    return ApplicationPage(
        items=[ApplicationRead.model_validate(item) for item in result.items],
        next_cursor=result.next_cursor,
    )


@router.get("/{application_id}", response_model=ApplicationRead)
async def read_application(application_id: UUID, caller: Caller, svc: Svc) -> Any:
    return await _read(svc, caller, application_id)


@router.post(
    "/{application_id}/submit",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.may_act_as_requester)],
    **WRITE,
)
async def submit_application(
    application_id: UUID, request: Request, caller: Caller, svc: Svc
) -> Response:
    """File the draft with IOM (an authority of the requesting country). Eligibility and the
    cap are checked again as of today; today's rule fixes how many approvers are needed."""

    async def action() -> tuple[int, Any]:
        command = c.SubmitApplication(application_id=application_id)
        done = await handlers.submit_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/request-info",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.fund_officer_may("ask for more information"))],
    **WRITE,
)
async def request_information(
    application_id: UUID, body: InformationRequestIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """The fund officer asks the requesting authority for more; any review and approvals so far
    are withdrawn."""

    async def action() -> tuple[int, Any]:
        command = c.RequestInformation(application_id=application_id, question=body.question)
        done = await handlers.request_information(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/provide-information",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.may_act_as_requester)],
    **WRITE,
)
async def provide_information(
    application_id: UUID, body: InformationAnswerIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """The requesting authority answers the open question, optionally replacing the cost items
    (checked against today's cap); the application goes back under review."""

    async def action() -> tuple[int, Any]:
        command = c.ProvideInformation(
            application_id=application_id,
            answer=body.answer,
            items=_items(body.items) if body.items is not None else None,
        )
        done = await handlers.provide_information(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/review",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.fund_officer_may("review an application"))],
    **WRITE,
)
async def review_application(
    application_id: UUID, body: ReviewIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """The fund officer recommends approval or rejection, with a note."""

    async def action() -> tuple[int, Any]:
        command = c.ReviewApplication(
            application_id=application_id,
            recommendation=Recommendation(body.recommendation),
            note=body.note,
        )
        done = await handlers.review_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/approve",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.may_approve)],
    **WRITE,
)
async def approve_application(
    application_id: UUID,
    request: Request,
    caller: Caller,
    svc: Svc,
    body: ApproveIn | None = None,
) -> Response:
    """One approval by a fund approver who did not review it. The last approval needed (the
    second, above the threshold, from a different approver) reserves the requested total on
    this year's budget — or is refused with 409 `budget.exhausted` when not that much is
    available."""

    async def action() -> tuple[int, Any]:
        command = c.ApproveApplication(
            application_id=application_id, note=body.note if body is not None else None
        )
        done = await handlers.approve_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/reject",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.may_reject)],
    **WRITE,
)
async def reject_application(
    application_id: UUID, body: RejectIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    async def action() -> tuple[int, Any]:
        command = c.RejectApplication(application_id=application_id, reason=body.reason)
        done = await handlers.reject_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/disbursements",
    status_code=201,
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.fund_officer_may("record a disbursement"))],
    **WRITE,
)
async def record_disbursement(
    application_id: UUID, body: DisbursementIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """Pay out part of the approved total (fund officer); instalments up to the total."""

    async def action() -> tuple[int, Any]:
        command = c.RecordDisbursement(
            application_id=application_id,
            amount=Money.parse(body.amount, field="amount"),
            purpose=body.purpose,
        )
        done = await handlers.record_disbursement_(command, svc.uow(actor=caller))
        return 201, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/complete",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.fund_officer_may("record a completed return"))],
    **WRITE,
)
async def complete_return(
    application_id: UUID, request: Request, caller: Caller, svc: Svc
) -> Response:
    """The return happened (fund officer); what was approved but not paid goes back."""

    async def action() -> tuple[int, Any]:
        command = c.CompleteReturn(application_id=application_id)
        done = await handlers.complete_return_(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/close",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.fund_officer_may("close an application"))],
    **WRITE,
)
async def close_application(
    application_id: UUID, request: Request, caller: Caller, svc: Svc
) -> Response:
    """File away a completed return (fund officer)."""

    async def action() -> tuple[int, Any]:
        command = c.CloseApplication(application_id=application_id)
        done = await handlers.close_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))


@router.post(
    "/{application_id}/cancel",
    response_model=ApplicationRead,
    responses=ACTION_ERRORS,
    dependencies=[may(access.may_cancel)],
    **WRITE,
)
async def cancel_application(
    application_id: UUID, body: CancelIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """Before any disbursement (fund officer, or the requesting authority withdrawing its
    request); an approved application gives its reservation back to the budget."""

    async def action() -> tuple[int, Any]:
        command = c.CancelApplication(application_id=application_id, reason=body.reason)
        done = await handlers.cancel_application(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, done)

    return await write(request, caller, action, recheck=_still_visible(svc, caller, application_id))
