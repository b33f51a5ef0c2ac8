"""`fund.application.cancelled.v1` → the return's notice withdrawn
(`handlers.withdraw_fund_return`)."""

from __future__ import annotations

from consular.adapters import integration
from consular.bootstrap import Consular
from consular.entrypoints.consumers import subscription
from consular.service_layer import handlers
from puebla.messaging.consumer import Subscription


def subscriptions(svc: Consular) -> list[Subscription]:
    return [
        subscription(
            svc,
            "consular-fund-cancelled",
            "FUND",
            "fund.application.cancelled.v1",
            integration.fund_application_cancelled,
            handlers.withdraw_fund_return,
        )
    ]
