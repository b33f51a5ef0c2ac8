"""The consular HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from consular.config import definition
from consular.entrypoints.api.routers import (
    notifications,
    operations,
    posts,
    statistics,
    verifications,
)
from puebla.http.app import create_service_app
from puebla.runtime import Runtime


def create_app(runtime: Runtime | None = None) -> FastAPI:
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
    )
