"""The border officer's pages of the land return: the buses coming to my post (`/arrivals`),
recording the hand-over person by person or "all received except …" in one step
(`/manifests/{id}/handover`), and the hand-over record, on screen, printed or as the API's PDF
(`/manifests/{id}/record`).

What the officer may see and record is the repatriation API's decision: these pages show what
it answered, and send what the officer chose. When someone else recorded a different outcome
for a person meanwhile (409 `handover_already_recorded`), the page reads the record again and
shows, person by person, what is recorded now, by whom and when, next to what this officer
tried: nothing is overwritten, nothing is lost without a word.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console.entrypoints import i18n
from console.entrypoints.web import FormErrors, Page, SignedIn, rule_sentence
from console.entrypoints.words import N_, add_rules, add_words
from console.service_layer.apis import NotFound, Refused

router = APIRouter()

REPATRIATION = "repatriation"
PAGE_LIMIT = 200
MAX_PAGES = 5  # 1,000 buses per status: far more than a post receives in a week
OPEN_FOR_HANDOVER = ("dispatched", "arrived", "closed")
OUTCOMES = ("received", "not_presented", "refused")
REFUSAL_REASONS = (
    "not_a_national",
    "identity_mismatch",
    "not_on_manifest",
    "medically_unfit",
    "outside_window",
    "other",
)

add_words(
    "document_type",
    {
        "passport": N_("Passport"),
        "national_id": N_("National identity card"),
        "dpi": N_("Personal identity document (DPI)"),
        "birth_certificate": N_("Birth certificate"),
        "consular_id": N_("Consular identity card"),
        "travel_document": N_("Travel document"),
    },
)
add_words(
    "handover_tag",
    {
        "pregnant": N_("Pregnant"),
        "disability": N_("Disability"),
        "illness_or_injury": N_("Ill or injured"),
        "trafficking_indicator": N_("Sign of trafficking"),
        "elderly": N_("60 or older"),
        "child": N_("Minor"),
        "age_disputed": N_("Age disputed"),
    },
)
add_rules(
    {
        "handover_already_recorded": N_(
            "A different outcome is already recorded for this person; it is not changed."
        ),
        "invalid_transition": N_("This bus is not open for recording its hand-over."),
        "refusal_reason_required": N_("Choose the reason for the refusal."),
    }
)


# -- what the pages are made of (pure) ---------------------------------------------------------


def age_on(born: str | None, on: date) -> int | None:
    if not born:
        return None
    b = date.fromisoformat(str(born)[:10])
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


@dataclass
class Unit:
    """People who are received together: a family (its `family_group`), or one person."""

    people: list[dict[str, Any]]
    family: bool

    @property
    def vulnerable(self) -> bool:
        return any(p.get("vulnerable") for p in self.people)

    def priority(self, on: date) -> int:
        """0: anyone vulnerable; 1: a family with a child; 2: the others."""
        if self.vulnerable:
            return 0
        ages = (age_on(p.get("date_of_birth"), on) for p in self.people)
        return 1 if self.family and any(a is not None and a < 18 for a in ages) else 2


def units(returnees: Iterable[dict[str, Any]], on: date) -> list[Unit]:
    """Families together; first the families and people with anyone vulnerable, then the
    families with children (ages on `on`, the arrival day), then everyone else — each in the
    API's order (which lists vulnerable people first)."""
    found: list[Unit] = []
    families: dict[str, Unit] = {}
    for person in returnees:
        group = person.get("family_group")
        if group:
            unit = families.get(group)
            if unit is None:
                unit = families[group] = Unit([], family=True)
                found.append(unit)
            unit.people.append(person)
        else:
            found.append(Unit([person], family=False))
    for unit in found:  # a "family" of one is one person
        unit.family = len(unit.people) > 1
    return sorted(found, key=lambda u: u.priority(on))


def tags_of(person: Mapping[str, Any], on: date) -> list[str]:
    """The codes of what the officer sees next to a person: vulnerabilities, 60 or older, a
    minor, an age disputed (their words are the `handover_tag` kind)."""
    flags = person.get("vulnerabilities") or {}
    tags = [
        code
        for code in ("pregnant", "disability", "illness_or_injury", "trafficking_indicator")
        if flags.get(code)
    ]
    age = age_on(person.get("date_of_birth"), on)
    if age is not None and age >= 60:
        tags.append("elderly")
    if age is not None and age < 18:
        tags.append("child")
    if person.get("age_disputed"):
        tags.append("age_disputed")
    return tags


