"""`PUT/GET /v1/budgets/{year}`: the Fund's yearly allocation and what is left of it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE, write
from reserve_fund.domain import Money
from reserve_fund.domain.commands import SetBudget
from reserve_fund.entrypoints.api.deps import BudgetSetter, Svc, Year
from reserve_fund.entrypoints.api.schemas import BudgetIn, BudgetRead
from reserve_fund.service_layer import handlers, queries

router = APIRouter(
    prefix="/v1/budgets", tags=["budgets"], responses=problem_responses(401, 403, 422)
)


@router.put(
    "/{year}",
    response_model=BudgetRead,
    responses=problem_responses(409),
    dependencies=[BudgetSetter],
    **WRITE,
)
async def set_budget(
    year: Year, body: BudgetIn, request: Request, caller: Caller, svc: Svc
) -> Response:
    """Set the year's allocation (fund approver: 403 for anyone else, whatever the body). It
    cannot go below what is already reserved or disbursed (409)."""

    async def action() -> tuple[int, Any]:
        allocated = Money.parse(body.allocated, field="allocated")
        await handlers.set_budget(SetBudget(year=year, allocated=allocated), svc.uow(actor=caller))
        return 200, BudgetRead.model_validate(await queries.budget(svc, caller, year))

    return await write(request, caller, action)


@router.get("/{year}", response_model=BudgetRead)
async def read_budget(year: Year, caller: Caller, svc: Svc) -> Any:
    """Allocated, reserved, disbursed and available (secretariat, fund officer, fund approver).
    A year nobody has set reads as all zeros."""
    return BudgetRead.model_validate(await queries.budget(svc, caller, year))
