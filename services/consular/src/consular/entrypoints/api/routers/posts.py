"""`GET /v1/consular-posts`: the directory, for any authenticated user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from consular.bootstrap import clock
from consular.entrypoints.api.schemas import ConsularPostPage, ConsularPostRead
from consular.service_layer import queries
from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.http.schemas import CalendarDate, CountryCode

router = APIRouter(prefix="/v1", tags=["consular posts"], responses=problem_responses(401))


@router.get("/consular-posts", response_model=ConsularPostPage, responses=problem_responses(422))
async def list_consular_posts(
    caller: Caller,
    runtime: ServiceRuntime,
    on: Annotated[
        CalendarDate | None,
        Query(description="valid on this date, YYYY-MM-DD (default: today, UTC)"),
    ] = None,
    country: Annotated[CountryCode | None, Query(description="the posts of this state")] = None,
    host_country: Annotated[CountryCode | None, Query(description="posts located here")] = None,
) -> Any:
    """Every post valid on `on`, with its jurisdiction (states of the host country) and
    address. The directory is small: one page, `next_cursor` always null."""
    async with runtime.sessions() as session:
        rows = await queries.consular_posts(
            session,
            on=on or clock(runtime)().date(),
            country=country,
            host_country=host_country,
        )
    return ConsularPostPage(items=[ConsularPostRead.model_validate(r) for r in rows])
