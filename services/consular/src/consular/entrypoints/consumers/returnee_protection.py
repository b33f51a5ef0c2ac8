"""`repatriation.returnee.protection_need_recorded.v1` → those returnees' verification requests
withdrawn for their nationality, the manifest's notices no longer counting them
(`handlers.withdraw_returnees`)."""

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
            "consular-returnee-protection-need",
            "REPATRIATION",
            "repatriation.returnee.protection_need_recorded.v1",
            integration.returnee_protection_need_recorded,
            handlers.withdraw_returnees,
        )
    ]
