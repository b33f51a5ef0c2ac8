"""Nationality verification: a consul of the claimed nationality confirms or rejects it; the
decision goes back by event (`consular.nationality.{confirmed,rejected}.v1`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from consular.domain.commands import DecideVerification
from consular.domain.states import Decision, VerificationStatus
from consular.entrypoints.api.deps import Svc
from consular.entrypoints.api.schemas import (
    VerificationDecision,
    VerificationPage,
    VerificationRead,
)
from consular.service_layer import handlers, queries
from puebla.auth.principal import Principal
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE, Recheck, write
from puebla.http.pagination import page_request
from puebla.pagination import PageRequest

router = APIRouter(prefix="/v1", tags=["verifications"], responses=problem_responses(401))


async def _read(svc: Svc, caller: Principal, verification_id: uuid.UUID) -> dict[str, Any]:
    view = await queries.verification(svc, caller, verification_id)
    return VerificationRead.model_validate(view).model_dump(mode="json")


def _still_visible(svc: Svc, caller: Principal) -> Recheck:
    """The replay check of `write`: a stored decision is replayed only while the caller may
    still see the request (withdrawn since for a protection need: 404)."""

    async def recheck(stored: Any) -> None:
        if isinstance(stored, dict) and "id" in stored and "claimed_nationality" in stored:
            try:
                verification_id = uuid.UUID(str(stored["id"]))
            except ValueError:
                return
            await queries.verification(svc, caller, verification_id)

    return recheck


async def decidable(verification_id: uuid.UUID, caller: Caller, svc: Svc) -> uuid.UUID:
    """Visibility (404), then permission (403), on the plain unlocked row — resolved by FastAPI
    before the body is validated, so a bad body about a request the caller may not see (or may
    not decide) answers 404 (or 403), not 422. The handler decides again on the locked row."""
    await queries.check_consul_may_decide(svc, caller, verification_id)
    return verification_id


@router.get("/verifications", response_model=VerificationPage, responses=problem_responses(422))
async def list_verifications(
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
    status: Annotated[VerificationStatus | None, Query()] = None,
    related_id: Annotated[
        str | None, Query(max_length=100, description="e.g. a manifest id")
    ] = None,
) -> Any:
    """Requests the caller may see, newest first: a consul those claiming their nationality;
    the host's immigration officers those about people in their country."""
    found = await queries.verifications(
        svc, caller, page=page, status=status, related_id=related_id
    )
    return VerificationPage(
        items=[VerificationRead.model_validate(i) for i in found.items],
        next_cursor=found.next_cursor,
    )


@router.get(
    "/verifications/{verification_id}",
    response_model=VerificationRead,
    responses=problem_responses(404),
)
async def read_verification(verification_id: uuid.UUID, caller: Caller, svc: Svc) -> Any:
    return await _read(svc, caller, verification_id)


@router.post(
    "/verifications/{verification_id}/decision",
    response_model=VerificationRead,
    responses=problem_responses(403, 404, 409, 422),
    **WRITE,
)
async def decide_verification(
    verification_id: Annotated[uuid.UUID, Depends(decidable)],
    body: VerificationDecision,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    """`confirmed` or `rejected` (with `reason`), once; the same decision again is a no-op, a
    different one 409."""

    async def action() -> tuple[int, Any]:
        command = DecideVerification(
            verification_id=verification_id,
            decision=Decision(body.decision),
            reason=body.reason,
        )
        await handlers.decide_verification(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, verification_id)

    return await write(request, caller, action, recheck=_still_visible(svc, caller))
