"""`python -m repatriation.entrypoints.worker`: the outbox relay, the consumers and the audit
checkpoints (published, and the other services' kept: `puebla.audit_anchor`); its figures
for Prometheus are what the border posts have waiting (`service_layer.monitoring`).

The worker builds the same `Repatriation` service object as the API, and the consumers'
subscriptions from it (`subscriptions`; tests build it with their frozen clock)."""

from __future__ import annotations

from puebla.audit_anchor import anchored, checkpoint_job
from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime
from puebla.worker import main
from repatriation.bootstrap import Repatriation
from repatriation.config import definition
from repatriation.entrypoints.consumers import nationality
from repatriation.service_layer import monitoring

AUDIT_CHECKPOINTS = "repatriation-audit-checkpoints"


def subscriptions(svc: Repatriation) -> list[Subscription]:
    """Every durable consumer of the worker."""
    return nationality.subscriptions(svc)


def _subscriptions(runtime: Runtime) -> list[Subscription]:
    return subscriptions(Repatriation(runtime))


if __name__ == "__main__":
    service = definition()
    main(
        service,
        anchored(_subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[checkpoint_job(service)],
        readings=[monitoring.readings],
    )
