"""The `limit` and `cursor` query parameters of every list route, as a `PageRequest`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from puebla.pagination import MAX_LIMIT, Cursor, PageRequest


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most 200")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageRequest:
    return PageRequest(limit, Cursor.decode(cursor) if cursor else None)
