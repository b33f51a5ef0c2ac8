"""`repatriation.manifest.cancelled.v1` → a cancellation notice for an announced manifest, its
verification requests withdrawn (`handlers.notify_manifest_cancelled`)."""

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
            "consular-manifest-cancelled",
            "REPATRIATION",
            "repatriation.manifest.cancelled.v1",
            integration.manifest_cancelled,
            handlers.notify_manifest_cancelled,
        )
    ]
