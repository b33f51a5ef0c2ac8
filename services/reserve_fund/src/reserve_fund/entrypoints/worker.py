"""`python -m reserve_fund.entrypoints.worker`: the outbox relay, the consumers and the audit
checkpoints (published, and the other services' kept: `puebla.audit_anchor`); its figures
for Prometheus are the budget's (`service_layer.monitoring`).

The consumers get the same `Fund` service object the API builds, on the real clock."""

from __future__ import annotations

from puebla.audit_anchor import anchored, checkpoint_job
from puebla.messaging.consumer import Subscription
from puebla.runtime import Runtime
from puebla.worker import main
from reserve_fund.bootstrap import Fund
from reserve_fund.config import definition
from reserve_fund.entrypoints.consumers import child_cases
from reserve_fund.service_layer import monitoring

AUDIT_CHECKPOINTS = "reserve-fund-audit-checkpoints"


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return child_cases.subscriptions(Fund(runtime))


if __name__ == "__main__":
    service = definition()
    main(
        service,
        anchored(subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[checkpoint_job(service)],
        readings=[monitoring.readings],
    )
