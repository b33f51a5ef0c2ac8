"""`GET /v1/statistics`: the year's Reserve Fund figures (POLICY.md "Statistics")."""

from __future__ import annotations

from fastapi import APIRouter

from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.statistics import (
    StatisticsCountry,
    StatisticsRead,
    StatisticsYear,
    small_cell,
    this_year,
)
from reserve_fund.service_layer import statistics as queries

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
    """Applications submitted in the year, per month, decision (funded, rejected, cancelled,
    open), requesting country, nationality, category, sex and age band, with the amount
    approved, the turnaround (median days to the decision) and, for the region, the budget
    (secretariat and fund staff: every country; an immigration officer: their own country's).
    Counts under the small-cell threshold are the string `"<5"`."""
    return await queries.statistics(
        runtime.sessions,
        caller,
        year=year or this_year(),
        country=country,
        threshold=small_cell(),
    )
