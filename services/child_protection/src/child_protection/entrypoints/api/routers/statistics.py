"""`GET /v1/statistics`: the year's child-case figures, aggregates only (POLICY.md "Statistics")."""

from __future__ import annotations

from child_protection.service_layer import statistics as queries
from puebla.http.statistics import statistics_router

router = statistics_router(
    queries.statistics,
    description=(
        "Child cases identified in the year, by stage, nationality, host country, BID decision,\n"
        "and each stage's deadline met, late or missed (secretariat: every host country; a\n"
        "child-protection supervisor: the cases their country hosts). Counts under the small-cell\n"
        'threshold are the string `"<5"`.'
    ),
)
