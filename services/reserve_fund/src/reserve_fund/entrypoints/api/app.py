"""The reserve_fund HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from reserve_fund.bootstrap import Fund
from reserve_fund.config import definition
from reserve_fund.domain.errors import FundError
from reserve_fund.entrypoints.api.routers import applications, budgets, reports, statistics


def create_app(runtime: Runtime | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """`clock` is the handlers' time (tests pass one to charge approvals to a year of their
    own); the service itself always runs on `utcnow`. A `FundError` anywhere is answered by
    `puebla.problems.problem_for`, like every refusal."""
    return create_service_app(
        definition(),
        title="Puebla Reserve Fund: applications, approvals and the yearly budget",
        routers=[applications.router, budgets.router, reports.router, statistics.router],
        runtime=runtime,
        service=lambda rt: Fund(rt, clock=clock),
        refusals=(FundError,),
    )
