"""`python -m repatriation.entrypoints.worker`: the outbox relay, the consumers and the audit
checkpoints (published, and the other services' kept: `puebla.audit_anchor`)."""

from __future__ import annotations

from puebla.audit_anchor import anchored, checkpoint_job
from puebla.worker import main
from repatriation.config import definition
from repatriation.entrypoints.consumers import subscriptions

AUDIT_CHECKPOINTS = "repatriation-audit-checkpoints"

if __name__ == "__main__":
    service = definition()
    main(
        service,
        anchored(subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[checkpoint_job(service)],
    )
