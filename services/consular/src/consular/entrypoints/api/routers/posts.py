"""`GET /v1/consular-posts`: the directory, for any authenticated user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from consular.entrypoints.api.deps import Svc
from consular.entrypoints.api.schemas import ConsularPostPage, ConsularPostRead
from consular.service_layer import queries
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.schemas import CalendarDate, CountryCode

router = APIRouter(prefix="/v1", tags=["consular posts"], responses=problem_responses(401))


@router.get("/consular-posts", response_model=ConsularPostPage, responses=problem_responses(422))
async def list_consular_posts(
    caller: Caller,
    svc: Svc,
    on: Annotated[
        CalendarDate | None,
        Query(description="valid on this date, YYYY-MM-DD (default: today, UTC)"),
    ] = None,
    country: Annotated[CountryCode | None, Query(description="the posts of this state")] = None,
    host_country: Annotated[CountryCode | None, Query(description="posts located here")] = None,
) -> Any:
    """Every post valid on `on`, with its jurisdiction (states of the host country) and
    address. The directory is small: one page, `next_cursor` always null."""
    found = await queries.consular_posts(
        svc, caller, on=on, country=country, host_country=host_country
    )
    return ConsularPostPage(
        items=[ConsularPostRead.model_validate(p) for p in found.items],
        next_cursor=found.next_cursor,
    )
