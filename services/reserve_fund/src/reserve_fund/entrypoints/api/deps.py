"""Router dependencies of the Fund's API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from reserve_fund.bootstrap import Fund


def fund(request: Request) -> Fund:
    value: Fund = request.app.state.fund
    return value


FundDep = Annotated[Fund, Depends(fund)]
Year = Annotated[int, Path(ge=2004, le=9999, description="calendar year of the budget")]
