"""`python -m child_protection.entrypoints.worker`: the outbox relay, the consumers and, next to
them, the deadline scheduler — one process, stopped together by SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio

from child_protection.bootstrap import bootstrap, subscriptions
from child_protection.config import Settings, definition
from child_protection.entrypoints.scheduler import DeadlineScheduler
from puebla.observability import configure_logging, configure_tracing
from puebla.runtime import Runtime
from puebla.worker import run_worker


async def run(settings: Settings | None = None, *, stop: asyncio.Event | None = None) -> None:
    settings = settings or Settings()
    service = definition(settings)
    stop = stop or asyncio.Event()
    # Its own engine (no NATS): `run_worker` keeps its runtime to itself. Starting it first
    # applies the migrations before the scheduler's first query.
    runtime = await Runtime.start(service, with_nats=False)
    scheduler = DeadlineScheduler(bootstrap(runtime), interval=settings.deadline_check_seconds)
    deadlines = asyncio.create_task(scheduler.run(stop), name="deadline-scheduler")
    try:
        await run_worker(service, subscriptions, stop=stop)  # sets `stop` on SIGTERM/SIGINT
    finally:
        stop.set()
        await asyncio.gather(deadlines, return_exceptions=True)
        await runtime.close()


def main() -> None:
    service = definition()
    configure_logging(
        service.name, level=service.platform.log_level, json=service.platform.log_json
    )
    configure_tracing(service.name)
    asyncio.run(run())


if __name__ == "__main__":
    main()
