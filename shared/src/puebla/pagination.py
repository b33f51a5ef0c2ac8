"""Keyset pagination: opaque cursors over (sort key, id), stable under concurrent inserts.

No HTTP in here: the service layers read pages with it; `puebla.http.pagination` turns the
query parameters into a `PageRequest`. A cursor we did not issue is an `InvalidValue` refusal
naming `cursor` (422)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from puebla.refusals import InvalidValue

MAX_LIMIT = 200
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)

T = TypeVar("T")


def _not_ours() -> InvalidValue:
    return InvalidValue("not a cursor we issued", rule="invalid_cursor", field="cursor")


@dataclass(frozen=True)
class Cursor:
    after: datetime
    after_id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.after.isoformat(), str(self.after_id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            at, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
            cursor = cls(datetime.fromisoformat(at), uuid.UUID(ident))
        except (ValueError, TypeError, json.JSONDecodeError):
            raise _not_ours() from None
        # A forged time near Python's limits (year 1 at +14:00) made asyncpg's conversion to
        # UTC overflow: a 500. A cursor holds a recorded time: never before 1900, and never
        # within a day of year 9999 (a clock moved ahead, as tests move it, stays below).
        if cursor.after.tzinfo is None or not _EARLIEST <= cursor.after < _LATEST:
            raise _not_ours()
        return cursor


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: Cursor | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first: `next_cursor` continues it, None on the last page."""

    items: Sequence[T]
    next_cursor: str | None
