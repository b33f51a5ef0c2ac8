"""Time as the domain receives it: always passed in, always timezone-aware."""

from __future__ import annotations

from datetime import datetime


def require_aware(now: datetime) -> None:
    # A naive datetime here is an adapter bug (STYLE.md: all times UTC), not a client error.
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
