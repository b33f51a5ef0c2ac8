"""`python -m child_protection.entrypoints.worker`: the outbox relay, the consumers and, next to
them, the deadline scheduler — one process, stopped together by SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from child_protection.adapters.crypto import KeyRing
from child_protection.bootstrap import bootstrap, load_keyring, subscriptions
from child_protection.config import Settings, definition
from child_protection.entrypoints.scheduler import DeadlineScheduler
from puebla.audit_anchor import anchored, checkpoint_job
from puebla.runtime import Runtime
from puebla.worker import BackgroundJob
from puebla.worker import main as worker_main


def deadline_checks(settings: Settings, keyring: KeyRing) -> BackgroundJob:
    async def deadline_scheduler(runtime: Runtime, stop: asyncio.Event) -> None:
        scheduler = DeadlineScheduler(
            bootstrap(runtime, keyring=keyring), interval=settings.deadline_check_seconds
        )
        await scheduler.run(stop)

    return deadline_scheduler


# The other services' audit checkpoints, kept here (`puebla.audit_anchor`).
AUDIT_CHECKPOINTS = "child-protection-audit-checkpoints"


def main() -> None:
    settings = Settings()
    keyring = load_keyring(settings)  # before anything starts: no real key, no worker
    service = definition(settings)
    worker_main(
        service,
        anchored(subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[deadline_checks(settings, keyring), checkpoint_job(service)],
    )


if __name__ == "__main__":
    main()
