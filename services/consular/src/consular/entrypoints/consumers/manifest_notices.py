"""`repatriation.manifest.{submitted,amended}.v1` → the receiving country's manifest notice and
a nationality verification request per (added) returnee (`handlers.notify_manifest`)."""

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
            "consular-manifest-submitted",
            "REPATRIATION",
            "repatriation.manifest.submitted.v1",
            integration.manifest_submitted,
            handlers.notify_manifest,
        ),
        subscription(
            svc,
            "consular-manifest-amended",
            "REPATRIATION",
            "repatriation.manifest.amended.v1",
            integration.manifest_amended,
            handlers.notify_manifest,
        ),
    ]
