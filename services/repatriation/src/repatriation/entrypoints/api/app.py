"""The repatriation HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from repatriation.config import definition


def create_app(runtime: Runtime | None = None) -> FastAPI:
    return create_service_app(
        definition(),
        title="Puebla repatriation: land-repatriation manifests under the Memorandum",
        routers=[],
        runtime=runtime,
    )
