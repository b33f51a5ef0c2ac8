"""`GET /v1/statistics`: the year's child-case figures, aggregates only (POLICY.md "Statistics")."""

from __future__ import annotations

from fastapi import APIRouter

from child_protection.service_layer import statistics as queries
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
    """Child cases identified in the year, by stage, nationality, host country, BID decision,
    and each stage's deadline met, late or missed (secretariat: every host country; a
    child-protection supervisor: the cases their country hosts). Counts under the small-cell
    threshold are the string `"<5"`."""
    return await queries.statistics(
        runtime.sessions,
        caller,
        year=year or this_year(),
        country=country,
        threshold=small_cell(),
    )
