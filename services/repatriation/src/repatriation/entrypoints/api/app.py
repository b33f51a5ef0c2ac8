"""The repatriation HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from repatriation.config import definition
from repatriation.entrypoints.api import errors
from repatriation.entrypoints.api.routers import manifests, reception_points, statistics


def create_app(runtime: Runtime | None = None) -> FastAPI:
    app = create_service_app(
        definition(),
        title="Puebla repatriation: land-repatriation manifests under the Memorandum",
        routers=[reception_points.router, manifests.router, statistics.router],
        runtime=runtime,
    )
    errors.install(app)
    return app
