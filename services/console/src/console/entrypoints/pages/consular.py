"""The consular officer's pages: the inbox of consular notifications, a notification (its
acknowledgment and the consular actions recorded on it), and the nationality verification
queue, per manifest, decided person by person or several at once after review.

What the consulate may see and do is decided by the consular API alone; these pages show what
it answered, in words, and its refusals next to the field or the person they concern.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from console.entrypoints import i18n
from console.entrypoints.web import FormErrors, Page, SignedIn, form_errors, rule_sentence
from console.entrypoints.words import N_, add_rules, add_words
from console.service_layer.apis import ApiError, NotFound, Refused, Unavailable

router = APIRouter()

CONSULAR = "consular"
REPATRIATION = "repatriation"
PAGE_SIZE = 50
MAX_LIMIT = 200
MAX_PAGES = 10  # a queue read to at most 2,000 requests

# The kinds in the order the inbox lists them (after overdue and pending first): what needs a
# consul in person first — a national detained, dead, a child — then the returns.
KINDS = (
    "detention",
    "death",
    "minor_guardianship",
    "child_case",
    "accident",
    "repatriation_notice",
    "repatriation_cancellation",
    "reserve_fund_return",
)
STATUS_FILTERS = ("pending", "overdue", "acknowledged", "withdrawn", "all")
ACTION_KINDS = ("access", "interview", "visit")

add_words(
    "notification_kind",
    {
        "detention": N_("Detention"),
        "death": N_("Death"),
        "minor_guardianship": N_("Minor needing a guardian"),
        "accident": N_("Accident"),
        "repatriation_notice": N_("Advance notice of a return"),
        "repatriation_cancellation": N_("Return cancelled"),
        "child_case": N_("Unaccompanied child"),
        "reserve_fund_return": N_("Assisted return (Reserve Fund)"),
    },
)
add_words(
    "notification_filter",
    {
        "pending": N_("Pending (overdue first)"),
        "overdue": N_("Overdue only"),
        "acknowledged": N_("Acknowledged"),
        "withdrawn": N_("Withdrawn"),
        "all": N_("All"),
    },
)
add_words(
    "decision",
    {"confirmed": N_("Nationality confirmed"), "rejected": N_("Nationality rejected")},
)
add_words(
    "consular_post_kind",
    {
        "consulate": N_("Consulate"),
        "embassy": N_("Embassy"),
        "concurrent_accreditation": N_("Mission with concurrent accreditation"),
    },
)
add_words("document_type", {"passport": N_("Passport"), "national_id": N_("National ID card")})
add_rules(
    {
        "do_not_act": N_(
            "The person objected to consular contact: the consulate may not act on this"
            " notification."
        ),
        "notification_withdrawn": N_(
            "This notification was withdrawn: there is nothing to act on any more."
        ),
        "too_many_actions": N_(
            "This notification already holds the most consular actions it can keep."
        ),
        "before_occurred_at": N_("The action cannot be before the event it answers."),
        "occurred_in_future": N_("The action cannot be in the future."),
        "datetime_out_of_range": N_("This date is out of range."),
        "date_as_number": N_("This is not a valid date and time."),
        "notification_suppressed": N_("This notification was never sent to the consulate."),
        "consul_of_nationality_only": N_(
            "Only a consular officer of the person's country may do this."
        ),
        "reason_required": N_("Write the reason for the rejection."),
        "verification_already_decided": N_(
            "Another decision was already recorded for this person."
        ),
        "verification_withdrawn": N_(
            "This request was withdrawn (the person was taken off the manifest or the return"
            " was cancelled)."
        ),
        "nothing_selected": N_("Select at least one person to confirm."),
        "not_found": N_("This request is no longer among those you can see."),
        "unavailable": N_("The service did not answer: this was not recorded. Try again."),
    }
)


# --- pure helpers (unit-tested) ---------------------------------------------------------------


def inbox_order(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Overdue first, then pending, then the rest; within each, by kind (`KINDS`), then the
    earliest deadline, then the oldest event."""

    def key(n: Mapping[str, Any]) -> tuple[int, int, str, str]:
        if n.get("overdue"):
            rank = 0
        elif n.get("status") == "pending":
            rank = 1
        else:
            rank = 2
        kind = str(n.get("kind", ""))
        kind_rank = KINDS.index(kind) if kind in KINDS else len(KINDS)
        deadline = n.get("ack_due_at") or n.get("due_at") or "9999"
        return rank, kind_rank, _utc_text(deadline), _utc_text(n.get("occurred_at") or "")

    return sorted(items, key=key)


