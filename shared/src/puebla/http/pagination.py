"""Keyset pagination: opaque cursors over (sort key, id), stable under concurrent inserts."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from puebla.problems import FieldError, invalid

MAX_LIMIT = 200
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


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
            raise invalid(
                [FieldError("cursor", "invalid_cursor", "not a cursor we issued")]
            ) from None
        # A forged time near Python's limits (year 1 at +14:00) made asyncpg's conversion to
        # UTC overflow: a 500. A cursor holds a recorded time: never before 1900, and never
        # within a day of year 9999 (a clock moved ahead, as tests move it, stays below).
        if cursor.after.tzinfo is None or not _EARLIEST <= cursor.after < _LATEST:
            raise invalid([FieldError("cursor", "invalid_cursor", "not a cursor we issued")])
        return cursor


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: Cursor | None


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most 200")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageRequest:
    return PageRequest(limit, Cursor.decode(cursor) if cursor else None)
