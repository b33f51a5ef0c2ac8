"""The deadline scheduler: every `interval` seconds, check the open cases whose next due time
has passed and emit `child.stage.overdue.v1` for each stage newly found overdue (once per stage:
the stages already reported are part of the case, checked under its row lock).

Time comes from the service's clock (a `FrozenClock` in tests), never from the loop: `tick()` is
the whole job, `run()` only repeats it until told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib

from child_protection.bootstrap import ChildProtection
from child_protection.service_layer import handlers
from puebla.observability import get_logger

log = get_logger(__name__)


class DeadlineScheduler:
    def __init__(self, services: ChildProtection, *, interval: float = 60.0) -> None:
        self.services = services
        self.interval = interval
        self.ticks = 0

    async def tick(self) -> int:
        """One pass; returns how many overdue events it emitted."""
        emitted = await handlers.check_all_deadlines(self.services.uow())
        self.ticks += 1
        if emitted:
            log.info("child_protection.deadlines.overdue", emitted=emitted)
        return emitted

    async def run(self, stop: asyncio.Event) -> None:
        log.info("child_protection.deadlines.started", interval=self.interval)
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                # A failed pass (database restarting) is retried on the next one; nothing is
                # half-done: each case is checked in its own transaction.
                log.exception("child_protection.deadlines.failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
        log.info("child_protection.deadlines.stopped")
