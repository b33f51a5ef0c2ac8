"""The CHILD stream's openings, consular notices and clearings of a block → the child case's
notice, made, held back or sent (`handlers.notify_child_case`)."""

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
            "consular-child-case-opened",
            "CHILD",
            "child.case.opened.v1",
            integration.child_case_opened,
            handlers.notify_child_case,
        ),
        subscription(
            # Who the child is, only when the consulate may be told: at the opening of a case
            # that is not blocked, or at the clearing of its block (consular's alone).
            svc,
            "consular-child-consular-notice",
            "CHILD",
            "child.case.consular_notice.v1",
            integration.child_consular_notice,
            handlers.notify_child_case,
        ),
        subscription(
            svc,
            "consular-child-block-cleared",
            "CHILD",
            "child.case.consular_block_cleared.v1",
            integration.child_consular_block_cleared,
            handlers.notify_child_case,
        ),
    ]