def local_date(value: str | datetime | None, tz: str | None) -> date | None:
    """The day an instant falls on at the place (its own time zone)."""
    instant = i18n.parse_instant(value)
    return instant.astimezone(i18n.zone(tz)).date() if instant else None


@dataclass
class Day:
    day: date
    today: bool
    manifests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Arrivals:
    days: list[Day]  # today first, then the next days
    earlier: list[dict[str, Any]]  # due before today and not closed: late, or still receiving


def arrival_days(manifests: Iterable[dict[str, Any]], tz: str | None, today: date) -> Arrivals:
    """Buses by the day of their arrival in the post's own time zone, each day by time."""
    zone = i18n.zone(tz)

    def local(m: Mapping[str, Any]) -> datetime:
        instant = i18n.parse_instant(m.get("scheduled_arrival")) or datetime.max.replace(tzinfo=UTC)
        return instant.astimezone(zone) if instant.year < 9999 else instant

    days: dict[date, Day] = {}
    earlier: list[dict[str, Any]] = []
    for m in sorted(manifests, key=local):
        on = local(m).date()
        if on < today:
            earlier.append(m)
        else:
            days.setdefault(on, Day(on, on == today)).manifests.append(m)
    return Arrivals(sorted(days.values(), key=lambda d: d.day), earlier)


ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(\w+)$|^items\.(\d+)\.(\w+)$")


def item_field(path: str) -> tuple[int, str] | None:
    """`items[3].reason` (the domain's) or `items.3.reason` (pydantic's) → (3, "reason")."""
    found = ITEM_FIELD.match(path)
    if not found:
        return None
    index, name = (found.group(1), found.group(2)) if found.group(1) else found.group(3, 4)
    return int(index), name


@dataclass(frozen=True)
class Tried:
    returnee_id: str
    outcome: str
    reason: str | None = None

    def item(self) -> dict[str, Any]:
        body: dict[str, Any] = {"returnee_id": self.returnee_id, "outcome": self.outcome}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass(frozen=True)
class Conflict:
    """What this officer tried, and what the record holds now for the same person."""

    tried: Tried
    recorded: Mapping[str, Any]


def conflicts(tried: Sequence[Tried], record: Mapping[str, Any]) -> dict[str, Conflict]:
    """The people for whom the record now holds another outcome (or reason) than tried."""
    entries = {str(e.get("returnee_id")): e for e in record.get("entries", [])}
    found: dict[str, Conflict] = {}
    for t in tried:
        entry = entries.get(t.returnee_id)
        if entry is None or entry.get("outcome") is None:
            continue
        if (entry.get("outcome"), entry.get("reason") or None) != (t.outcome, t.reason):
            found[t.returnee_id] = Conflict(t, entry)
    return found


# -- arrivals ----------------------------------------------------------------------------------


