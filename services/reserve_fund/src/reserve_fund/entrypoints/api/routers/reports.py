"""`GET /v1/reports/{year}`: the year's aggregates, as JSON or (`Accept: text/csv`) CSV.

Counts and sums by nationality, category and requesting country, and the budget's figures.
Nothing personal: no names, no dates of birth, no application ids.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from reserve_fund.domain.reports import Tally, YearReport
from reserve_fund.entrypoints.api.deps import Svc, Year
from reserve_fund.entrypoints.api.schemas import ReportRead
from reserve_fund.service_layer import queries

router = APIRouter(
    prefix="/v1/reports", tags=["reports"], responses=problem_responses(401, 403, 422)
)

CSV = "text/csv"
CSV_HEADER = ("dimension", "key", "count", "approved", "disbursed", "amount")


def _tally(tally: Tally) -> dict[str, Any]:
    return {
        "count": tally.count,
        "approved": str(tally.approved),
        "disbursed": str(tally.disbursed),
    }


def as_json(report: YearReport) -> ReportRead:
    return ReportRead.model_validate(
        {
            "year": report.year,
            "allocated": str(report.allocated),
            "reserved": str(report.reserved),
            "disbursed": str(report.disbursed),
            "available": str(report.available),
            "total": _tally(report.total),
            "by_nationality": [{"key": k, **_tally(t)} for k, t in report.by_nationality.items()],
            "by_category": [{"key": k, **_tally(t)} for k, t in report.by_category.items()],
            "by_requesting_country": [
                {"key": k, **_tally(t)} for k, t in report.by_requesting_country.items()
            ],
        }
    )


def as_csv(report: YearReport) -> str:
    """One row per tally (`amount` empty), then the budget's four figures (`amount` only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in report.table():
        writer.writerow((*row, ""))
    for name, value in (
        ("allocated", report.allocated),
        ("reserved", report.reserved),
        ("disbursed", report.disbursed),
        ("available", report.available),
    ):
        writer.writerow(("budget", name, "", "", "", str(value)))
    return out.getvalue()


def wants_csv(request: Request) -> bool:
    return CSV in request.headers.get("accept", "").lower()


@router.get(
    "/{year}",
    response_model=ReportRead,
    responses={
        200: {
            "description": "The aggregates; CSV when the request says `Accept: text/csv`",
            "content": {
                CSV: {
                    "schema": {"type": "string"},
                    "example": "dimension,key,count,approved,disbursed,amount\n"
                    "total,all,1,300.00,0.00,\n",
                }
            },
        },
    },
)
async def read_report(year: Year, request: Request, caller: Caller, svc: Svc) -> Any:
    """Aggregates of the applications charged to the year's budget (secretariat, fund officer,
    fund approver)."""
    report = await queries.report(svc, caller, year)
    if wants_csv(request):
        return Response(
            as_csv(report),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="fund-report-{year}.csv"'},
        )
    return as_json(report)
