"""Journey 3 — a Reserve Fund return.

El Salvador's consul in Tapachula applies for a Salvadoran man over 70 stranded in Guatemala;
IOM's fund officer reviews; two IOM approvers approve (the amount is above the second-approval
threshold); the year's budget reserves the money, pays part of it out and gets the rest back
when the return is completed. The RCM Technical Secretariat sees the year's totals move, and
nothing else: no names, no dates of birth, not the application.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from e2e.journeys.timeline import Actor, Timeline, TokenSource
from puebla_dev.testing.waiting import wait_until

ITEMS = [
    {"kind": "transport", "amount": "420.00"},
    {"kind": "escort", "amount": "120.00"},
    {"kind": "meals", "amount": "60.00"},
    {"kind": "documents", "amount": "40.00"},
]
REQUESTED = Decimal("640.00")
DISBURSED = Decimal("540.00")
BENEFICIARY_BORN = "1950-03-14"
BUDGET_HEADROOM = Decimal("1000.00")
TOP_UP = Decimal("5000.00")
TITLE = "Journey 3 — a Reserve Fund return (a Salvadoran over 70 in Guatemala)"
WAIT_S = 60.0
ISO_DATE = re.compile(r"\b(19|20)\d{2}-\d{2}-\d{2}\b")
FIGURES = ("allocated", "reserved", "disbursed", "available")


def _figures(budget: dict[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(budget[k]) for k in FIGURES}


def _diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Decimal]:
    a, b = _figures(after), _figures(before)
    return {k: a[k] - b[k] for k in FIGURES}


def _show(diff: dict[str, Decimal]) -> str:
    return ", ".join(f"{k} {v:+}" for k, v in diff.items() if k != "allocated")


def _tallies(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every tally of a report by (dimension, key): total, nationality, category, requester."""
    out = {"total:all": report["total"]}
    for dimension in ("by_nationality", "by_category", "by_requesting_country"):
        for tally in report[dimension]:
            out[f"{dimension}:{tally['key']}"] = tally
    return out


def _tally_diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, tuple[int, str, str]]:
    """(count, approved, disbursed) added between two reports, for every tally that moved."""
    zero = {"count": 0, "approved": "0.00", "disbursed": "0.00"}
    a, b = _tallies(after), _tallies(before)
    moved = {}
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, zero), b.get(key, zero)
        delta = (
            x["count"] - y["count"],
            str(Decimal(x["approved"]) - Decimal(y["approved"])),
            str(Decimal(x["disbursed"]) - Decimal(y["disbursed"])),
        )
        if delta != (0, "0.00", "0.00"):
            moved[key] = delta
    return moved


@dataclass
class ReserveFundReturn:
    """What each side saw, for the test to assert on."""

    timeline: Timeline
    year: int = 0
    application_id: str = ""
    statuses: dict[str, tuple[int, str]] = field(default_factory=dict)  # step → (HTTP, status)
    application: dict[str, Any] = field(default_factory=dict)  # as finally read by the consul
    budget_moves: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # step → diff
    report_status: int = 0
    report_keys: set[str] = field(default_factory=set)
    report_moves: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    report_json: str = ""
    csv_status: int = 0
    csv_type: str = ""
    report_csv: str = ""
    personal: list[str] = field(default_factory=list)  # the beneficiary's names and birth date
    personal_in_reports: list[str] = field(default_factory=list)  # found in the JSON or CSV
    secretariat_application_status: int = 0
    secretariat_listed: int = -1
    consul_notice: dict[str, Any] = field(default_factory=dict)


