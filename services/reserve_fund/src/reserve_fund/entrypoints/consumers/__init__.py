"""The worker's consumers: one module per upstream stream."""

from __future__ import annotations

from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime
from reserve_fund.entrypoints.consumers import child_cases


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return child_cases.subscriptions(runtime)
