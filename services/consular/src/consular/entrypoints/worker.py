"""`python -m consular.entrypoints.worker`: the outbox relay, the consumers, and two periodic
tasks — the clocks (routing notices left unroutable once the directory has a post, then the
overdue check) and the e-mail sender — until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from consular import bootstrap
from consular.adapters.email import Mailer
from consular.config import Settings, definition
from consular.domain.commands import CheckOverdue
from consular.service_layer import handlers
from puebla.audit_anchor import anchored, checkpoint_job
from puebla.clock import Clock
from puebla.observability import get_logger
from puebla.runtime import Runtime
from puebla.worker import BackgroundJob
from puebla.worker import main as worker_main

log = get_logger(__name__)


async def _every(
    seconds: float, stop: asyncio.Event, name: str, work: Callable[[], Awaitable[object]]
) -> None:
    """Runs `work` now and then every `seconds` until `stop`; a failure is logged and retried
    on the next tick (a database restart must not end the clocks)."""
    while not stop.is_set():
        try:
            await work()
        except Exception as exc:
            log.warning(f"{name}.failed", error=f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def overdue_loop(
    runtime: Runtime, stop: asyncio.Event, *, every: float, clock: Clock | None = None
) -> None:
    now = clock or bootstrap.clock(runtime)
    new_uow = bootstrap.uow_factory(runtime)

    async def tick() -> None:
        # Unroutable notices first: one routed now starts its clocks (from its trigger).
        routed = await handlers.route_unroutable(new_uow)
        if routed:
            log.info("notifications.routed", count=routed)
        escalated = await handlers.check_overdue(CheckOverdue(now=now()), new_uow)
        if escalated:
            log.info("notifications.escalated", count=escalated)

    await _every(every, stop, "overdue_check", tick)


async def email_loop(
    runtime: Runtime,
    stop: asyncio.Event,
    *,
    mailer: Mailer,
    sender: str,
    retry: handlers.RetryPolicy,
    every: float,
) -> None:
    new_uow = bootstrap.uow_factory(runtime)

    async def tick() -> None:
        await handlers.deliver_emails(new_uow, mailer, sender=sender, retry=retry)

    await _every(every, stop, "email_delivery", tick)


def background_jobs(settings: Settings) -> list[BackgroundJob]:
    """The clocks and the e-mail sender, run by `puebla.worker` beside the relay and the
    consumers, on the same runtime and stop event."""

    async def overdue_check(runtime: Runtime, stop: asyncio.Event) -> None:
        await overdue_loop(runtime, stop, every=settings.overdue_check_seconds)

    async def email_delivery(runtime: Runtime, stop: asyncio.Event) -> None:
        await email_loop(
            runtime,
            stop,
            mailer=bootstrap.mailer(settings),
            sender=settings.smtp_sender,
            retry=bootstrap.retry_policy(settings),
            every=settings.email_poll_seconds,
        )

    return [overdue_check, email_delivery]


# The other services' audit checkpoints, kept here (`puebla.audit_anchor`).
AUDIT_CHECKPOINTS = "consular-audit-checkpoints"


def main() -> None:
    settings = Settings()
    service = definition(settings)
    worker_main(
        service,
        anchored(bootstrap.subscriptions, durable=AUDIT_CHECKPOINTS),
        background=[*background_jobs(settings), checkpoint_job(service)],
    )


if __name__ == "__main__":
    main()