def _utc_text(value: Any) -> str:
    instant = i18n.parse_instant(value) if value not in ("", "9999") else None
    return instant.astimezone(UTC).isoformat() if instant else str(value)


def merged(first: Iterable[Mapping[str, Any]], then: Iterable[Mapping[str, Any]]) -> list[Any]:
    """Both lists once each (by id), `first` winning."""
    seen: set[str] = set()
    out: list[Mapping[str, Any]] = []
    for n in (*first, *then):
        if str(n.get("id")) not in seen:
            seen.add(str(n.get("id")))
            out.append(n)
    return out


@dataclass
class Group:
    """The pending verifications of one manifest."""

    manifest_id: str
    count: int = 0
    first_requested_at: str | None = None
    manifest: Mapping[str, Any] | None = None


def group_by_manifest(verifications: Iterable[Mapping[str, Any]]) -> list[Group]:
    """Per manifest (`related.id`), the oldest request first."""
    groups: dict[str, Group] = {}
    for v in verifications:
        related = v.get("related") or {}
        manifest_id = str(related.get("id", ""))
        group = groups.setdefault(manifest_id, Group(manifest_id))
        group.count += 1
        requested = v.get("requested_at")
        if requested and (
            group.first_requested_at is None
            or _utc_text(requested) < _utc_text(group.first_requested_at)
        ):
            group.first_requested_at = requested
    return sorted(groups.values(), key=lambda g: _utc_text(g.first_requested_at or "9999"))


@dataclass
class Outcome:
    """What became of one decision of a batch."""

    verification_id: str
    name: str
    recorded: bool
    sentences: list[str] = field(default_factory=list)


# --- helpers for the pages ----------------------------------------------------------------------


def _short(value: Any, time_zone: str | None, locale: str) -> str:
    """`02/12/2026 14:30` in the place's zone (the zone named once, in the column's header)."""
    instant = i18n.parse_instant(value)
    if instant is None:
        return "—"
    tz = i18n.zone(time_zone)
    local = instant.astimezone(tz)
    return str(format_datetime(local, "dd/MM/yyyy HH:mm", tzinfo=tz, locale=locale))


def _common_zone(items: Iterable[Mapping[str, Any]]) -> str | None:
    zones = {str(n.get("time_zone")) for n in items if n.get("time_zone")}
    return zones.pop() if len(zones) == 1 else None


def _uuid(value: str) -> str:
    """An id for an address of this console; anything else is "not found"."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(CONSULAR, 404) from None


async def _all(page: Page, service: str, path: str, **params: str) -> list[Any]:
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        query = dict(params, limit=str(MAX_LIMIT))
        if cursor:
            query["cursor"] = cursor
        answer = await page.apis.get(service, path, **query)
        items.extend(answer.get("items", []))
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    return items


async def _maybe(page: Page, service: str, path: str, **params: str) -> Any:
    try:
        return await page.apis.get(service, path, **params)
    except (NotFound, Unavailable):
        return None


async def _points(page: Page) -> dict[str, Mapping[str, Any]]:
    """The reception points by code (their names and time zones)."""
    points = await _maybe(page, REPATRIATION, "/v1/reception-points")
    return {str(p.get("code")): p for p in (points or {}).get("items", [])}


def _zone_of(points: Mapping[str, Mapping[str, Any]], code: Any) -> str | None:
    point = points.get(str(code)) or {}
    return str(point["time_zone"]) if point.get("time_zone") else None


def _point_name(points: Mapping[str, Mapping[str, Any]], code: Any) -> str:
    point = points.get(str(code)) or {}
    return str(point.get("name") or code or "—")


async def _post_name(page: Page, code: Any, country: Any) -> str:
    """`Consulado — Tapachula` for the post's code, as the directory names it."""
    if not code:
        return "—"
    posts = await _maybe(page, CONSULAR, "/v1/consular-posts", country=str(country))
    for post in (posts or {}).get("items", []):
        if post.get("code") == code:
            return f"{page.word('consular_post_kind', post.get('kind'))} — {post.get('city')}"
    return str(code)


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# --- the inbox ----------------------------------------------------------------------------------


