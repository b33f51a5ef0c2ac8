"""The dependencies of the child_protection routes: the service object, typed, and the checks
POLICY.md puts before anything else of a request about one case.

FastAPI resolves a route's dependencies before it validates the body: `may_act` decides, on the
plain unlocked row, 404 for a case the caller may not see, then 403 for an act they may not
perform — so that not even a 422 for a malformed body tells an invisible case from no case at
all. The handlers decide again inside their transaction."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from child_protection.bootstrap import ChildProtection
from child_protection.domain import CHILD_PROTECTION_OFFICER, Acting
from child_protection.domain.errors import OnlyHostOfficer
from child_protection.entrypoints.api import schemas as s
from child_protection.service_layer import queries
from puebla.auth.principal import Principal
from puebla.http.deps import Caller, service
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE

Svc = Annotated[ChildProtection, Depends(service)]


def may_act(acting: Acting | None) -> Callable[..., Awaitable[None]]:
    """A dependency: 404 unless the caller sees the case, then 403 unless they act as `acting`
    (None: seeing it is enough)."""

    async def check(case_id: uuid.UUID, caller: Caller, svc: Svc) -> None:
        await queries.check_may_act(svc, caller, case_id, acting)

    return check


def case_action(
    router: APIRouter, path: str, summary: str, acting: Acting, method: str = "POST"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A write route on one case, reserved to `acting` (decided before the body is validated),
    answering the case summary; documented as every write is (`Idempotency-Key`)."""
    return router.api_route(
        path,
        methods=[method],
        response_model=s.CaseRead,
        responses=problem_responses(403, 409, 422),
        summary=summary,
        dependencies=[Depends(may_act(acting))],
        **WRITE,
    )


async def case_opener(caller: Caller) -> Principal:
    """Only a child-protection officer opens a case (of their own country: the domain checks
    the body's host country)."""
    if CHILD_PROTECTION_OFFICER not in caller.roles:
        raise OnlyHostOfficer("only a child-protection officer of the host country opens a case")
    return caller


CaseOpener = Annotated[Principal, Depends(case_opener)]
