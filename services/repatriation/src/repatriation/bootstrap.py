"""Composition root of the repatriation service: units of work and what the worker consumes."""

from __future__ import annotations

from puebla.clock import Clock, utcnow
from puebla.messaging.consumer import Handler, Subscription
from puebla.runtime import Runtime
from repatriation.domain.errors import ManifestError
from repatriation.service_layer.errors import UnknownManifest
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork

# Consular decisions on the nationality of returnees: one durable per subject (the bus
# permissions grant each durable its one filter). Their order between the two does not
# matter: a returnee's nationality is decided once, a second decision is refused.
NATIONALITY_DURABLES = {
    "consular.nationality.confirmed.v1": "repatriation-nationality-confirmed",
    "consular.nationality.rejected.v1": "repatriation-nationality-rejected",
}

# Refusals that no retry can change: recorded in the inbox as rejected and acknowledged.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (ManifestError, UnknownManifest)


def clock(runtime: Runtime) -> Clock:
    """The service's clock: `runtime.extras["clock"]` when a test sets one, else UTC now."""
    given = runtime.extras.get("clock")
    return given if callable(given) else utcnow


def unit_of_work(runtime: Runtime) -> ManifestUnitOfWork:
    return ManifestUnitOfWork(
        runtime.sessions, source=runtime.definition.source, clock=clock(runtime)
    )


def subscriptions(runtime: Runtime, *, nationality_decided: Handler) -> list[Subscription]:
    """The durable consumers of the worker. The handlers come from `entrypoints.consumers`
    (bootstrap sits below the entrypoints and may not import them)."""
    return [
        Subscription(
            durable=durable,
            stream="CONSULAR",
            subjects=[subject],
            handle=nationality_decided,
            permanent_errors=PERMANENT_ERRORS,
        )
        for subject, durable in NATIONALITY_DURABLES.items()
    ]
