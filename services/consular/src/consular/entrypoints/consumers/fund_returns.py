"""`fund.application.approved.v1` → the beneficiary's consulate told of the assisted return
(`handlers.notify_fund_return`)."""

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
            "consular-fund-approved",
            "FUND",
            "fund.application.approved.v1",
            integration.fund_application_approved,
            handlers.notify_fund_return,
        )
    ]
