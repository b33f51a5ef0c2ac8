"""`child.case.consular_block_set.v1` → what the child's state was told of the case withdrawn
for it (`handlers.withdraw_child_case`)."""

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
            "consular-child-block-set",
            "CHILD",
            "child.case.consular_block_set.v1",
            integration.child_consular_block_set,
            handlers.withdraw_child_case,
        )
    ]
