"""What the case routes answer: the case summary as the API shows it, and the one way every
write runs and answers — its handler on a unit of work made for the caller, inside the kit's
`write` (an `Idempotency-Key` replays the first answer, a refusal is answered with its
problem), then the summary of the command's case.

A replay re-checks first that the caller may still see the case the answer is about (the
path's, or the one an opening created): a protection need found since hides it from the
child's own country, and the replay then answers 404 like any request would."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request, Response

from child_protection.bootstrap import ChildProtection
from child_protection.domain import CaseSummary, Sex
from child_protection.domain.commands import Command
from child_protection.entrypoints.api import schemas as s
from child_protection.service_layer import queries
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.auth.principal import Principal
from puebla.http.idempotency import Recheck, write

C = TypeVar("C", bound=Command)

SEX_IN: dict[str, Sex] = {"F": Sex.FEMALE, "M": Sex.MALE, "X": Sex.OTHER}
_SEX_OUT: dict[Sex, s.SexCode] = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "X"}


def case_read(summary: CaseSummary, today: date) -> s.CaseRead:
    child = summary.child
    return s.CaseRead(
        id=summary.id,
        reference=summary.reference,
        version=summary.version,
        stage=summary.stage.value,
        host_country=summary.host_country,
        nationality=summary.nationality,
        child=s.ChildRead(
            given_names=child.given_names,
            surnames=child.surnames,
            sex=_SEX_OUT[child.sex],
            date_of_birth=child.date_of_birth,
            estimated_age=child.estimated_age,
            age=child.age_on(today),
            age_disputed=summary.age_disputed,
            languages=list(child.languages),
        ),
        deadlines=[
            s.DeadlineRead(stage=d.stage.value, due_at=d.due_at, overdue=d.overdue, met_at=d.met_at)
            for d in summary.deadlines
        ],
        bid=None if summary.bid_decision is None else s.BidSummary(decision=summary.bid_decision),
        blocked_for_consulate=summary.blocked_for_consulate,
    )


async def summary_body(svc: ChildProtection, caller: Principal, case_id: uuid.UUID) -> Any:
    summary = await queries.case_summary(svc, caller, case_id)
    return case_read(summary, svc.clock().date()).model_dump(mode="json")


async def answer_case(
    request: Request,
    caller: Principal,
    svc: ChildProtection,
    handler: Callable[[C, CaseUnitOfWork], Awaitable[uuid.UUID | None]],
    cmd: C,
    status: int = 200,
) -> Response:
    """Runs `handler(cmd)` on a unit of work made for the caller, at most once per
    `Idempotency-Key`, and answers the summary of the command's case."""

    async def action() -> tuple[int, Any]:
        await handler(cmd, svc.uow(actor=caller))
        return status, await summary_body(svc, caller, cmd.case_id)

    about = request.path_params.get("case_id")  # already validated as a UUID
    recheck = still_visible(svc, caller, None if about is None else uuid.UUID(str(about)))
    return await write(request, caller, action, recheck=recheck)


def still_visible(svc: ChildProtection, caller: Principal, case_id: uuid.UUID | None) -> Recheck:
    async def recheck(stored: Any) -> None:
        about = case_id
        if about is None and isinstance(stored, dict) and isinstance(stored.get("id"), str):
            about = uuid.UUID(stored["id"])
        if about is not None:  # None: a refused opening, about no case
            await queries.check_may_act(svc, caller, about)

    return recheck


def when(given: datetime | None, svc: ChildProtection) -> datetime:
    """An act's time as the request gives it, else now."""
    return given if given is not None else svc.clock()
