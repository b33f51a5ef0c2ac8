"""Composition root of the repatriation service: what its worker consumes."""

from __future__ import annotations

from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime


def subscriptions(runtime: Runtime) -> list[Subscription]:
    # The domain arrives with its own issue; until then the worker only relays the outbox.
    return []
