"""The reserve_fund HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from puebla.http.app import create_service_app
from puebla.runtime import Runtime
from reserve_fund.config import definition


def create_app(runtime: Runtime | None = None) -> FastAPI:
    return create_service_app(
        definition(),
        title="Puebla Reserve Fund: applications, approvals and the yearly budget",
        routers=[],
        runtime=runtime,
    )
