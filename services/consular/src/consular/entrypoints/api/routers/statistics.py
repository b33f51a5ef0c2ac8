"""`GET /v1/statistics`: the year's consular-notification figures (POLICY.md "Statistics")."""

from __future__ import annotations

from fastapi import APIRouter

from consular.service_layer import statistics as queries
from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.statistics import (
    StatisticsCountry,
    StatisticsRead,
    StatisticsYear,
    small_cell,
    this_year,
)

router = APIRouter(
    prefix="/v1/statistics", tags=["statistics"], responses=problem_responses(401, 403, 422)
)


@router.get("", response_model=StatisticsRead)
async def read_statistics(
    caller: Caller,
    runtime: ServiceRuntime,
    year: StatisticsYear = None,
    country: StatisticsCountry = None,
) -> StatisticsRead:
    """Consular notifications of the year, per month, kind, host country, nationality,
    sending (on time or late) and acknowledgement (within the deadline or not); withdrawn
    notices never count (secretariat: every country; an immigration officer: their own
    country's). Counts under the small-cell threshold are the string `"<5"`."""
    return await queries.statistics(
        runtime.sessions,
        caller,
        year=year or this_year(),
        country=country,
        threshold=small_cell(),
    )
