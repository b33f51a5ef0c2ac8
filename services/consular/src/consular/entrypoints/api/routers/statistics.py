"""`GET /v1/statistics`: the year's consular-notification figures (POLICY.md "Statistics")."""

from __future__ import annotations

from consular.service_layer import statistics as queries
from puebla.http.statistics import statistics_router

router = statistics_router(
    queries.statistics,
    description=(
        "Consular notifications of the year, per month, kind, host country, nationality,\n"
        "sending (on time or late) and acknowledgement (within the deadline or not); withdrawn\n"
        "notices never count (secretariat: every country; an immigration officer: their own\n"
        'country\'s). Counts under the small-cell threshold are the string `"<5"`.'
    ),
)