@router.get("/notifications", include_in_schema=False)
async def inbox(
    page: SignedIn, status: str = "pending", kind: str = "", cursor: str = ""
) -> Response:
    status = status if status in STATUS_FILTERS else "pending"
    kind = kind if kind in KINDS else ""
    params: dict[str, str] = {"limit": str(PAGE_SIZE)}
    if status != "all":
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    answer = await page.apis.get(CONSULAR, "/v1/notifications", **params)
    items: list[Any] = answer.get("items", [])
    overdue_more = False
    if not cursor and status in ("pending", "all"):
        # The overdue ones come first whichever page of the list holds them.
        overdue = await page.apis.get(
            CONSULAR, "/v1/notifications", status="overdue", limit=str(MAX_LIMIT)
        )
        overdue_more = bool(overdue.get("next_cursor"))
        items = merged(overdue.get("items", []), items)
    shown = [n for n in inbox_order(items) if not kind or n.get("kind") == kind]
    next_cursor = answer.get("next_cursor")
    next_href = None
    if next_cursor:
        query = {"status": status, "cursor": next_cursor}
        if kind:
            query["kind"] = kind
        next_href = "/notifications?" + urlencode(query)
    zone = _common_zone(shown)
    return page.render(
        "consular/inbox.html",
        items=shown,
        status=status,
        kind=kind,
        kinds=KINDS,
        statuses=STATUS_FILTERS,
        filtered_on_page=bool(kind),
        next_href=next_href,
        first_href=("/notifications?" + urlencode({"status": status, "kind": kind}))
        if cursor
        else None,
        overdue_more=overdue_more,
        zone=zone,
        short=lambda value, tz: _short(value, tz, page.locale),
        overdue_count=sum(1 for n in shown if n.get("overdue")),
    )


# --- one notification ---------------------------------------------------------------------------


def _action_defaults(n: Mapping[str, Any]) -> dict[str, str]:
    # Now, to the next whole minute (within the API's clock skew): never before an event that
    # has just happened.
    now = datetime.now(UTC).astimezone(i18n.zone(n.get("time_zone")))
    now = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return {
        "kind": "",
        "at_date": now.strftime("%d/%m/%Y"),
        "at_time": now.strftime("%H:%M"),
        "notes": "",
    }


async def _notification_page(
    page: Page,
    notification_id: str,
    *,
    status_code: int = 200,
    ack_errors: FormErrors | None = None,
    action_errors: FormErrors | None = None,
    action_values: Mapping[str, str] | None = None,
    done: str = "",
) -> Response:
    n = await page.apis.get(CONSULAR, f"/v1/notifications/{notification_id}")
    related = n.get("related") or {}
    points = await _points(page) if n.get("manifest") else {}
    manifest_href = (
        f"/manifests/{related.get('id')}"
        if related.get("service") == REPATRIATION and related.get("id")
        else None
    )
    return page.render(
        "consular/notification.html",
        status_code=status_code,
        n=n,
        tz=n.get("time_zone"),
        short=lambda value: _short(value, n.get("time_zone"), page.locale),
        point_zone=_zone_of(points, (n.get("manifest") or {}).get("reception_point")),
        point_name=_point_name(points, (n.get("manifest") or {}).get("reception_point")),
        post_name=await _post_name(page, n.get("consular_post"), n.get("nationality")),
        manifest_href=manifest_href,
        verifications_href=f"/verifications/manifest/{related.get('id')}"
        if manifest_href and n.get("kind") == "repatriation_notice"
        else None,
        ack_errors=ack_errors,
        action_errors=action_errors,
        values=action_values or _action_defaults(n),
        action_kinds=ACTION_KINDS,
        done=done if done in ("acknowledged", "action") else "",
    )


@router.get("/notifications/{notification_id}", include_in_schema=False)
async def notification(page: SignedIn, notification_id: str, done: str = "") -> Response:
    return await _notification_page(page, _uuid(notification_id), done=done)


