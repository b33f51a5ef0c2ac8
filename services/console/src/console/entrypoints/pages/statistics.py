"""The Secretariat's dashboard (`/statistics`): the four services' published figures as charts
drawn here, server-side, as inline SVG (no script), each with its table and a CSV download
(`/statistics/<chart>.csv`), the year and the country in the URL.

The figures are what each service's `GET /v1/statistics` answered, nothing more: a count under
the small-cell threshold arrives as the string `"<5"`, is written as such in the table and the
CSV, and is drawn as a hatched bar labelled "<5" (as long as the threshold), never as 0. Which
figures the officer may see is each API's decision: a service that refuses (403) leaves its
charts out with a sentence; when every service refuses, the page is the "not allowed" one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Query
from fastapi.responses import Response

from console.entrypoints import i18n
from console.entrypoints.web import Page, SignedIn
from console.entrypoints.words import N_, add_words
from console.service_layer.apis import Forbidden, NotFound

router = APIRouter()

SERVICES = ("repatriation", "child_protection", "consular", "reserve_fund")
COUNTRIES = ("MX", "GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO", "US", "CA")
FIRST_YEAR = 2020

add_words(
    "stat_service",
    {
        "repatriation": N_("Land returns"),
        "child_protection": N_("Unaccompanied children"),
        "consular": N_("Consular notifications"),
        "reserve_fund": N_("Reserve Fund"),
    },
)
add_words(
    "stat_outcome",
    {
        "received": N_("Received"),
        "not_presented": N_("Not presented"),
        "refused": N_("Refused"),
        "arrived_not_listed": N_("Arrived, not on the manifest"),
    },
)
add_words(
    "stat_record_signing",
    {
        "signed": N_("Signed by both countries"),
        "disputed": N_("Disputed (an objection)"),
        "signed_by_one_side": N_("Signed by one country"),
        "unsigned": N_("Not signed yet"),
    },
)
add_words("stat_sex", {"F": N_("Women and girls"), "M": N_("Men and boys"), "X": N_("Other")})
add_words(
    "stat_age",
    {
        "0-11": N_("0 to 11 years"),
        "12-17": N_("12 to 17 years"),
        "18-59": N_("18 to 59 years"),
        "60+": N_("60 or older"),
    },
)
add_words(
    "stat_vulnerability",
    {
        "pregnant": N_("Pregnant"),
        "disability": N_("Disability"),
        "illness_or_injury": N_("Ill or injured"),
        "trafficking_indicator": N_("Sign of trafficking"),
        "age_disputed": N_("Age disputed"),
        "none": N_("No vulnerability"),
    },
)
add_words(
    "stat_stage",
    {
        "identified": N_("Identified"),
        "in_protective_custody": N_("In protective custody"),
        "notified": N_("Consulate notified"),
        "interviewed": N_("Interviewed"),
        "screened": N_("Screened"),
        "family_tracing": N_("Family tracing"),
        "assessed": N_("Interest assessed (BIA)"),
        "determined": N_("Interest determined (BID)"),
        "return_planned": N_("Return planned"),
        "handed_over": N_("Handed over"),
        "follow_up": N_("Follow-up"),
        "local_protection": N_("Protection in the host country"),
        "asylum_referral": N_("Referred to asylum"),
        "closed": N_("Closed"),
    },
)
add_words(
    "stat_bid",
    {
        "return": N_("Return to the country of origin"),
        "stay": N_("Stay in the host country"),
        "asylum": N_("Asylum"),
        "third_country": N_("Third country"),
    },
)
add_words(
    "stat_deadline",
    {
        "notified:met": N_("Notification: on time"),
        "notified:late": N_("Notification: late"),
        "notified:missed": N_("Notification: missed"),
        "interviewed:met": N_("Interview: on time"),
        "interviewed:late": N_("Interview: late"),
        "interviewed:missed": N_("Interview: missed"),
        "assessed:met": N_("BIA: on time"),
        "assessed:late": N_("BIA: late"),
        "assessed:missed": N_("BIA: missed"),
        "determined:met": N_("BID: on time"),
        "determined:late": N_("BID: late"),
        "determined:missed": N_("BID: missed"),
    },
)
add_words(
    "stat_notification_kind",
    {
        "detention": N_("Detention"),
        "death": N_("Death"),
        "minor_guardianship": N_("Minor needing a guardian"),
        "accident": N_("Accident"),
        "repatriation_notice": N_("Return by land"),
        "repatriation_cancellation": N_("Return cancelled"),
        "child_case": N_("Unaccompanied child"),
        "reserve_fund_return": N_("Reserve Fund return"),
    },
)
add_words(
    "stat_sending",
    {
        "on_time": N_("Sent on time"),
        "late": N_("Sent late"),
        "not_sent": N_("Not sent yet"),
        "suppressed": N_("Not sent: the person declined"),
        "unroutable": N_("No consulate found"),
    },
)
add_words(
    "stat_acknowledgement",
    {
        "within_deadline": N_("Acknowledged on time"),
        "late": N_("Acknowledged late"),
        "overdue": N_("Overdue, not acknowledged"),
        "waiting": N_("Waiting, still in time"),
    },
)
add_words(
    "stat_decision",
    {
        "funded": N_("Approved"),
        "rejected": N_("Rejected"),
        "cancelled": N_("Cancelled"),
        "open": N_("Still being decided"),
    },
)
add_words(
    "stat_category",
    {
        "unaccompanied_child": N_("Unaccompanied child"),
        "disability": N_("Disability"),
        "over_70": N_("Over 70"),
        "injury_or_illness": N_("Injured or ill"),
    },
)


@dataclass(frozen=True)
class Chart:
    slug: str  # the URL of its CSV: /statistics/<slug>.csv
    service: str
    table: str  # the name of the service's table
    title: str  # an N_() msgid
    words: str  # how its keys are written: a word kind, or "country", "corridor", "month", "code"
    series: bool = False  # a time series: every month of the year, drawn as columns


CHARTS = (
    Chart("returns-by-month", "repatriation", "by_month", N_("Returns per month"), "month", True),
    Chart(
        "returns-by-outcome", "repatriation", "by_outcome", N_("Hand-over outcome"), "stat_outcome"
    ),
    Chart(
        "records-by-signing",
        "repatriation",
        "by_record_signing",
        N_("Hand-over records by signature"),
        "stat_record_signing",
    ),
    Chart(
        "returns-by-corridor", "repatriation", "by_corridor", N_("Returns per corridor"), "corridor"
    ),
    Chart(
        "returns-by-reception-point",
        "repatriation",
        "by_reception_point",
        N_("Returns per reception point"),
        "code",
    ),
    Chart("returns-by-sex", "repatriation", "by_sex", N_("Returned people by sex"), "stat_sex"),
    Chart(
        "returns-by-age", "repatriation", "by_age_band", N_("Returned people by age"), "stat_age"
    ),
    Chart(
        "returns-by-vulnerability",
        "repatriation",
        "by_vulnerability",
        N_("Vulnerabilities at the hand-over"),
        "stat_vulnerability",
    ),
    Chart("children-by-stage", "child_protection", "by_stage", N_("Cases by stage"), "stat_stage"),
    Chart(
        "children-by-deadline",
        "child_protection",
        "by_deadline",
        N_("Deadlines met or missed"),
        "stat_deadline",
    ),
    Chart(
        "children-by-nationality",
        "child_protection",
        "by_nationality",
        N_("Cases by the child's nationality"),
        "country",
    ),
    Chart(
        "children-by-host",
        "child_protection",
        "by_host_country",
        N_("Cases by host country"),
        "country",
    ),
    Chart(
        "children-by-bid",
        "child_protection",
        "by_bid_decision",
        N_("Best-interest decisions"),
        "stat_bid",
    ),
    Chart(
        "notifications-by-month",
        "consular",
        "by_month",
        N_("Notifications per month"),
        "month",
        True,
    ),
    Chart(
        "notifications-by-kind",
        "consular",
        "by_kind",
        N_("Notifications by kind"),
        "stat_notification_kind",
    ),
    Chart(
        "notifications-sending",
        "consular",
        "by_sending",
        N_("Sent on time or late"),
        "stat_sending",
    ),
    Chart(
        "notifications-acknowledgement",
        "consular",
        "by_acknowledgement",
        N_("Acknowledged within the deadline"),
        "stat_acknowledgement",
    ),
    Chart("fund-by-month", "reserve_fund", "by_month", N_("Applications per month"), "month", True),
    Chart("fund-by-decision", "reserve_fund", "by_decision", N_("Decisions"), "stat_decision"),
    Chart(
        "fund-by-category",
        "reserve_fund",
        "by_category",
        N_("Applications by category"),
        "stat_category",
    ),
    Chart("fund-by-sex", "reserve_fund", "by_sex", N_("Beneficiaries by sex"), "stat_sex"),
    Chart("fund-by-age", "reserve_fund", "by_age_band", N_("Beneficiaries by age"), "stat_age"),
)
BY_SLUG = {chart.slug: chart for chart in CHARTS}

# -- drawing ------------------------------------------------------------------------------------

BAR_WIDTH = 640  # the SVG's user units; it scales to the column's width
BAR_HEIGHT = 28
BAR_GAP = 10
VALUE_ROOM = 70  # after the bar, for its value ("1,043")
# The label column is as wide as the longest label needs (at font-size 16 a character is up to
# about 10.5 units wide: capitals, as in a point's code GT-TECUN-UMAN), between these bounds; a
# longer label is shortened with "…" in the drawing (the chart's table holds every label whole).
CHAR_WIDTH = 10.5
LABEL_MIN, LABEL_MAX = 120.0, 380.0
COLUMN_AREA_HEIGHT = 160
COLUMN_TOP = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: str  # as published: a number or "<5"
    small: bool  # under the threshold: hatched
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Drawn:
    chart: Chart
    title: str
    rows: list[tuple[str, str, str]]  # (code, label, count as published)
    bars: list[Bar]
    width: int
    height: int
    baseline: float
    series: bool

    @property
    def empty(self) -> bool:
        return not self.rows


def _numeric(value: Any, threshold: int) -> tuple[float, bool]:
    """How long to draw a published count: a number as itself, "<N" as N (hatched)."""
    if isinstance(value, int):
        return float(value), False
    return float(threshold), True


def _label(page: Page, chart: Chart, key: str) -> str:
    if chart.words == "country":
        return i18n.country_name(key, page.locale)
    if chart.words == "corridor":
        sending, _, receiving = key.partition("-")
        return (
            f"{i18n.country_name(sending, page.locale)} → "
            f"{i18n.country_name(receiving, page.locale)}"
        )
    if chart.words == "month":
        year, _, month = key.partition("-")
        return str(format_date(date(int(year), int(month), 1), "MMM yyyy", locale=page.locale))
    if chart.words == "code":
        return key
    return page.word(chart.words, key)


def _rows(page: Page, chart: Chart, body: dict[str, Any], year: int) -> list[tuple[str, str, Any]]:
    published: list[dict[str, Any]] = next(
        (t["rows"] for t in body["tables"] if t["name"] == chart.table), []
    )
    counts = {row["key"]: row["count"] for row in published}
    if chart.series:
        keys = [f"{year}-{month:02d}" for month in range(1, 13)]
        return [(k, _label(page, chart, k), counts.get(k, 0)) for k in keys] if counts else []
    return [(k, _label(page, chart, k), v) for k, v in counts.items()]


def label_column(labels: list[str]) -> float:
    """The width of the bars' label column: the longest label's, within bounds."""
    longest = max((len(label) for label in labels), default=0)
    return min(max(longest * CHAR_WIDTH + 16, LABEL_MIN), LABEL_MAX)


def draw(page: Page, chart: Chart, body: dict[str, Any], year: int) -> Drawn:
    threshold = int(body["small_cell"])
    rows = _rows(page, chart, body, year)
    lengths = [_numeric(v, threshold) for _, _, v in rows]
    top = max([n for n, _ in lengths] + [1.0])
    bars: list[Bar] = []
    if chart.series:
        step = (BAR_WIDTH - 20) / 12
        for i, ((_, label, value), (n, small)) in enumerate(zip(rows, lengths, strict=True)):
            h = COLUMN_AREA_HEIGHT * n / top
            x = 10 + i * step + step * 0.15
            y = COLUMN_TOP + COLUMN_AREA_HEIGHT - h
            bars.append(
                Bar(
                    label.split(" ")[0],
                    str(value),
                    small,
                    x,
                    y,
                    step * 0.7,
                    h,
                    x + step * 0.35,
                    y - 6,
                    x + step * 0.35,
                    COLUMN_TOP + COLUMN_AREA_HEIGHT + 18,
                )
            )
        height = float(COLUMN_TOP + COLUMN_AREA_HEIGHT + 30)
        baseline = float(COLUMN_TOP + COLUMN_AREA_HEIGHT)
    else:
        label_width = label_column([label for _, label, _ in rows])
        fits = int((label_width - 16) // CHAR_WIDTH)
        area = BAR_WIDTH - label_width - VALUE_ROOM
        for i, ((_, label, value), (n, small)) in enumerate(zip(rows, lengths, strict=True)):
            y = BAR_GAP + i * (BAR_HEIGHT + BAR_GAP)
            w = max(area * n / top, 2.0)
            bars.append(
                Bar(
                    label if len(label) <= fits else label[: fits - 1].rstrip() + "…",
                    str(value),
                    small,
                    label_width,
                    y,
                    w,
                    BAR_HEIGHT,
                    label_width + w + 8,
                    y + BAR_HEIGHT * 0.68,
                    label_width - 10,
                    y + BAR_HEIGHT * 0.68,
                )
            )
        height = float(BAR_GAP + len(rows) * (BAR_HEIGHT + BAR_GAP))
        baseline = label_width
    return Drawn(
        chart,
        page.gettext(chart.title),
        [(k, label, str(v)) for k, label, v in rows],
        bars,
        BAR_WIDTH,
        int(height),
        baseline,
        chart.series,
    )


# -- reading the services --------------------------------------------------------------------


def _year(value: int | None) -> int:
    this = datetime.now(UTC).year
    return value if value is not None and FIRST_YEAR <= value <= this else this


def _country(value: str | None) -> str | None:
    return value if value in COUNTRIES else None


async def _figures(
    page: Page, service: str, year: int, country: str | None
) -> dict[str, Any] | None:
    """The service's figures, or None when it does not publish them to this officer (403)."""
    params: dict[str, Any] = {"year": year}
    if country:
        params["country"] = country
    try:
        body: dict[str, Any] = await page.apis.get(service, "/v1/statistics", **params)
    except Forbidden:
        return None
    return body