async def _all(page: Page, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query: dict[str, Any] = {"limit": PAGE_LIMIT, **params}
        if cursor:
            query["cursor"] = cursor
        answer = await page.apis.get(REPATRIATION, "/v1/manifests", **query)
        items.extend(answer.get("items", []))
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    return items


async def _points(page: Page) -> dict[str, dict[str, Any]]:
    answer = await page.apis.get(REPATRIATION, "/v1/reception-points")
    return {str(p.get("code")): p for p in answer.get("items", [])}


@router.get("/arrivals", include_in_schema=False)
async def arrivals(page: SignedIn) -> Response:
    post = page.officer.border_post
    where = {"reception_point": post} if post else {}
    # Three reads at once: on a busy or distant API the page waits for the slowest, not the sum.
    dispatched, arrived, points = await asyncio.gather(
        _all(page, status="dispatched", **where),
        _all(page, status="arrived", **where),
        _points(page),
    )
    manifests = dispatched + arrived
    point = points.get(post or "") or {}
    tz = point.get("time_zone")
    today = datetime.now(UTC).astimezone(i18n.zone(tz)).date()
    return page.render(
        "border/arrivals.html",
        arrivals=arrival_days(manifests, tz, today),
        point=point,
        post=post,
        tz=tz,
        local_date=local_date,
    )


# -- the hand-over -----------------------------------------------------------------------------


@dataclass
class Handover:
    manifest: dict[str, Any]
    record: dict[str, Any]

    @property
    def tz(self) -> str | None:
        tz = self.record.get("reception_time_zone")
        return str(tz) if tz else None

    @property
    def arrival_day(self) -> date:
        instant = i18n.parse_instant(self.manifest.get("scheduled_arrival"))
        return (instant or datetime.now(UTC)).astimezone(i18n.zone(self.tz)).date()

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        return {str(e.get("returnee_id")): e for e in self.record.get("entries", [])}

    @property
    def open(self) -> bool:
        return self.manifest.get("status") in ("dispatched", "arrived")

    @property
    def pending(self) -> list[dict[str, Any]]:
        entries = self.entries
        return [
            p
            for p in self.manifest.get("returnees", [])
            if entries.get(str(p["id"]), {}).get("outcome") is None
        ]

    def person(self, returnee_id: str) -> dict[str, Any]:
        for p in self.manifest.get("returnees", []):
            if str(p.get("id")) == returnee_id:
                return dict(p)
        raise NotFound(REPATRIATION, 404)


async def _handover(page: Page, manifest_id: uuid.UUID) -> Handover:
    # Both at once (the session's token renewal is locked, so two reads may ask together).
    manifest, record = await asyncio.gather(
        page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}"),
        page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}/handover-record"),
    )
    return Handover(manifest, record)


