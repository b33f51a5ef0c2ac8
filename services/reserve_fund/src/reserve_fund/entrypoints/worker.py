"""`python -m reserve_fund.entrypoints.worker`: the outbox relay, the consumers and the audit
checkpoints (published, and the other services' kept: `puebla.audit_anchor`)."""

from __future__ import annotations

from puebla.audit_anchor import anchored, checkpoint_job
from puebla.worker import main
from reserve_fund.config import definition
from reserve_fund.entrypoints.consumers import subscriptions

AUDIT_CHECKPOINTS = "reserve-fund-audit-checkpoints"

if __name__ == "__main__":
    service = definition()
    main(
        service,
        anchored(subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[checkpoint_job(service)],
    )
