"""The worker's consumers, wired through `bootstrap.subscriptions`."""

from __future__ import annotations

from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime
from repatriation import bootstrap
from repatriation.entrypoints.consumers import nationality


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return bootstrap.subscriptions(runtime, nationality_decided=nationality.handler(runtime))