@router.post("/notifications/{notification_id}/acknowledge", include_in_schema=False)
async def acknowledge(page: SignedIn, notification_id: str) -> Response:
    notification_id = _uuid(notification_id)
    form = await page.request.form()
    try:
        await page.apis.post(
            CONSULAR,
            f"/v1/notifications/{notification_id}/acknowledge",
            key=_field(form, "idempotency_key") or None,
        )
    except Refused as refused:
        errors = form_errors(page.locale, refused, fields={})
        return await _notification_page(
            page, notification_id, status_code=refused.status, ack_errors=errors
        )
    return RedirectResponse(f"/notifications/{notification_id}?done=acknowledged", 303)


@router.post("/notifications/{notification_id}/actions", include_in_schema=False)
async def record_action(page: SignedIn, notification_id: str) -> Response:
    notification_id = _uuid(notification_id)
    form = await page.request.form()
    values = {name: _field(form, name) for name in ("kind", "at_date", "at_time", "notes")}
    n = await page.apis.get(CONSULAR, f"/v1/notifications/{notification_id}")
    try:
        at = i18n.local_instant(values["at_date"], values["at_time"], n.get("time_zone"))
    except i18n.NotADateTime:
        errors = FormErrors()
        errors.add("at", rule_sentence(page.locale, "datetime_parsing"))
        return await _notification_page(
            page, notification_id, status_code=422, action_errors=errors, action_values=values
        )
    body = {"kind": values["kind"], "at": at.isoformat(), "notes": values["notes"].strip() or None}
    try:
        await page.apis.post(
            CONSULAR,
            f"/v1/notifications/{notification_id}/actions",
            body,
            key=_field(form, "idempotency_key") or None,
        )
    except Refused as refused:
        errors = form_errors(
            page.locale, refused, fields={"kind": "kind", "at": "at", "notes": "notes"}
        )
        return await _notification_page(
            page,
            notification_id,
            status_code=refused.status,
            action_errors=errors,
            action_values=values,
        )
    return RedirectResponse(f"/notifications/{notification_id}?done=action#actions", 303)


# --- the verification queue ---------------------------------------------------------------------


@router.get("/verifications", include_in_schema=False)
async def queue(page: SignedIn) -> Response:
    pending = await _all(page, CONSULAR, "/v1/verifications", status="pending")
    groups = group_by_manifest(pending)
    points = await _points(page)
    for group in groups:
        if group.manifest_id:
            group.manifest = await _maybe(page, REPATRIATION, f"/v1/manifests/{group.manifest_id}")
    return page.render(
        "consular/queue.html",
        groups=groups,
        total=len(pending),
        zone_of=lambda code: _zone_of(points, code),
        point_name=lambda code: _point_name(points, code),
    )


@dataclass
class Person:
    """One request to verify, with what the manifest says about the person."""

    verification: Mapping[str, Any]
    returnee: Mapping[str, Any] | None

    @property
    def id(self) -> str:
        return str(self.verification.get("id"))

    @property
    def name(self) -> str:
        person = self.verification.get("person") or {}
        return f"{person.get('given_names', '')} {person.get('surnames', '')}".strip()

    @property
    def pending(self) -> bool:
        return self.verification.get("status") == "pending"


def _people(verifications: list[Any], manifest: Mapping[str, Any] | None) -> list[Person]:
    returnees = list((manifest or {}).get("returnees") or [])
    by_id = {str(r.get("id")): (index, r) for index, r in enumerate(returnees)}

    def found(v: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]] | None:
        return by_id.get(str((v.get("related") or {}).get("returnee_id")))

    people = [Person(v, (found(v) or (0, None))[1]) for v in verifications]
    return sorted(
        people,
        key=lambda p: (
            not p.pending,
            (found(p.verification) or (len(returnees), None))[0],
            p.name,
        ),
    )


