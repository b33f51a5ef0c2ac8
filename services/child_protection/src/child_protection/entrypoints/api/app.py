"""The child_protection HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from child_protection.adapters.crypto import KeyRing
from child_protection.bootstrap import bootstrap
from child_protection.config import definition
from child_protection.entrypoints.api.routers import cases, statistics
from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime


def create_app(
    runtime: Runtime | None = None, *, clock: Clock = utcnow, keyring: KeyRing | None = None
) -> FastAPI:
    """`clock` and `keyring` are for tests (a FrozenClock, a rotated key ring)."""

    async def on_startup(rt: Runtime, app: FastAPI) -> None:
        app.state.child_protection = bootstrap(rt, clock=clock, keyring=keyring)

    return create_service_app(
        definition(),
        title="Puebla child protection: unaccompanied-child cases under the Regional Guidelines",
        routers=[cases.router, statistics.router],
        on_startup=on_startup,
        runtime=runtime,
    )
