"""A service's worker process: the outbox relay plus its consumers, until SIGTERM/SIGINT.

With `PUEBLA_METRICS_PORT` set it also answers Prometheus there: what its relay and consumers
did, and, read at each scrape, the state it looks after (`puebla.monitoring`, plus the
service's own `readings`).

Besides the service's own jobs, every worker runs the platform's: the purge of expired
idempotency keys (`purge_idempotency_keys`), so no service has to remember it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

import uvloop

from puebla import collector, monitoring
from puebla.db.idempotency import purge_expired
from puebla.messaging.consumer import ConsumerRunner, Subscription
from puebla.messaging.permissions import Durable, undeclared
from puebla.messaging.relay import OutboxRelay
from puebla.monitoring import ServiceReadings
from puebla.observability import configure_logging, configure_tracing, get_logger, metrics
from puebla.runtime import Runtime, ServiceDefinition
from puebla.stopping import sleep_or_stop

log = get_logger(__name__)

SubscriptionFactory = Callable[[Runtime], list[Subscription]]
# Periodic jobs of a service (deadline checks, e-mail delivery...): each gets the worker's
# runtime and stop event and returns a coroutine that ends when `stop` is set.
BackgroundJob = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]


async def run_worker(
    definition: ServiceDefinition,
    subscriptions: SubscriptionFactory,
    *,
    stop: asyncio.Event | None = None,
    background: Sequence[BackgroundJob] = (),
    readings: Sequence[ServiceReadings] = (),
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime = await Runtime.start(definition)
    assert runtime.js is not None
    relay = OutboxRelay(
        runtime.engine,
        runtime.sessions,
        runtime.js,
        retention=timedelta(hours=definition.platform.outbox_retention_hours),
        service=definition.name,
    )
    subs = subscriptions(runtime)
    check_durables(definition.name, subs)
    unwatch = metrics.watch_state(
        loop, monitoring.state_reader(runtime, subs, readings), service=definition.name
    )
    listener = metrics.listen(definition.platform.metrics_host, definition.platform.metrics_port)
    tasks = [asyncio.create_task(relay.run(stop), name="outbox-relay")]
    for sub in subs:
        runner = ConsumerRunner(runtime.js, runtime.sessions, sub, service=definition.name)
        tasks.append(asyncio.create_task(runner.run(stop), name=f"consumer-{sub.durable}"))
    for job in (purge_idempotency_keys, *background):
        tasks.append(asyncio.create_task(job(runtime, stop), name=getattr(job, "__name__", "job")))
    collector.settle()
    log.info("worker.started", service=definition.name, consumers=len(tasks) - 1)
    stopping = asyncio.create_task(stop.wait(), name="stop")
    try:
        done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
        # Tasks end when stopped; only one ending before that is a failure.
        died = [] if stopping in done else list(done)
    finally:
        stop.set()
        await asyncio.gather(stopping, *tasks, return_exceptions=True)
        if listener is not None:
            listener.stop()
        unwatch()
        await runtime.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        log.info("worker.stopped", service=definition.name)
    if died:
        # Each task loops until stopped: one that ended is a bug. Exit non-zero so the
        # supervisor restarts the whole worker, rather than run on without it.
        for task in died:
            failure = None if task.cancelled() else task.exception()
            log.error("worker.task_ended", task=task.get_name(), error=repr(failure))
        raise WorkerTaskEnded(", ".join(t.get_name() for t in died))


class UndeclaredDurable(RuntimeError):
    """A worker would run a durable its bus user is not granted (messaging/permissions.py)."""


def check_durables(service: str, subs: list[Subscription]) -> None:
    missing = undeclared(service, [Durable(s.stream, s.durable, s.subjects[0]) for s in subs])
    if missing:
        listed = ", ".join(f"{d.name} ({d.stream}, {d.subject})" for d in missing)
        raise UndeclaredDurable(
            f"{service}: durables not in puebla.messaging.permissions.DURABLES: {listed}"
        )


async def purge_idempotency_keys(runtime: Runtime, stop: asyncio.Event) -> None:
    """Every `idempotency_purge_interval_seconds`, deletes the idempotency keys older than
    `idempotency_retention_days` (`puebla.db.idempotency.purge_expired`). Several workers of
    one service may purge at once: a delete of what is already gone is harmless."""
    platform = runtime.definition.platform
    retention = timedelta(days=platform.idempotency_retention_days)
    while not stop.is_set():
        try:
            purged = await purge_expired(runtime.sessions, retention)
        except Exception as exc:
            # The database may be away for a moment; the next round tries again. Ending here
            # would stop the whole worker (a job that ends is a failure).
            log.warning("idempotency.purge_failed", error=f"{type(exc).__name__}: {exc}")
        else:
            if purged:
                log.info("idempotency.purged", keys=purged, older_than=str(retention))
        await sleep_or_stop(stop, platform.idempotency_purge_interval_seconds)


def every(
    seconds: Callable[[Runtime], float], work: Callable[[Runtime], Awaitable[object]], name: str
) -> BackgroundJob:
    """A periodic job: `work(runtime)` every `seconds(runtime)` until the worker stops. A round
    that fails (the database away for a moment) is logged and the next one tries again: a job
    that ended would stop the whole worker."""

    async def job(runtime: Runtime, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await work(runtime)
            except Exception as exc:
                log.warning("worker.job_failed", job=name, error=f"{type(exc).__name__}: {exc}")
            await sleep_or_stop(stop, seconds(runtime))

    job.__name__ = name
    return job


class WorkerTaskEnded(RuntimeError):
    """A relay, consumer or job of the worker ended before the worker was stopped."""


def main(
    definition: ServiceDefinition,
    subscriptions: SubscriptionFactory,
    *,
    background: Sequence[BackgroundJob] = (),
    readings: Sequence[ServiceReadings] = (),
) -> None:
    configure_logging(
        definition.name, level=definition.platform.log_level, json=definition.platform.log_json
    )
    configure_tracing(definition.name)
    # uvloop, as uvicorn gives the APIs: the relay's and consumers' socket writes and the
    # loop's own turns were a third of the worker's CPU on asyncio's selector loop.
    uvloop.run(run_worker(definition, subscriptions, background=background, readings=readings))
