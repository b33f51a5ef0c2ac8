"""The consular HTTP API: the routers on one `Consular` service object (built at startup from
the app's runtime, on `clock`: tests freeze it); the domain's refusals (`ConsularError`) are
answered by `puebla.problems.problem_for`, like every service's."""

from __future__ import annotations

from fastapi import FastAPI

from consular.bootstrap import Consular
from consular.config import definition
from consular.domain.errors import ConsularError
from consular.entrypoints.api.routers import (
    notifications,
    operations,
    posts,
    statistics,
    verifications,
)
from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime


def create_app(runtime: Runtime | None = None, *, clock: Clock = utcnow) -> FastAPI:
    return create_service_app(
        definition(),
        title="Puebla consular: notifications, acknowledgments and nationality verification",
        routers=[
            posts.router,
            notifications.router,
            verifications.router,
            operations.router,
            statistics.router,
        ],
        runtime=runtime,
        service=lambda rt: Consular(rt, clock=clock),
        refusals=(ConsularError,),
    )
