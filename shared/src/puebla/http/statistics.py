"""`GET /v1/statistics` for every service: the same parameters, the same shape, the same
small-cell threshold; each service brings only its query (aggregates in SQL) and its words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from puebla.http.deps import Caller, service
from puebla.http.errors import problem_responses
from puebla.service import Service
from puebla.statistics import StatisticsRead, small_cell, this_year

StatisticsYear = Annotated[
    int | None,
    Query(ge=2004, le=9999, description="calendar year (default: the current year, UTC)"),
]
StatisticsCountry = Annotated[
    str | None,
    Query(
        pattern="^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2: only the figures that concern this country",
    ),
]

# (the service object, caller, *, year, country, threshold) -> the service's figures, read
# through the service layer like every query (`svc.sessions`)
StatisticsQuery = Callable[..., Awaitable[StatisticsRead]]


def statistics_router(query: StatisticsQuery, *, description: str) -> APIRouter:
    router = APIRouter(
        prefix="/v1/statistics", tags=["statistics"], responses=problem_responses(401, 403, 422)
    )

    @router.get("", response_model=StatisticsRead, description=description)
    async def read_statistics(
        caller: Caller,
        svc: Annotated[Service[Any], Depends(service)],
        year: StatisticsYear = None,
        country: StatisticsCountry = None,
    ) -> Any:
        return await query(
            svc,
            caller,
            year=year or this_year(),
            country=country,
            threshold=small_cell(),
        )

    return router
