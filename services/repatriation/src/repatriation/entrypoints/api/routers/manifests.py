"""`/v1/manifests`: thin routes — parse, build the command, run the handler, read back.

Every write goes through `idempotent` (an `Idempotency-Key` replays the first answer) and
turns refusals into problems inside it, so a refused request is replayed as refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from puebla.auth.principal import Principal
from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.http.idempotency import idempotent
from puebla.http.pagination import PageRequest, page_request
from puebla.http.schemas import Code, CountryCode
from puebla.runtime import Runtime
from repatriation import bootstrap
from repatriation.domain import (
    HandoverItem,
    HandoverOutcome,
    IdentityDocument,
    RefusalReason,
    ReturneeData,
    Sex,
    Vehicle,
    Vulnerabilities,
)
from repatriation.domain import commands as c
from repatriation.entrypoints.api import schemas as s
from repatriation.entrypoints.api.errors import refusals_as_problems
from repatriation.service_layer import handlers, queries

router = APIRouter(prefix="/v1/manifests", tags=["manifests"])

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "The same key with the same request returns the first result.",
}
WRITE: dict[str, Any] = {"openapi_extra": {"parameters": [IDEMPOTENCY_KEY]}}


def returnee_data(body: s.ReturneeCreate) -> ReturneeData:
    return ReturneeData(
        given_names=body.given_names,
        surnames=body.surnames,
        sex=Sex(body.sex),
        date_of_birth=body.date_of_birth,
        nationality=body.nationality,
        place_of_origin=body.place_of_origin,
        vulnerabilities=Vulnerabilities(
            pregnant=body.vulnerabilities.pregnant,
            disability=body.vulnerabilities.disability,
            illness_or_injury=body.vulnerabilities.illness_or_injury,
            trafficking_indicator=body.vulnerabilities.trafficking_indicator,
        ),
        protection_need=body.protection_need,
        age_disputed=body.age_disputed,
        document=(
            IdentityDocument(type=body.document.type, number=body.document.number)
            if body.document
            else None
        ),
        family_group=body.family_group,
    )


async def _manifest(runtime: Runtime, caller: Principal, manifest_id: uuid.UUID) -> Any:
    read = await queries.get_manifest(runtime.sessions, caller, manifest_id)
    return s.ManifestRead.model_validate(read).model_dump(mode="json")


async def _write(
    request: Request,
    caller: Principal,
    runtime: Runtime,
    action: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response:
    async def guarded() -> tuple[int, Any]:
        with refusals_as_problems():
            return await action()

    return await idempotent(request, caller, runtime.sessions, guarded)


@router.post(
    "",
    status_code=201,
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 409, 422),
    summary="Create a draft manifest (immigration officer of the sending country)",
    **WRITE,
)
async def create_manifest(
    body: s.ManifestCreate, request: Request, caller: Caller, runtime: ServiceRuntime
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.CreateManifest(
            sending_country=caller.country or "",
            receiving_country=body.receiving_country,
            reception_point=body.reception_point,
            scheduled_departure=body.scheduled_departure,
            scheduled_arrival=body.scheduled_arrival,
            vehicle=Vehicle(plate=body.vehicle.plate, seats=body.vehicle.seats),
            returnees=tuple(returnee_data(r) for r in body.returnees),
            late_notice_reason=body.late_notice_reason,
        )
        manifest_id = await handlers.create_manifest(cmd, bootstrap.unit_of_work(runtime), caller)
        return 201, await _manifest(runtime, caller, manifest_id)

    return await _write(request, caller, runtime, action)


@router.get(
    "",
    response_model=s.ManifestPage,
    responses=problem_responses(401, 422),
    summary="The manifests the caller may read, newest first (without their people: counts)",
)
async def list_manifests(
    caller: Caller,
    runtime: ServiceRuntime,
    page: Annotated[PageRequest, Depends(page_request)],
    status: s.Status | None = None,
    receiving_country: Annotated[CountryCode | None, Query()] = None,
    reception_point: Annotated[Code | None, Query()] = None,
) -> Any:
    items, cursor = await queries.list_manifests(
        runtime.sessions,
        caller,
        page,
        queries.ManifestFilters(status, receiving_country, reception_point),
    )
    return s.ManifestPage(
        items=[s.ManifestSummary.model_validate(i) for i in items], next_cursor=cursor
    )


@router.get(
    "/{manifest_id}",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 404, 422),
    summary="One manifest and its returnees (vulnerable people first)",
)
async def get_manifest(manifest_id: uuid.UUID, caller: Caller, runtime: ServiceRuntime) -> Any:
    with refusals_as_problems():
        return await _manifest(runtime, caller, manifest_id)


@router.post(
    "/{manifest_id}/returnees",
    status_code=201,
    response_model=s.ReturneeAdded,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Add a returnee (draft, or submitted: an amendment)",
    **WRITE,
)
async def add_returnee(
    manifest_id: uuid.UUID,
    body: s.ReturneeCreate,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.AddReturnee(manifest_id=manifest_id, returnee=returnee_data(body))
        returnee_id = await handlers.add_returnee(cmd, bootstrap.unit_of_work(runtime), caller)
        manifest = await _manifest(runtime, caller, manifest_id)
        return 201, {"returnee_id": str(returnee_id), "manifest": manifest}

    return await _write(request, caller, runtime, action)


@router.delete(
    "/{manifest_id}/returnees/{returnee_id}",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Remove a returnee (a reason is required once submitted)",
    **WRITE,
)
async def remove_returnee(
    manifest_id: uuid.UUID,
    returnee_id: uuid.UUID,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
    reason: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.RemoveReturnee(manifest_id=manifest_id, returnee_id=returnee_id, reason=reason)
        await handlers.remove_returnee(cmd, bootstrap.unit_of_work(runtime), caller)
        return 200, await _manifest(runtime, caller, manifest_id)

    return await _write(request, caller, runtime, action)


@router.post(
    "/{manifest_id}/submit",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Submit: the receiving side is notified, nationality verification is requested",
    **WRITE,
)
async def submit_manifest(
    manifest_id: uuid.UUID,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
    body: s.SubmitRequest | None = None,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.SubmitManifest(
            manifest_id=manifest_id, late_notice_reason=body.late_notice_reason if body else None
        )
        await handlers.submit_manifest(cmd, bootstrap.unit_of_work(runtime), caller)
        return 200, await _manifest(runtime, caller, manifest_id)

    return await _write(request, caller, runtime, action)


@router.post(
    "/{manifest_id}/dispatch",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="The bus leaves: every returnee confirmed, a seat for each",
    **WRITE,
)
async def dispatch_manifest(
    manifest_id: uuid.UUID, request: Request, caller: Caller, runtime: ServiceRuntime
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.DispatchManifest(manifest_id=manifest_id)
        await handlers.dispatch_manifest(cmd, bootstrap.unit_of_work(runtime), caller)
        return 200, await _manifest(runtime, caller, manifest_id)

    return await _write(request, caller, runtime, action)


@router.post(
    "/{manifest_id}/cancel",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Cancel (any state before arrived), with a reason",
    **WRITE,
)
async def cancel_manifest(
    manifest_id: uuid.UUID,
    body: s.CancelRequest,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.CancelManifest(manifest_id=manifest_id, reason=body.reason)
        await handlers.cancel_manifest(cmd, bootstrap.unit_of_work(runtime), caller)
        return 200, await _manifest(runtime, caller, manifest_id)

    return await _write(request, caller, runtime, action)


@router.post(
    "/{manifest_id}/handovers",
    response_model=s.HandoverResult,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Record hand-overs at the reception point (border officer of that point)",
    **WRITE,
)
async def record_handovers(
    manifest_id: uuid.UUID,
    body: s.HandoverRequest,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.RecordHandovers(
            manifest_id=manifest_id,
            items=tuple(
                HandoverItem(
                    returnee_id=item.returnee_id,
                    outcome=HandoverOutcome(item.outcome),
                    reason=RefusalReason(item.reason) if item.reason else None,
                )
                for item in body.items
            ),
            officer=caller.username,
            post=caller.border_post or "",
        )
        recorded = await handlers.record_handovers(cmd, bootstrap.unit_of_work(runtime), caller)
        record = await queries.handover_record(runtime.sessions, caller, manifest_id)
        result = s.HandoverResult(
            recorded=recorded, record=s.HandoverRecordRead.model_validate(record)
        )
        return 200, result.model_dump(mode="json")

    return await _write(request, caller, runtime, action)


@router.get(
    "/{manifest_id}/handover-record",
    response_model=s.HandoverRecordRead,
    responses=problem_responses(401, 404, 422),
    summary="The hand-over record (acta): every person, outcome, officer, time, post; totals",
)
async def get_handover_record(
    manifest_id: uuid.UUID, caller: Caller, runtime: ServiceRuntime
) -> Any:
    with refusals_as_problems():
        return await queries.handover_record(runtime.sessions, caller, manifest_id)