async def reserve_fund_return(
    http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> ReserveFundReturn:
    """Runs the journey; a failure carries the timeline so far as a note."""
    facts = ReserveFundReturn(Timeline(TITLE))
    with facts.timeline.attached_to_failure():
        await _journey(facts, http, tokens, services)
    return facts


async def _journey(
    facts: ReserveFundReturn, http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> None:
    timeline = facts.timeline

    def actor(username: str) -> Actor:
        return Actor(username, http=http, tokens=tokens, services=services, timeline=timeline)

    consul = await actor("consul.sv.tapachula").identify()
    officer = await actor("iom.officer").identify()
    approver = await actor("iom.approver").identify()
    approver2 = await actor("iom.approver2").identify()
    secretariat = await actor("ts.rcm").identify()

    # An approval is charged to the budget of the year it happens in (reserve_fund
    # domain/fund.py: budget_year_of(now) = now.year); other runs share that year, so the
    # journey looks at what its own steps change.
    facts.year = year = datetime.now(UTC).year
    budget_path = f"/v1/budgets/{year}"
    report_before = (await secretariat.get("reserve_fund", f"/v1/reports/{year}")).json()
    budget = await approver.get("reserve_fund", budget_path)
    if Decimal(budget.json()["available"]) < BUDGET_HEADROOM:
        allocated = Decimal(budget.json()["allocated"]) + TOP_UP
        budget = await approver.put("reserve_fund", budget_path, {"allocated": f"{allocated}"})
        approver.record(
            f"raises the {year} allocation to USD {allocated}",
            budget,
            sees=[f"available USD {budget.json().get('available')}"],
        )
    before = budget.json()

    async def budget_now(step: str) -> None:
        read = await officer.get("reserve_fund", budget_path)
        facts.budget_moves[step] = _diff(read.json(), before)
        officer.record(
            f"reads the {year} budget",
            read,
            sees=[f"since the journey began: {_show(facts.budget_moves[step])}"],
        )

    def status(step: str, response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        facts.statuses[step] = (response.status_code, body.get("status", body.get("detail", "")))
        return body

    tag = uuid.uuid4().hex[:6]
    given, surnames = "José Santos", f"Ramos Alvarado {tag}"
    facts.personal = [given, surnames, BENEFICIARY_BORN]
    created = await consul.post(
        "reserve_fund",
        "/v1/applications",
        {
            "beneficiary": {
                "given_names": given,
                "surnames": surnames,
                "sex": "M",
                "date_of_birth": BENEFICIARY_BORN,
                "nationality": "SV",
                "protection_need": False,
            },
            "current_country": "GT",
            "categories": ["over_70"],
            "voluntary_consent": {
                "given": True,
                "given_by": "beneficiary",
                "recorded_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
            "items": ITEMS,
            "justification": "Aged 76, stranded in Guatemala City after his papers and money "
            "were stolen; asks to go home to Santa Ana, where his daughter awaits him.",
        },
    )
    application = status("create", created)
    if created.status_code != 201:
        consul.record("files an application, refused", created, sees=[created.text[:300]])
        return
    facts.application_id = app_id = application["id"]
    path = f"/v1/applications/{app_id}"
    consul.record(
        f"files {application['reference']} for a Salvadoran aged 76 stranded in Guatemala",
        created,
        sees=[
            f"requested USD {application['requested_total']} "
            f"({', '.join(i['kind'] for i in ITEMS)})"
        ],
    )
    submitted = await consul.post("reserve_fund", f"{path}/submit")
    body = status("submit", submitted)
    consul.record(
        "submits it to IOM",
        submitted,
        sees=[f"status {body.get('status')}, approvals needed: {body.get('approvals_needed')}"],
    )

    reviewed = await officer.post(
        "reserve_fund",
        f"{path}/review",
        {"recommendation": "approve", "note": "Over 70, consent on file, costs at cost."},
    )
    status("review", reviewed)
    officer.record("reviews it and recommends approval", reviewed)

    first = await approver.post("reserve_fund", f"{path}/approve", {"note": "Eligible."})
    body = status("approve", first)
    approver.record(
        "approves (first of two approvals)",
        first,
        sees=[
            f"status {body.get('status')}, {len(body.get('approvals', []))} of "
            f"{body.get('approvals_needed')} approvals"
        ],
    )
    await budget_now("first approval")

    second = await approver2.post("reserve_fund", f"{path}/approve", {"note": "Agreed."})
    body = status("approve2", second)
    approver2.record(
        "approves (second approval: the money is reserved)",
        second,
        sees=[f"status {body.get('status')}, charged to the {body.get('budget_year')} budget"],
    )
    await budget_now("approved")

    # IOM's approval means the man asked to go home: his country's post where he is is told.
    async def told() -> list[dict[str, Any]]:
        listed = await consul.get("consular", "/v1/notifications", related_id=app_id)
        return [n for n in listed.json()["items"] if n["kind"] == "reserve_fund_return"]

    (facts.consul_notice, *_) = await wait_until(
        told, timeout=WAIT_S, what="the reserve_fund_return notification"
    )
    consul.note(
        "sees El Salvador's consular notice of the approved return",
        f"consular GET /v1/notifications?related_id={app_id} → 200",
        sees=[
            f"{facts.consul_notice['kind']} to {facts.consul_notice['consular_post']} "
            f"(host {facts.consul_notice['host_country']}), status {facts.consul_notice['status']}"
        ],
    )

    paid = await officer.post(
        "reserve_fund",
        f"{path}/disbursements",
        {"amount": f"{DISBURSED}", "purpose": "Bus Guatemala City to San Salvador, with escort"},
    )
    status("disburse", paid)
    officer.record(f"records a disbursement of USD {DISBURSED}", paid)
    await budget_now("disbursed")

    done = await officer.post("reserve_fund", f"{path}/complete")
    body = status("complete", done)
    officer.record(
        "records that he arrived home (return completed)",
        done,
        sees=[f"status {body.get('status')}; USD {body.get('released_total')} unspent goes back"],
    )
    await budget_now("completed")

    final = await consul.get("reserve_fund", path)
    facts.application = final.json()
    consul.record(
        "follows its application",
        final,
        sees=[
            f"status {facts.application.get('status')}, disbursed USD "
            f"{facts.application.get('disbursed_total')}"
        ],
    )

    # The Secretariat: the year's totals, nothing personal.
    report = await secretariat.get("reserve_fund", f"/v1/reports/{year}")
    facts.report_status = report.status_code
    facts.report_json = report.text
    facts.report_keys = set(report.json())
    facts.report_moves = _tally_diff(report.json(), report_before)
    csv = await secretariat.call("GET", "reserve_fund", f"/v1/reports/{year}", accept="text/csv")
    facts.csv_status = csv.status_code
    facts.csv_type = csv.headers.get("content-type", "")
    facts.report_csv = csv.text
    facts.personal_in_reports = [
        p for p in facts.personal if p in report.text or p in csv.text
    ] + ISO_DATE.findall(report.text + csv.text)
    secretariat.record(
        f"reads the {year} report (JSON, then CSV)",
        report,
        sees=[
            "moved by this journey: "
            + "; ".join(
                f"{k} +{c} (approved +{a}, disbursed +{d})"
                for k, (c, a, d) in facts.report_moves.items()
            )
        ],
        cannot_see=[
            "names or dates of birth: none in the JSON or the CSV"
            if not facts.personal_in_reports
            else f"LEAKED: {facts.personal_in_reports}"
        ],
    )
    hidden = await secretariat.get("reserve_fund", path)
    facts.secretariat_application_status = hidden.status_code
    listed = await secretariat.get("reserve_fund", "/v1/applications")
    facts.secretariat_listed = len(listed.json().get("items", []))
    secretariat.note(
        "looks for the application",
        f"reserve_fund GET {path} → {hidden.status_code}; GET /v1/applications → "
        f"{listed.status_code}",
        cannot_see=[f"the application (its list holds {facts.secretariat_listed})"],
    )
