"""The repatriation HTTP API: the kit's service app (`create_service_app`) with the
`Repatriation` service object its routes use, and the domain's refusals (`ManifestError`)
answered by the kit's one mapping (`puebla.problems.problem_for`)."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from repatriation.bootstrap import Repatriation
from repatriation.config import definition
from repatriation.domain.errors import ManifestError
from repatriation.entrypoints.api.routers import manifests, reception_points, statistics


def create_app(runtime: Runtime | None = None, *, clock: Clock = utcnow) -> FastAPI:
    """`clock`: what "now" is for every use case (tests hand in a `FrozenClock`)."""
    return create_service_app(
        definition(),
        title="Puebla repatriation: land-repatriation manifests under the Memorandum",
        routers=[reception_points.router, manifests.router, statistics.router],
        runtime=runtime,
        service=lambda rt: Repatriation(rt, clock=clock),
        refusals=(ManifestError,),
    )
