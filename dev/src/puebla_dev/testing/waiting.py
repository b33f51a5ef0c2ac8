"""Waiting for a condition instead of sleeping for a guess."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_until(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Polls `probe` until it returns something truthy; returns that value (never None: a
    probe that answers None until the condition holds gets what it finally answers)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: T | None = None
    while loop.time() < deadline:
        last = await probe()
        if last:  # truthy, so not None
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout} s (last value: {last!r})")
