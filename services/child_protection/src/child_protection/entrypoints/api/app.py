"""The child_protection HTTP API: the kit's service app (`create_service_app`) with the
`ChildProtection` service object its routes use, and the domain's refusals (`CaseError`)
answered by the kit's one mapping (`puebla.problems.problem_for`)."""

from __future__ import annotations

from fastapi import FastAPI

from child_protection.adapters.crypto import KeyRing
from child_protection.bootstrap import ChildProtection
from child_protection.config import definition
from child_protection.domain.errors import CaseError
from child_protection.entrypoints.api.routers import (
    cases,
    host,
    origin,
    sensitive,
    statistics,
    supervisor,
)
from puebla.clock import Clock, utcnow
from puebla.http.app import create_service_app
from puebla.runtime import Runtime


def create_app(
    runtime: Runtime | None = None, *, clock: Clock = utcnow, keyring: KeyRing | None = None
) -> FastAPI:
    """`clock` and `keyring` are for tests (a FrozenClock, a rotated key ring); without a
    `keyring` the settings' is loaded at startup, which fails outside a developer machine
    when it holds no real key."""
    return create_service_app(
        definition(),
        title="Puebla child protection: unaccompanied-child cases under the Regional Guidelines",
        routers=[
            cases.router,
            sensitive.router,
            host.router,
            origin.router,
            supervisor.router,
            statistics.router,
        ],
        runtime=runtime,
        service=lambda rt: ChildProtection(rt, clock=clock, keyring=keyring),
        refusals=(CaseError,),
    )
