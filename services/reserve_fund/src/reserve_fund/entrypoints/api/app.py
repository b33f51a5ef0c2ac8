"""The reserve_fund HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from reserve_fund import bootstrap
from reserve_fund.config import definition
from reserve_fund.entrypoints.api import errors
from reserve_fund.entrypoints.api.routers import applications, budgets, reports, statistics


def create_app(runtime: Runtime | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """`clock` is the handlers' time (tests pass one to charge approvals to a year of their
    own); the service itself always runs on `utcnow`."""

    async def on_startup(rt: Runtime, app: FastAPI) -> None:
        app.state.fund = bootstrap.build(rt, clock)

    app = create_service_app(
        definition(),
        title="Puebla Reserve Fund: applications, approvals and the yearly budget",
        routers=[applications.router, budgets.router, reports.router, statistics.router],
        on_startup=on_startup,
        runtime=runtime,
    )
    errors.install(app)
    return app
