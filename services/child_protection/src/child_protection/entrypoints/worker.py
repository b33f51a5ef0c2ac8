"""`python -m child_protection.entrypoints.worker`: the outbox relay, the consumers and, next to
them, the deadline checks — one process, stopped together by SIGTERM/SIGINT.

The deadline check (`check_deadlines`) runs every CHILD_PROTECTION_DEADLINE_CHECK_SECONDS:
the open cases whose next due time has passed get `child.stage.overdue.v1` for each stage newly
found overdue (once per stage: the stages already reported are part of the case, checked under
its row lock). Time comes from the service's clock (a `FrozenClock` in tests), never from the
loop; a failed round (the database restarting) is retried on the next one, and nothing is
half-done: each case is checked in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from child_protection.bootstrap import ChildProtection, load_keyring
from child_protection.config import Settings, definition
from child_protection.service_layer import handlers
from puebla.audit_anchor import anchored, checkpoint_job
from puebla.messaging.consumer import Subscription
from puebla.observability import get_logger
from puebla.runtime import Runtime
from puebla.worker import BackgroundJob, every
from puebla.worker import main as worker_main

log = get_logger(__name__)

# Who the audit trail names for what the worker does on its own clock.
SCHEDULER = "system"


async def check_deadlines(svc: ChildProtection) -> int:
    """One round; returns how many overdue events it emitted."""
    emitted = await handlers.check_all_deadlines(svc.uow(actor=SCHEDULER))
    if emitted:
        log.info("child_protection.deadlines.overdue", emitted=emitted)
    return emitted


ServiceOf = Callable[[Runtime], ChildProtection]


def deadlines_job(service: ServiceOf, seconds: float) -> BackgroundJob:
    """`check_deadlines` every `seconds`, on the service `service(runtime)` builds."""

    async def work(runtime: Runtime) -> None:
        await check_deadlines(service(runtime))

    return every(lambda _: seconds, work, "deadline_check")


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return []  # child cases start from people, not from other services' events


# The other services' audit checkpoints, kept here (`puebla.audit_anchor`).
AUDIT_CHECKPOINTS = "child-protection-audit-checkpoints"


def main() -> None:
    settings = Settings()
    keyring = load_keyring(settings)  # before anything starts: no real key, no worker
    service = definition(settings)

    def child_protection(runtime: Runtime) -> ChildProtection:
        return ChildProtection(runtime, keyring=keyring)

    worker_main(
        service,
        anchored(subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[
            deadlines_job(child_protection, settings.deadline_check_seconds),
            checkpoint_job(service),
        ],
    )


if __name__ == "__main__":
    main()
