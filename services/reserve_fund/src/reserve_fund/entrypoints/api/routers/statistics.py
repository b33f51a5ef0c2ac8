"""`GET /v1/statistics`: the year's Reserve Fund figures (POLICY.md "Statistics")."""

from __future__ import annotations

from puebla.http.statistics import statistics_router
from reserve_fund.service_layer import statistics as queries

router = statistics_router(
    queries.statistics,
    description=(
        "Applications submitted in the year, per month, decision (funded, rejected, cancelled,\n"
        "open), requesting country, nationality, category, sex and age band, with the amount\n"
        "approved, the turnaround (median days to the decision) and, for the region, the budget\n"
        "(secretariat and fund staff: every country; an immigration officer: their own"
        " country's).\n"
        'Counts under the small-cell threshold are the string `"<5"`.'
    ),
)
