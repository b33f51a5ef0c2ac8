"""Nationality verification: a consul of the claimed nationality confirms or rejects it; the
decision goes back by event (`consular.nationality.{confirmed,rejected}.v1`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from consular import bootstrap
from consular.adapters.repository import ConcurrentUpdate
from consular.domain.commands import DecideVerification
from consular.domain.errors import ConsularError, NotConsulOfNationality
from consular.domain.states import Decision, VerificationStatus
from consular.entrypoints.api.auth import actor
from consular.entrypoints.api.errors import concurrent_update, problem_for
from consular.entrypoints.api.schemas import (
    VerificationDecision,
    VerificationPage,
    VerificationRead,
)
from consular.service_layer import handlers, queries
from puebla.auth.principal import Principal
from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.http.idempotency import idempotent
from puebla.http.pagination import page_request
from puebla.pagination import Cursor, PageRequest
from puebla.problems import not_found
from puebla.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["verifications"], responses=problem_responses(401))

THE_VERIFICATION = "The verification request"


async def _read(runtime: Runtime, verification_id: uuid.UUID, caller: Principal) -> dict[str, Any]:
    async with runtime.sessions() as session:
        view = await queries.verification(session, verification_id, viewer=actor(caller))
    if view is None:
        raise not_found(THE_VERIFICATION)
    return VerificationRead.model_validate(view).model_dump(mode="json")


def _still_visible(runtime: Runtime, caller: Principal) -> Any:
    """The replay check of `idempotent`: a stored decision is replayed only while the caller
    may still see the request (withdrawn since for a protection need: 404)."""

    async def recheck(stored: Any) -> None:
        if isinstance(stored, dict) and "id" in stored and "claimed_nationality" in stored:
            try:
                verification_id = uuid.UUID(str(stored["id"]))
            except ValueError:
                return
            await _read(runtime, verification_id, caller)

    return recheck


async def decidable(
    verification_id: uuid.UUID, caller: Caller, runtime: ServiceRuntime
) -> uuid.UUID:
    """Visibility (404), then permission (403), on the plain unlocked row — resolved by FastAPI
    before the body is validated, so a bad body about a request the caller may not see (or may
    not decide) answers 404 (or 403), not 422. The handler re-checks on the locked row."""
    who = actor(caller)
    async with runtime.sessions() as session:
        found = await queries.verification_record(session, verification_id)
    if found is None or not found.is_visible_to(who):
        raise not_found(THE_VERIFICATION)
    if not found.may_decide(who):
        raise problem_for(
            NotConsulOfNationality("only a consular officer of the claimed nationality decides"),
            THE_VERIFICATION,
        )
    return verification_id


@router.get("/verifications", response_model=VerificationPage, responses=problem_responses(422))
async def list_verifications(
    caller: Caller,
    runtime: ServiceRuntime,
    page: Annotated[PageRequest, Depends(page_request)],
    status: Annotated[VerificationStatus | None, Query()] = None,
    related_id: Annotated[
        str | None, Query(max_length=100, description="e.g. a manifest id")
    ] = None,
) -> Any:
    """Requests the caller may see, newest first: a consul those claiming their nationality;
    the host's immigration officers those about people in their country."""
    async with runtime.sessions() as session:
        found = await queries.verifications(
            session,
            viewer=actor(caller),
            status=status,
            limit=page.limit,
            after=(page.cursor.after, page.cursor.after_id) if page.cursor else None,
            related_id=related_id,
        )
    return VerificationPage(
        items=[VerificationRead.model_validate(i) for i in found.items],
        next_cursor=Cursor(*found.last).encode() if found.last else None,
    )


@router.get(
    "/verifications/{verification_id}",
    response_model=VerificationRead,
    responses=problem_responses(404),
)
async def read_verification(
    verification_id: uuid.UUID, caller: Caller, runtime: ServiceRuntime
) -> Any:
    return await _read(runtime, verification_id, caller)


@router.post(
    "/verifications/{verification_id}/decision",
    response_model=VerificationRead,
    responses=problem_responses(403, 404, 409, 422),
)
async def decide_verification(
    verification_id: Annotated[uuid.UUID, Depends(decidable)],
    body: VerificationDecision,
    request: Request,
    caller: Caller,
    runtime: ServiceRuntime,
) -> Response:
    """`confirmed` or `rejected` (with `reason`), once; the same decision again is a no-op, a
    different one 409."""

    async def action() -> tuple[int, Any]:
        command = DecideVerification(
            verification_id=verification_id,
            decision=Decision(body.decision),
            reason=body.reason,
            by=actor(caller),
        )
        try:
            await handlers.decide_verification(command, bootstrap.unit_of_work(runtime))
        except ConsularError as error:
            raise problem_for(error, THE_VERIFICATION) from None
        except ConcurrentUpdate as error:
            raise concurrent_update(error) from None
        return 200, await _read(runtime, verification_id, caller)

    return await idempotent(
        request, caller, runtime.sessions, action, recheck=_still_visible(runtime, caller)
    )
