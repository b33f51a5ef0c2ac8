"""`python -m consular.entrypoints.worker`: the outbox relay, the consumers, and two periodic
tasks — the overdue check (the treaty clocks) and the e-mail sender — until SIGTERM/SIGINT.

`puebla.worker.run_worker` runs a relay and consumers only; this worker follows the same shape
(one stop event, every task stops promptly when it is set) and adds its own tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta

from consular import bootstrap
from consular.adapters.email import Mailer
from consular.config import Settings, definition
from consular.domain.commands import CheckOverdue
from consular.service_layer import handlers
from puebla.clock import Clock
from puebla.messaging.consumer import ConsumerRunner
from puebla.messaging.relay import OutboxRelay
from puebla.observability import configure_logging, configure_tracing, get_logger
from puebla.runtime import Runtime

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


def tasks(runtime: Runtime, settings: Settings, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    assert runtime.js is not None
    relay = OutboxRelay(
        runtime.engine,
        runtime.sessions,
        runtime.js,
        retention=timedelta(hours=runtime.definition.platform.outbox_retention_hours),
    )
    out = [asyncio.create_task(relay.run(stop), name="outbox-relay")]
    for sub in bootstrap.subscriptions(runtime):
        runner = ConsumerRunner(runtime.js, runtime.sessions, sub)
        out.append(asyncio.create_task(runner.run(stop), name=f"consumer-{sub.durable}"))
    out.append(
        asyncio.create_task(
            overdue_loop(runtime, stop, every=settings.overdue_check_seconds),
            name="overdue-check",
        )
    )
    out.append(
        asyncio.create_task(
            email_loop(
                runtime,
                stop,
                mailer=bootstrap.mailer(settings),
                sender=settings.smtp_sender,
                retry=bootstrap.retry_policy(settings),
                every=settings.email_poll_seconds,
            ),
            name="email-delivery",
        )
    )
    return out


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime = await Runtime.start(definition(settings))
    running = tasks(runtime, settings, stop)
    log.info("worker.started", service="consular", tasks=[t.get_name() for t in running])
    try:
        await stop.wait()
    finally:
        await asyncio.gather(*running, return_exceptions=True)
        await runtime.close()
        log.info("worker.stopped", service="consular")


def main() -> None:
    settings = Settings()
    platform = definition(settings).platform
    configure_logging("consular", level=platform.log_level, json=platform.log_json)
    configure_tracing("consular")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
