"""Router dependencies of the Fund's API.

`may(permission)` decides, from the plain row and before FastAPI looks at the body, whether
the caller may see the application (404) and take the action (403): so a denied caller gets
404/403 even for a body that would fail validation (422), and the existence of an application
never leaks through the order of the answers. The handler decides both again inside its
transaction, before it locks the row. `Applicant` and `BudgetSetter` decide what needs no
record (who the caller is) the same way, before the body.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path

from puebla.auth.principal import Principal
from puebla.http.deps import Caller, service
from reserve_fund.bootstrap import Fund
from reserve_fund.service_layer import access, queries

Svc = Annotated[Fund, Depends(service)]
Year = Annotated[int, Path(ge=2004, le=9999, description="calendar year of the budget")]


def may(permission: access.Permission) -> Any:
    async def decide(application_id: UUID, caller: Caller, svc: Svc) -> access.AccessFacts:
        facts = await queries.ensure_readable(svc, caller, application_id)
        permission(caller, facts)
        return facts

    return Depends(decide)


async def _applicant(caller: Caller) -> Principal:
    access.ensure_filing_authority(caller)
    return caller


# Filing: a consular or immigration officer of a member state (403 before any body check).
Applicant = Depends(_applicant)


async def _budget_setter(caller: Caller) -> Principal:
    access.ensure_fund_approver(caller, "set the yearly budget")
    return caller


# Setting a year's budget: a fund approver (403 before any body check).
BudgetSetter = Depends(_budget_setter)
