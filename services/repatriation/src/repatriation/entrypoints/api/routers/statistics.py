"""`GET /v1/statistics`: the year's hand-over figures, aggregates only (POLICY.md "Statistics")."""

from __future__ import annotations

from puebla.http.statistics import statistics_router
from repatriation.service_layer import statistics as queries

router = statistics_router(
    queries.statistics,
    description=(
        "Returns handed over in the year, per month, corridor (sending-receiving), reception\n"
        "point, sex, age band, vulnerability and hand-over outcome, counted from the hand-over\n"
        "records (secretariat: every corridor; immigration officers: their own country's). Counts\n"
        'under the small-cell threshold are the string `"<5"`.'
    ),
)