async def _manifest_page(
    page: Page,
    manifest_id: str,
    *,
    status_code: int = 200,
    errors: Mapping[str, list[str]] | None = None,
    reasons: Mapping[str, str] | None = None,
    outcomes: list[Outcome] | None = None,
    batch_errors: FormErrors | None = None,
    decided: str = "",
) -> Response:
    verifications = await _all(page, CONSULAR, "/v1/verifications", related_id=manifest_id)
    if not verifications:
        raise NotFound(CONSULAR, 404)
    manifest = await _maybe(page, REPATRIATION, f"/v1/manifests/{manifest_id}")
    points = await _points(page)
    tz = _zone_of(points, (manifest or {}).get("reception_point"))
    people = _people(verifications, manifest)
    just_decided = next((p for p in people if p.id == decided and not p.pending), None)
    names = {p.id: p.name for p in people}
    for outcome in outcomes or []:
        outcome.name = names.get(outcome.verification_id, "")
    return page.render(
        "consular/manifest.html",
        status_code=status_code,
        manifest_id=manifest_id,
        manifest=manifest,
        tz=tz,
        short=lambda value: _short(value, tz, page.locale),
        point_name=_point_name(points, (manifest or {}).get("reception_point")),
        people=people,
        pending=[p for p in people if p.pending],
        errors=errors or {},
        reasons=reasons or {},
        outcomes=outcomes,
        batch_errors=batch_errors,
        just_decided=just_decided,
    )


@router.get("/verifications/manifest/{manifest_id}", include_in_schema=False)
async def manifest_verifications(page: SignedIn, manifest_id: str, decided: str = "") -> Response:
    return await _manifest_page(page, _uuid(manifest_id), decided=decided)


def _refusal_sentences(page: Page, error: ApiError) -> list[str]:
    if isinstance(error, Refused):
        found = form_errors(page.locale, error, fields=lambda _path: None)
        return found.general
    if isinstance(error, NotFound):
        return [rule_sentence(page.locale, "not_found")]
    if isinstance(error, Unavailable):
        return [rule_sentence(page.locale, "unavailable")]
    return [rule_sentence(page.locale, "consul_of_nationality_only")]


@router.post("/verifications/{verification_id}/decision", include_in_schema=False)
async def decide(page: SignedIn, verification_id: str) -> Response:
    verification_id = _uuid(verification_id)
    form = await page.request.form()
    manifest_id = _uuid(_field(form, "manifest_id"))
    decision = _field(form, "decision")
    reason = _field(form, "reason").strip()
    body: dict[str, Any] = {"decision": decision}
    if decision == "rejected":
        body["reason"] = reason or None
    try:
        await page.apis.post(
            CONSULAR,
            f"/v1/verifications/{verification_id}/decision",
            body,
            key=_field(form, "idempotency_key") or None,
        )
    except Refused as refused:
        return await _manifest_page(
            page,
            manifest_id,
            status_code=refused.status,
            errors={verification_id: _refusal_sentences(page, refused)},
            reasons={verification_id: reason},
        )
    return RedirectResponse(
        f"/verifications/manifest/{manifest_id}?decided={verification_id}#person-{verification_id}",
        303,
    )


@router.post("/verifications/manifest/{manifest_id}/confirm", include_in_schema=False)
async def confirm_selected(page: SignedIn, manifest_id: str) -> Response:
    """Every selected person confirmed by a call of their own (their own Idempotency-Key): a
    failure is shown person by person next to what was recorded; nothing is dropped."""
    manifest_id = _uuid(manifest_id)
    form = await page.request.form()
    selected = [str(v) for v in form.getlist("selected") if isinstance(v, str)]
    if not selected:
        errors = FormErrors()
        errors.add(None, rule_sentence(page.locale, "nothing_selected"))
        return await _manifest_page(page, manifest_id, status_code=422, batch_errors=errors)
    outcomes: list[Outcome] = []
    for raw in dict.fromkeys(selected):
        try:
            verification_id = str(uuid.UUID(raw))
        except ValueError:
            continue
        outcome = Outcome(verification_id, "", recorded=False)
        try:
            await page.apis.post(
                CONSULAR,
                f"/v1/verifications/{verification_id}/decision",
                {"decision": "confirmed"},
                key=_field(form, f"key-{verification_id}") or None,
            )
            outcome.recorded = True
        except ApiError as error:
            outcome.sentences = _refusal_sentences(page, error)
        outcomes.append(outcome)
    failed = any(not o.recorded for o in outcomes)
    return await _manifest_page(
        page,
        manifest_id,
        status_code=409 if failed else 200,
        outcomes=outcomes,
        errors={o.verification_id: o.sentences for o in outcomes if not o.recorded},
    )