def _render(
    page: Page,
    template: str,
    handover: Handover,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """A hand-over template with `m`, `record` and `ctx` (what the people's rows need)."""
    ctx: dict[str, Any] = {
        "entries": handover.entries,
        "units": units(handover.manifest.get("returnees", []), handover.arrival_day),
        "pending": handover.pending,
        "pending_ids": [str(p["id"]) for p in handover.pending],
        "tz": handover.tz,
        "arrival_day": handover.arrival_day,
        "open": handover.open,
        "age_on": age_on,
        "tags_of": tags_of,
        "reasons": REFUSAL_REASONS,
        "errors": {},
        "conflicts": {},
        "tried": {},
        "chosen": {},
        "focus": None,
    }
    ctx.update(extra)
    return page.render(
        template,
        status_code=status_code,
        m=handover.manifest,
        record=handover.record,
        ctx=ctx,
        errors=extra.get("form_errors", FormErrors()),
        done=page.request.query_params.get("done") == "1",
        person=handover.person(ctx["focus"]) if ctx["focus"] else None,
    )


@router.get("/manifests/{manifest_id}/handover", include_in_schema=False)
async def handover_page(manifest_id: uuid.UUID, page: SignedIn) -> Response:
    return _render(page, "border/handover.html", await _handover(page, manifest_id))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _sentences(page: Page, refused: Refused) -> list[str]:
    found = [rule_sentence(page.locale, r.rule) for r in refused.fields]
    return found or [rule_sentence(page.locale, refused.code)]


@router.post("/manifests/{manifest_id}/handover/people/{returnee_id}", include_in_schema=False)
async def record_one(
    manifest_id: uuid.UUID, returnee_id: uuid.UUID, request: Request, page: SignedIn
) -> Response:
    """One tap: one person's outcome. htmx gets that person's row (and the totals) back;
    a plain form post goes back to the page, at that person."""
    form = await request.form()
    outcome = _text(form, "outcome")
    reason = _text(form, "reason") if outcome == "refused" else ""
    tried = Tried(str(returnee_id), outcome, reason or None)
    errors: dict[str, list[str]] = {}
    found: dict[str, Conflict] = {}
    try:
        await page.apis.post(
            REPATRIATION,
            f"/v1/manifests/{manifest_id}/handovers",
            {"items": [tried.item()]},
            key=_text(form, "idempotency_key") or None,
        )
    except Refused as refused:
        if refused.code == "handover_already_recorded":
            record = await page.apis.get(
                REPATRIATION, f"/v1/manifests/{manifest_id}/handover-record"
            )
            found = conflicts([tried], record)
        if not found:
            errors[tried.returnee_id] = _sentences(page, refused)
    else:
        if not _htmx(request):
            return RedirectResponse(
                f"/manifests/{manifest_id}/handover#person-{returnee_id}", status_code=303
            )
    handover = await _handover(page, manifest_id)
    # htmx swaps only 2xx answers by default: the row with its refusal is a 200 for it.
    return _render(
        page,
        "border/person_answer.html" if _htmx(request) else "border/handover.html",
        handover,
        status_code=200 if _htmx(request) else (409 if found else 422),
        errors=errors,
        conflicts=found,
        tried={tried.returnee_id: tried},
        focus=tried.returnee_id,
    )


# -- all received except … ---------------------------------------------------------------------


@router.get("/manifests/{manifest_id}/handover/except", include_in_schema=False)
async def except_page(manifest_id: uuid.UUID, page: SignedIn) -> Response:
    return _render(page, "border/except.html", await _handover(page, manifest_id))


@router.post("/manifests/{manifest_id}/handover/except", include_in_schema=False)
async def record_except(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    """Everyone this form listed is received, except those the officer marked otherwise."""
    form = await request.form()
    people = [p for p in form.getlist("person") if isinstance(p, str) and p]
    tried: list[Tried] = []
    for person in people:
        outcome = _text(form, f"outcome-{person}") or "received"
        reason = _text(form, f"reason-{person}") if outcome == "refused" else ""
        tried.append(Tried(person, outcome, reason or None))
    errors = FormErrors()
    found: dict[str, Conflict] = {}
    if tried:
        try:
            await page.apis.post(
                REPATRIATION,
                f"/v1/manifests/{manifest_id}/handovers",
                {"items": [t.item() for t in tried]},
                key=_text(form, "idempotency_key") or None,
            )
        except Refused as refused:
            if refused.code == "handover_already_recorded":
                record = await page.apis.get(
                    REPATRIATION, f"/v1/manifests/{manifest_id}/handover-record"
                )
                found = conflicts(tried, record)
            if not found:
                errors = _item_errors(page, refused, tried)
        else:
            return RedirectResponse(f"/manifests/{manifest_id}/handover?done=1", status_code=303)
    else:
        errors.add(None, page.gettext(NOBODY_LISTED))
    return _render(
        page,
        "border/except.html",
        await _handover(page, manifest_id),
        status_code=409 if found else 422,
        form_errors=errors,
        conflicts=found,
        chosen={t.returnee_id: t for t in tried},
    )


NOBODY_LISTED = N_("Nobody is waiting to be recorded on this bus.")


def _item_errors(page: Page, refused: Refused, tried: Sequence[Tried]) -> FormErrors:
    """The API's `items[i].<field>` refusals next to the person they concern."""
    errors = FormErrors()
    for refusal in refused.fields:
        where = item_field(refusal.field)
        sentence = rule_sentence(page.locale, refusal.rule)
        if where is not None and where[0] < len(tried):
            errors.add(tried[where[0]].returnee_id, sentence)
        else:
            errors.add(None, sentence)
    if not refused.fields:
        errors.add(None, rule_sentence(page.locale, refused.code))
    return errors


# -- the hand-over record ----------------------------------------------------------------------


@router.get("/manifests/{manifest_id}/record", include_in_schema=False)
async def record_page(manifest_id: uuid.UUID, page: SignedIn) -> Response:
    record = await page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}/handover-record")
    return page.render(
        "border/record.html",
        record=record,
        tz=record.get("reception_time_zone"),
        local_date=local_date,
    )


@router.get("/manifests/{manifest_id}/record.pdf", include_in_schema=False)
async def record_pdf(manifest_id: uuid.UUID, page: SignedIn) -> Response:
    path = f"/v1/manifests/{manifest_id}/handover-record"
    record = await page.apis.get(REPATRIATION, path)
    pdf = await page.apis.get_bytes(REPATRIATION, path, accept="application/pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{pdf_name(page, record)}"',
            "Cache-Control": "no-store",
        },
    )


PDF_STEM = N_("handover-record")


def pdf_name(page: Page, record: Mapping[str, Any]) -> str:
    """`acta-de-entrega-MX-GT-2026-000123.pdf`: the reference, in ASCII letters only."""
    stem = re.sub(r"[^A-Za-z0-9-]+", "-", page.gettext(PDF_STEM)).strip("-") or "record"
    reference = re.sub(r"[^A-Za-z0-9-]+", "-", str(record.get("reference") or "")).strip("-")
    return f"{stem}-{reference or record.get('manifest_id')}.pdf"