def _csv_href(chart: Chart, year: int, country: str | None) -> str:
    query = f"year={year}" + (f"&country={country}" if country else "")
    return f"/statistics/{chart.slug}.csv?{query}"


FIGURE_WORDS = {
    "approved": N_("Amount approved (USD)"),
    "decisions": N_("Decisions taken"),
    "turnaround_median_days": N_("Days from submission to decision (median)"),
    "allocated": N_("Budget allocated (USD)"),
    "reserved": N_("Reserved for approved returns (USD)"),
    "disbursed": N_("Disbursed (USD)"),
    "available": N_("Available (USD)"),
}


@router.get("/statistics", include_in_schema=False)
async def dashboard(
    page: SignedIn,
    year: int | None = Query(default=None),
    country: str | None = Query(default=None),
) -> Response:
    chosen_year = _year(year)
    chosen_country = _country(country)
    sections: list[dict[str, Any]] = []
    refused: list[str] = []
    narrowed: set[str | None] = set()
    for service in SERVICES:
        body = await _figures(page, service, chosen_year, chosen_country)
        if body is None:
            refused.append(service)
            continue
        narrowed.add(body.get("country"))
        charts = [
            {
                "drawn": draw(page, chart, body, chosen_year),
                "csv": _csv_href(chart, chosen_year, chosen_country),
            }
            for chart in CHARTS
            if chart.service == service
        ]
        figures = [
            (page.gettext(FIGURE_WORDS[name]), value)
            for name, value in body.get("figures", {}).items()
            if name in FIGURE_WORDS and value
        ]
        sections.append(
            {
                "service": service,
                "total": body["total"],
                "small_cell": body["small_cell"],
                "charts": charts,
                "figures": figures,
            }
        )
    if not sections:
        raise Forbidden(
            "statistics", 403, {"detail": "No service publishes its statistics to you."}
        )
    this = datetime.now(UTC).year
    return page.render(
        "statistics/dashboard.html",
        sections=sections,
        refused=refused,
        year=chosen_year,
        chosen_country=chosen_country,
        # The country the APIs narrowed the figures to (a country's officer: always their own).
        shown_country=narrowed.pop() if len(narrowed) == 1 else chosen_country,
        years=list(range(this, FIRST_YEAR - 1, -1)),
        countries=sorted(COUNTRIES, key=lambda c: i18n.country_name(c, page.locale)),
        small_cell=sections[0]["small_cell"],
    )


@router.get("/statistics/{slug}.csv", include_in_schema=False)
async def chart_csv(
    slug: str,
    page: SignedIn,
    year: int | None = Query(default=None),
    country: str | None = Query(default=None),
) -> Response:
    """The chart's table as CSV: the code, the words in the officer's language, the count as
    published (`<5` stays `<5`). A service that refuses is the "not allowed" page (403)."""
    chart = BY_SLUG.get(slug)
    if chart is None:
        raise NotFound("statistics", 404, {"detail": "No such chart."})
    chosen_year = _year(year)
    chosen_country = _country(country)
    params: dict[str, Any] = {"year": chosen_year}
    if chosen_country:
        params["country"] = chosen_country
    body = await page.apis.get(chart.service, "/v1/statistics", **params)
    drawn = draw(page, chart, body, chosen_year)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((page.gettext("Code"), page.gettext("Group"), page.gettext("Count")))
    writer.writerows(drawn.rows)
    name = f"{chart.slug}-{chosen_year}" + (f"-{chosen_country}" if chosen_country else "")
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
