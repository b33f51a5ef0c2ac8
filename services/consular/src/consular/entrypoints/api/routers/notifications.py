"""Consular notifications: reports by the host authority, the consulate's inbox, its
acknowledgment and the consular actions it records (POLICY.md "Consular notifications and
nationality verification")."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from consular.domain.commands import (
    AcknowledgeNotification,
    RecordConsularAction,
    ReportNotification,
)
from consular.domain.rules import NotificationKind
from consular.domain.states import ConsularActionKind
from consular.domain.values import Person, Place, Sex
from consular.entrypoints.api.deps import Svc
from consular.entrypoints.api.schemas import (
    ConsularActionReport,
    NotificationPage,
    NotificationRead,
    NotificationReport,
)
from consular.service_layer import handlers, queries
from puebla.auth.principal import Principal
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE, Recheck, write
from puebla.http.pagination import page_request
from puebla.pagination import PageRequest

router = APIRouter(prefix="/v1", tags=["notifications"], responses=problem_responses(401))


async def _read(svc: Svc, caller: Principal, notification_id: uuid.UUID) -> dict[str, Any]:
    view = await queries.notification(svc, caller, notification_id)
    return NotificationRead.model_validate(view).model_dump(mode="json")


def _still_visible(svc: Svc, caller: Principal) -> Recheck:
    """The replay check of `write`: a stored answer about a notification is replayed only while
    the caller may still see it (a protection need found since hides it: 404)."""

    async def recheck(stored: Any) -> None:
        if isinstance(stored, dict) and "id" in stored and "status" in stored:
            try:
                notification_id = uuid.UUID(str(stored["id"]))
            except ValueError:
                return
            await queries.notification(svc, caller, notification_id)

    return recheck


async def consul_may_act(notification_id: uuid.UUID, caller: Caller, svc: Svc) -> uuid.UUID:
    """Who acknowledges a notification and records consular actions on it: a consular officer
    of the person's nationality, on a notice sent to the consulate. Visibility (404) and
    permission (403) on the plain, unlocked row, before anything else — FastAPI resolves this
    before it validates any body, so an invalid request about a record the caller may not see
    still answers 404. The handler decides again on the locked row."""
    await queries.check_consul_may_act(svc, caller, notification_id)
    return notification_id


@router.post(
    "/notifications",
    status_code=201,
    response_model=NotificationRead,
    responses=problem_responses(403, 422),
    **WRITE,
)
async def report_notification(
    body: NotificationReport, request: Request, caller: Caller, svc: Svc
) -> Response:
    """An immigration officer of the host country (`place.country`) reports a detention, a
    death, a minor needing a guardian or an accident. The answer is the notification: `pending`
    and routed to the nationality's post, or `suppressed` with `suppression_reason` when the
    rules forbid telling the consulate (which then never sees it)."""

    async def action() -> tuple[int, Any]:
        command = ReportNotification(
            kind=NotificationKind(body.kind),
            person=Person(
                given_names=body.person.given_names,
                surnames=body.person.surnames,
                sex=Sex(body.person.sex),
                date_of_birth=body.person.date_of_birth,
            ),
            nationalities=(body.person.nationality,),
            place=Place(body.place.country, body.place.state, body.place.city),
            occurred_at=body.occurred_at,
            protection_need=body.protection_need,
            person_requests_notification=body.person_requests_notification,
            person_objects_to_consular_action=body.person_objects_to_consular_action,
        )
        (notification_id,) = await handlers.report_notification(command, svc.uow(actor=caller))
        return 201, await _read(svc, caller, notification_id)

    return await write(request, caller, action, recheck=_still_visible(svc, caller))


@router.get("/notifications", response_model=NotificationPage, responses=problem_responses(422))
async def list_notifications(
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
    status: Annotated[
        Literal["pending", "acknowledged", "overdue", "suppressed", "unroutable", "withdrawn"]
        | None,
        Query(description="`overdue`: pending and past a deadline"),
    ] = None,
    related_id: Annotated[
        str | None, Query(max_length=100, description="e.g. a manifest id")
    ] = None,
) -> Any:
    """The notifications the caller may see, newest first: a consul those about their
    nationals that were sent; the host's immigration officers every one of their country."""
    found = await queries.notifications(
        svc, caller, page=page, status=status, related_id=related_id
    )
    return NotificationPage(
        items=[NotificationRead.model_validate(i) for i in found.items],
        next_cursor=found.next_cursor,
    )


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationRead,
    responses=problem_responses(404),
)
async def read_notification(notification_id: uuid.UUID, caller: Caller, svc: Svc) -> Any:
    return await _read(svc, caller, notification_id)


@router.post(
    "/notifications/{notification_id}/acknowledge",
    response_model=NotificationRead,
    responses=problem_responses(403, 404, 409),
    **WRITE,
)
async def acknowledge_notification(
    notification_id: Annotated[uuid.UUID, Depends(consul_may_act)],
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    """The consulate has received the notice: a consular officer of the person's nationality
    stops the clocks. Acknowledging again changes nothing."""

    async def action() -> tuple[int, Any]:
        command = AcknowledgeNotification(notification_id=notification_id)
        await handlers.acknowledge_notification(command, svc.uow(actor=caller))
        return 200, await _read(svc, caller, notification_id)

    return await write(request, caller, action, recheck=_still_visible(svc, caller))


@router.post(
    "/notifications/{notification_id}/actions",
    status_code=201,
    response_model=NotificationRead,
    responses=problem_responses(403, 404, 409, 422),
    **WRITE,
)
async def record_consular_action(
    notification_id: Annotated[uuid.UUID, Depends(consul_may_act)],
    body: ConsularActionReport,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    """A consular officer of the person's nationality records consular access, an interview or
    a visit (`at`: when it happened, between the notice's `occurred_at` and now). 409 with rule
    `do_not_act` when the person expressly objects to consular action (art. 36(1)(c)), and
    `notification_withdrawn` for a notice taken back. The answer is the notification, the
    action last in `actions`."""

    async def action() -> tuple[int, Any]:
        command = RecordConsularAction(
            notification_id=notification_id,
            kind=ConsularActionKind(body.kind),
            at=body.at,
            notes=body.notes,
        )
        await handlers.record_consular_action(command, svc.uow(actor=caller))
        return 201, await _read(svc, caller, notification_id)

    return await write(request, caller, action, recheck=_still_visible(svc, caller))
