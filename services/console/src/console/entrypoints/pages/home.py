"""The front page: signed out, a way in; signed in, "my work" — what waits for this officer
now, per role, each queue a count and a link to the list that holds it.

The counts are what the APIs answer to this officer (a list of at most `LIMIT`, "100+" past
it): the console adds nothing an API did not show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.entrypoints import i18n
from console.entrypoints.web import (
    SESSION_COOKIE,
    Locale,
    Page,
    SignInNeeded,
    render,
    signed_in,
)
from console.entrypoints.words import N_

router = APIRouter()
LIMIT = 100


@dataclass(frozen=True)
class Queue:
    label: str  # an English msgid
    count: int
    more: bool  # the API has more than `count`
    href: str
    urgent: bool = False

    @property
    def shown(self) -> str:
        return f"{self.count}+" if self.more else str(self.count)


@router.get("/", include_in_schema=False)
async def front(request: Request, locale: Locale) -> Response:
    if request.cookies.get(SESSION_COOKIE):
        try:
            return await _home(await signed_in(request, locale))
        except SignInNeeded:
            pass  # the session is over: the front page, with its way in
    return render(request, "shell/landing.html", ended=request.query_params.get("ended") == "1")


async def _home(page: Page) -> Response:
    # Imported here: those pages import `Queue` from this module.
    from console.entrypoints.pages.children import children_queues
    from console.entrypoints.pages.fund import fund_queues

    sections: list[tuple[str, str, list[Queue]]] = []  # (anchor, heading, queues)
    officer = page.officer
    if officer.has("immigration_officer"):
        sections.append(_section(page, "immigration_officer", await _immigration(page)))
    if officer.has("border_officer"):
        sections.append(_section(page, "border_officer", await _border(page)))
    if officer.has("consular_officer"):
        sections.append(_section(page, "consular_officer", await _consular(page)))
    for role in ("child_protection_officer", "child_protection_supervisor"):
        if officer.has(role):
            sections.append(_section(page, role, await children_queues(page)))
    fund = await fund_queues(page)
    if fund:
        sections.append(("fund", page.gettext(N_("Reserve Fund")), fund))
    return page.render("shell/home.html", sections=[s for s in sections if s[2]])


def _section(page: Page, role: str, queues: list[Queue]) -> tuple[str, str, list[Queue]]:
    return role, page.word("role", role), queues


async def _count(page: Page, service: str, path: str, **params: str) -> tuple[int, bool]:
    answer = await page.apis.get(service, path, limit=LIMIT, **params)
    return len(answer.get("items", [])), bool(answer.get("next_cursor"))


async def _immigration(page: Page) -> list[Queue]:
    drafts = await _count(page, "repatriation", "/v1/manifests", status="draft")
    submitted = await _count(page, "repatriation", "/v1/manifests", status="submitted")
    return [
        Queue(N_("Manifests not submitted yet"), *drafts, href="/manifests?status=draft"),
        Queue(
            N_("Submitted, awaiting the consulate or dispatch"),
            *submitted,
            href="/manifests?status=submitted",
        ),
    ]


async def _border(page: Page) -> list[Queue]:
    post = page.officer.border_post
    answer = await page.apis.get(
        "repatriation", "/v1/manifests", status="dispatched", reception_point=post, limit=LIMIT
    )
    points = await page.apis.get("repatriation", "/v1/reception-points")
    zones = {p.get("code"): p.get("time_zone") for p in points.get("items", [])}
    today = 0
    for manifest in answer.get("items", []):
        tz = i18n.zone(zones.get(manifest.get("reception_point")))
        arrival = i18n.parse_instant(manifest.get("scheduled_arrival"))
        if (
            arrival is not None
            and arrival.astimezone(tz).date() == datetime.now(UTC).astimezone(tz).date()
        ):
            today += 1
    return [
        Queue(N_("Buses arriving at my post today"), today, False, href="/arrivals", urgent=True),
        Queue(
            N_("Buses on their way to my post"),
            len(answer.get("items", [])),
            bool(answer.get("next_cursor")),
            href="/arrivals",
        ),
    ]


async def _consular(page: Page) -> list[Queue]:
    overdue = await _count(page, "consular", "/v1/notifications", status="overdue")
    pending = await _count(page, "consular", "/v1/notifications", status="pending")
    verifications = await _count(page, "consular", "/v1/verifications", status="pending")
    return [
        Queue(
            N_("Notifications overdue"), *overdue, href="/notifications?status=overdue", urgent=True
        ),
        Queue(N_("Notifications pending"), *pending, href="/notifications?status=pending"),
        Queue(N_("Nationalities to verify"), *verifications, href="/verifications"),
    ]
