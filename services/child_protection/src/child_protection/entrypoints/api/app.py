"""The child_protection HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from child_protection.config import definition
from puebla.http.app import create_service_app
from puebla.runtime import Runtime


def create_app(runtime: Runtime | None = None) -> FastAPI:
    return create_service_app(
        definition(),
        title="Puebla child protection: unaccompanied-child cases under the Regional Guidelines",
        routers=[],
        runtime=runtime,
    )
