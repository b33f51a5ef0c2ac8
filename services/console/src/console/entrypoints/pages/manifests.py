"""The immigration officer's pages of the land return: the manifests list (`/manifests`), a new
manifest (`/manifests/new`), the manifest page (`/manifests/{id}`) with its people — added one
by one or imported from a CSV/XLSX file after a preview — and its actions (submit, remove a
person, a late protection need, dispatch, cancel).

The border officer and the consul open the manifest page too: the repatriation API decides
what each sees; the page shows what it answered, and offers the sending side's actions only to
an immigration officer of the sending country (the API refuses anyone else anyway).

The import: the file is checked row by row (`console.domain.manifest_import`) and shown, every
row with its errors, before anything is created. Confirming sends the valid rows one by one
(each with its own Idempotency-Key derived from the form's, so a second click adds nobody
twice). A row the API still refuses is not dropped: the result page lists it with the API's
refusal next to its column, and offers those rows alone as a CSV to fix and import again.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from console.adapters.spreadsheets import read_xlsx, template_xlsx
from console.domain import manifest_import as mi
from console.entrypoints import i18n
from console.entrypoints.web import FormErrors, Page, SignedIn, form_errors, rule_sentence
from console.entrypoints.words import N_, add_words
from console.service_layer.apis import Refused

router = APIRouter()

REPATRIATION = "repatriation"
LIST_LIMIT = 25
STATUSES = ("draft", "submitted", "dispatched", "arrived", "closed", "cancelled")
COUNTRIES = ("GT", "SV", "HN", "NI", "MX")
# The migration station's clock, by sending country (Tapachula: America/Mexico_City, UTC-6).
STATION_ZONES = {
    "MX": "America/Mexico_City",
    "GT": "America/Guatemala",
    "SV": "America/El_Salvador",
    "HN": "America/Tegucigalpa",
    "NI": "America/Managua",
}
# The advance notice (DOMAIN.md: 24 h for every receiving country, cfg). The console asks for
# the late-notice reason when the arrival is nearer; if a country's notice is longer, the API
# refuses with `advance_notice_too_short` and the form asks then.
ADVANCE_NOTICE = timedelta(hours=24)
MAX_UPLOAD = mi.MAX_BYTES
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
MANAGEABLE = ("draft", "submitted")
HANDOVER_OPEN = ("dispatched", "arrived", "closed")
FLAGS = mi.FLAGS
PROTECTION_KINDS = ("asylum", "fear_of_return", "refugee", "trafficking")

add_words(
    "manifest_vulnerability",
    {
        "pregnant": N_("Pregnant"),
        "disability": N_("Disability"),
        "illness_or_injury": N_("Ill or injured"),
        "trafficking_indicator": N_("Sign of trafficking"),
        "elderly": N_("60 or older"),
        "child": N_("Child"),
        "age_disputed": N_("Age disputed"),
    },
)
add_words(
    "import_column",
    {
        "given_names": N_("Given names"),
        "surnames": N_("Surnames"),
        "sex": N_("Sex"),
        "date_of_birth": N_("Date of birth"),
        "nationality": N_("Nationality"),
        "place_of_origin": N_("Place of origin"),
        "family_group": N_("Family group"),
        "document_type": N_("Document type"),
        "document_number": N_("Document number"),
        "pregnant": N_("Pregnant"),
        "disability": N_("Disability"),
        "illness_or_injury": N_("Illness or injury"),
        "trafficking_indicator": N_("Sign of trafficking"),
        "age_disputed": N_("Age disputed"),
        "protection_need": N_("Protection need"),
    },
)
add_words("document_kind", {"passport": N_("Passport")})
add_words(
    "done",
    {
        "created": N_("The manifest was created as a draft. Now add its people."),
        "added": N_("The person was added to the manifest."),
        "removed": N_("The person was taken off the manifest."),
        "protection": N_(
            "The protection need was recorded: the person is off the manifest, and the "
            "receiving country will not see them."
        ),
        "submitted": N_(
            "The manifest was submitted: the receiving country and the consulate are notified."
        ),
        "dispatched": N_("The bus was dispatched."),
        "cancelled": N_("The manifest was cancelled."),
    },
)

# What the repatriation API refuses with, as the manifests' forms say it (passed to
# `form_errors`, so another page's sentence for the same code never replaces these).
RULES: dict[str, str] = {
    "advance_notice_too_short": N_(
        "The bus arrives within the advance-notice time: say why the notice is late."
    ),
    "outside_reception_window": N_(
        "The arrival is outside the reception point's hours (see its window below)."
    ),
    "arrival_in_past": N_("The arrival cannot be in the past."),
    "arrival_before_departure": N_("The arrival must come after the departure."),
    "invalid_schedule": N_("The schedule is not valid."),
    "invalid_vehicle": N_("The bus's details are not valid."),
    "agreement_not_in_force": N_("There is no return agreement in force with this country."),
    "protection_need": N_(
        "A person with a protection need is not returned: refer them to the refugee "
        "commission (COMAR) instead."
    ),
    "unaccompanied_minor": N_(
        "A child travels only with an adult of their family group; an unaccompanied child is "
        "referred to child protection."
    ),
    "child_trafficking_indicator": N_(
        "A child with a sign of trafficking is referred to child protection, not returned."
    ),
    "nationality_not_receiving_country": N_(
        "The person's nationality must be that of the receiving country."
    ),
    "vulnerability_flag_required": N_("Answer each vulnerability."),
    "protection_need_required": N_("Answer whether the person has a protection need."),
    "invalid_returnee": N_("The person's details are not valid."),
    "duplicate_returnee": N_("This person is already on the manifest."),
    "family_separation_needs_reason": N_(
        "Taking one member of a family off needs a reason: say why."
    ),
    "removal_reason_required": N_("Once submitted, say why the person comes off."),
    "family_choice_required": N_(
        "Other members of the family are on the bus: choose whether they stay or leave too."
    ),
    "child_would_stay_without_adult": N_(
        "A child of the family would travel without an adult: the family must leave with them."
    ),
    "child_would_be_unaccompanied": N_(
        "A child of this family would travel without an adult: take the child off first, or "
        "record the need for the whole family."
    ),
    "cancellation_reason_required": N_("Say why the manifest is cancelled."),
    "invalid_transition": N_("This cannot be done in the manifest's present state."),
    "empty_manifest": N_("A manifest without people cannot be submitted: add its people first."),
    "nationality_not_confirmed": N_(
        "The bus can leave only when the consulate has confirmed every nationality."
    ),
    "nationality_rejected": N_(
        "A person whose nationality the consulate rejected is still on the manifest: take "
        "them off first."
    ),
    "not_enough_seats": N_("The bus has fewer seats than people on the manifest."),
    "returnee_not_found": N_("This person is no longer on the manifest."),
    "arrival_to_before_arrival_from": N_("The last day comes before the first day."),
    # The console's own checks of a form, before anything is sent.
    "bad_local_time": N_("Write the date and time as dd/mm/yyyy hh:mm."),
    "bad_day": N_("Write the date as dd/mm/yyyy."),
    "bad_number": N_("This must be a whole number."),
    "required": N_("This field is required."),
    "missing": N_("This field is required."),
}

# The import's row and file rules (console.domain.manifest_import), as sentences.
IMPORT_RULES: dict[str, str] = {
    "required": N_("Required: this cell is empty."),
    "too_long": N_("Too long for this column."),
    "control_character": N_("Contains characters that cannot be stored."),
    "bad_sex": N_("Write F (female), M (male) or X (other / not stated)."),
    "bad_date": N_("Not a date: write it as dd/mm/yyyy."),
    "born_in_future": N_("The date of birth is in the future."),
    "born_too_long_ago": N_("The date of birth is before 1900."),
    "bad_nationality": N_("Not a country: write the two-letter code (GT) or its name."),
    "other_nationality": N_("The nationality must be that of the receiving country."),
    "bad_yes_no": N_("Write sí or no."),
    "protection_need": N_(
        "A person with a protection need is not returned: refer them to COMAR, not to this bus."
    ),
    "pregnant_male": N_("Marked pregnant but of male sex: check the row."),
    "document_incomplete": N_("A document needs both its type and its number."),
    "duplicate_person": N_("The same person (names and date of birth) is listed twice."),
    "child_without_family": N_(
        "A child must travel in a family group with an adult; an unaccompanied child is "
        "referred to child protection."
    ),
    "child_without_adult": N_("No adult of this family group is on the manifest or in the file."),
    "child_trafficking": N_(
        "A child with a sign of trafficking is referred to child protection, not returned."
    ),
}
FILE_RULES: dict[str, str] = {
    "missing_columns": N_("The file lacks required columns: %(columns)s. Use the template."),
    "no_rows": N_("The file has no people under its heading row."),
    "too_many_rows": N_("A manifest holds at most 300 people; the file has more rows."),
    "not_text": N_("The file could not be read as a CSV. Save it as CSV (UTF-8) or XLSX."),
    "not_csv": N_("The file could not be read as a CSV. Save it as CSV (UTF-8) or XLSX."),
    "not_xlsx": N_("The file could not be read as an Excel workbook (XLSX)."),
    "wrong_type": N_(
        "Only CSV or Excel (XLSX) files can be imported, as the template. Older .xls files: "
        "save them as XLSX first."
    ),
    "too_large": N_("The file is larger than 2 MB: a manifest's file is far smaller."),
    "no_file": N_("Choose the file to import."),
}


# -- what the pages are made of (pure) ---------------------------------------------------------


class Values(dict[str, str]):
    """A form's values as typed: a field never typed is empty (templates read any field)."""

    def __missing__(self, key: str) -> str:
        return ""


def age_on(born: str | None, on: date) -> int | None:
    if not born:
        return None
    return mi.age_on(date.fromisoformat(str(born)[:10]), on)


@dataclass
class Family:
    """People who travel together: a family group, or one person."""

    group: str | None
    people: list[dict[str, Any]]

    @property
    def vulnerable(self) -> bool:
        return any(p.get("vulnerable") for p in self.people)


def families(returnees: Sequence[Mapping[str, Any]]) -> list[Family]:
    """Families together; families and people with anyone vulnerable first; otherwise in the
    API's order (which lists vulnerable people first)."""
    found: list[Family] = []
    groups: dict[str, Family] = {}
    for person in returnees:
        group = person.get("family_group")
        if group:
            if group not in groups:
                groups[group] = Family(group, [])
                found.append(groups[group])
            groups[group].people.append(dict(person))
        else:
            found.append(Family(None, [dict(person)]))
    for family in found:
        family.people.sort(key=lambda p: not p.get("vulnerable"))
    return sorted(found, key=lambda f: not f.vulnerable)


def vulnerabilities(person: Mapping[str, Any], arrival: date) -> list[str]:
    """The codes of why a person is vulnerable or needs care (flags, age on arrival)."""
    found = [k for k in FLAGS if (person.get("vulnerabilities") or {}).get(k)]
    age = age_on(person.get("date_of_birth"), arrival)
    if age is not None and age >= 60:
        found.append("elderly")
    if age is not None and age < mi.ADULT_AGE:
        found.append("child")
    if person.get("age_disputed"):
        found.append("age_disputed")
    return found


def needs_late_reason(manifest: Mapping[str, Any], now: datetime) -> bool:
    arrival = i18n.parse_instant(manifest.get("scheduled_arrival"))
    return arrival is not None and arrival - now < ADVANCE_NOTICE


def dispatch_blockers(manifest: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Why the bus cannot leave yet, as (msgid, values); empty when it can."""
    people = manifest.get("returnees") or []
    pending = sum(1 for p in people if p.get("nationality_status") == "pending")
    rejected = sum(1 for p in people if p.get("nationality_status") == "rejected")
    seats = int((manifest.get("vehicle") or {}).get("seats") or 0)
    found: list[tuple[str, dict[str, Any]]] = []
    if manifest.get("status") == "draft":
        found.append(
            (N_("Submit the manifest first: the consulate then verifies each person."), {})
        )
    if not people:
        found.append((N_("The manifest has nobody on it."), {}))
    if pending:
        found.append(
            (
                N_("Dispatch needs every nationality decided: %(n)s still awaiting the consulate."),
                {"n": pending},
            )
        )
    if rejected:
        found.append(
            (N_("%(n)s with their nationality rejected must be taken off first."), {"n": rejected})
        )
    if len(people) > seats:
        found.append(
            (
                N_("The bus has %(seats)s seats for %(n)s people."),
                {"seats": seats, "n": len(people)},
            )
        )
    return found


def returnee_field(path: str) -> str | None:
    """The API's field path of a person (`vulnerabilities.pregnant`, `document.number`) as
    the add-person form's field."""
    last = path.rsplit(".", 1)[-1]
    if path.startswith("document"):
        return {"type": "document_type", "number": "document_number"}.get(last, "document_number")
    known = {c.key for c in mi.COLUMNS} | {"late_notice_reason"}
    if path == "vulnerabilities":
        return "vulnerabilities"
    return last if last in known else None


MANIFEST_FIELDS = {
    "receiving_country": "receiving_country",
    "reception_point": "reception_point",
    "vehicle.plate": "plate",
    "vehicle.seats": "seats",
    "vehicle": "plate",
    "scheduled_departure": "departure",
    "scheduled_arrival": "arrival",
    "late_notice_reason": "late_notice_reason",
}


def window_text(page: Page, window: Mapping[str, Any]) -> str:
    days = sorted(int(d) for d in window.get("weekdays") or [])
    names = [
        page.gettext(n)
        for n in (
            N_("Mon"),
            N_("Tue"),
            N_("Wed"),
            N_("Thu"),
            N_("Fri"),
            N_("Sat"),
            N_("Sun"),
        )
    ]
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        span = f"{names[days[0] - 1]}\N{EN DASH}{names[days[-1] - 1]}"
    else:
        span = ", ".join(names[d - 1] for d in days if 1 <= d <= 7)
    return f"{span} {window.get('opens', '')}\N{EN DASH}{window.get('closes', '')}"


# -- reading the APIs ---------------------------------------------------------------------------


async def reception_points(page: Page) -> list[dict[str, Any]]:
    answer = await page.apis.get(REPATRIATION, "/v1/reception-points")
    return list(answer.get("items", []))


def point_of(points: Sequence[Mapping[str, Any]], code: str | None) -> Mapping[str, Any]:
    for point in points:
        if point.get("code") == code:
            return point
    return {}


def zone_of(points: Sequence[Mapping[str, Any]], manifest: Mapping[str, Any]) -> str:
    point = point_of(points, manifest.get("reception_point"))
    return str(
        point.get("time_zone") or STATION_ZONES.get(str(manifest.get("receiving_country")), "UTC")
    )


# -- the list ----------------------------------------------------------------------------------


@router.get("/manifests", include_in_schema=False)
async def manifest_list(request: Request, page: SignedIn) -> Response:
    q = request.query_params
    filters = {
        "status": q.get("status", "") if q.get("status", "") in STATUSES else "",
        "receiving_country": q.get("receiving_country", ""),
        "reception_point": q.get("reception_point", ""),
        "arrival_from": q.get("arrival_from", ""),
        "arrival_to": q.get("arrival_to", ""),
    }
    errors = FormErrors()
    params: dict[str, Any] = {k: v for k, v in filters.items() if v and not k.startswith("arr")}
    for name in ("arrival_from", "arrival_to"):
        if filters[name]:
            day = i18n.typed_day(filters[name])
            if day is None:
                errors.add(name, rule_sentence(page.locale, "bad_day", RULES))
            else:
                params[name] = day.isoformat()
                filters[name] = day.isoformat()
    points = await reception_points(page)
    answer: Mapping[str, Any] = {"items": [], "next_cursor": None}
    if not errors:
        try:
            answer = await page.apis.get(
                REPATRIATION,
                "/v1/manifests",
                limit=LIST_LIMIT,
                cursor=q.get("cursor") or None,
                **params,
            )
        except Refused as refused:
            errors = form_errors(page.locale, refused, rules=RULES)
    shown = {k: v for k, v in filters.items() if v}
    next_url = None
    if answer.get("next_cursor"):
        next_url = "/manifests?" + urlencode({**shown, "cursor": answer["next_cursor"]})
    return page.render(
        "manifests/list.html",
        status_code=422 if errors else 200,
        manifests=answer.get("items", []),
        points=points,
        point_of=lambda code: point_of(points, code),
        zone_of=lambda m: zone_of(points, m),
        filters=filters,
        filtered=bool(shown),
        errors=errors,
        statuses=STATUSES,
        countries=sorted({str(p.get("country")) for p in points}),
        next_url=next_url,
        paged=bool(q.get("cursor")),
        first_url="/manifests?" + urlencode(shown) if shown else "/manifests",
    )


# -- a new manifest ----------------------------------------------------------------------------


def _station_zone(page: Page) -> str:
    return STATION_ZONES.get(page.officer.country or "", "UTC")


async def _new_form(
    page: Page,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    *,
    key: str | None = None,
    status_code: int = 200,
    ask_late: bool = False,
) -> Response:
    points = [p for p in await reception_points(page) if p.get("country") != page.officer.country]
    by_country: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_country.setdefault(str(point.get("country")), []).append(point)
    return page.render(
        "manifests/new.html",
        status_code=status_code,
        values=Values(values),
        errors=errors or FormErrors(),
        key=key,
        by_country=by_country,
        station_zone=_station_zone(page),
        window_text=lambda w: window_text(page, w),
        ask_late=ask_late or bool(values.get("late_notice_reason")),
    )


@router.get("/manifests/new", include_in_schema=False)
async def new_manifest(request: Request, page: SignedIn) -> Response:
    country = request.query_params.get("receiving_country", "")
    return await _new_form(page, {"receiving_country": country})


@router.post("/manifests", include_in_schema=False)
async def create_manifest(request: Request, page: SignedIn) -> Response:
    form = await request.form()
    values = {
        k: _str(form, k)
        for k in (
            "receiving_country",
            "reception_point",
            "plate",
            "seats",
            "departure",
            "arrival",
            "late_notice_reason",
        )
    }
    key = _str(form, "idempotency_key") or None
    errors = FormErrors()
    points = await reception_points(page)
    point = point_of(points, values["reception_point"])
    for name in ("receiving_country", "reception_point", "plate", "seats", "departure", "arrival"):
        if not values[name]:
            errors.add(name, rule_sentence(page.locale, "required", RULES))
    if values["seats"] and not values["seats"].isdigit():
        errors.add("seats", rule_sentence(page.locale, "bad_number", RULES))
    departure = (
        i18n.typed_instant(values["departure"], _station_zone(page))
        if values["departure"]
        else None
    )
    if values["departure"] and departure is None:
        errors.add("departure", rule_sentence(page.locale, "bad_local_time", RULES))
    arrival_zone = str(
        point.get("time_zone") or STATION_ZONES.get(values["receiving_country"], "UTC")
    )
    arrival = i18n.typed_instant(values["arrival"], arrival_zone) if values["arrival"] else None
    if values["arrival"] and arrival is None:
        errors.add("arrival", rule_sentence(page.locale, "bad_local_time", RULES))
    if errors:
        return await _new_form(page, values, errors, key=key, status_code=422)
    assert departure is not None
    assert arrival is not None
    body: dict[str, Any] = {
        "receiving_country": values["receiving_country"],
        "reception_point": values["reception_point"],
        "scheduled_departure": departure.isoformat(),
        "scheduled_arrival": arrival.isoformat(),
        "vehicle": {"plate": values["plate"], "seats": int(values["seats"])},
        "returnees": [],
        "late_notice_reason": values["late_notice_reason"] or None,
    }
    try:
        created = await page.apis.post(REPATRIATION, "/v1/manifests", body, key=key)
    except Refused as refused:
        errors = form_errors(page.locale, refused, fields=MANIFEST_FIELDS, rules=RULES)
        late = refused.code == "advance_notice_too_short" or any(
            f.rule == "advance_notice_too_short" for f in refused.fields
        )
        # The key is spent on the refused request (the API replays its refusal for it): the
        # form corrected is a new request.
        return await _new_form(page, values, errors, status_code=refused.status, ask_late=late)
    return RedirectResponse(f"/manifests/{created['id']}?done=created", status_code=303)


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# -- the import's template ---------------------------------------------------------------------


@router.get("/manifests/import-template.csv", include_in_schema=False)
async def template_csv(page: SignedIn) -> Response:
    return Response(
        mi.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="plantilla-manifiesto.csv"'},
    )


@router.get("/manifests/import-template.xlsx", include_in_schema=False)
async def template_workbook(page: SignedIn) -> Response:
    return Response(
        template_xlsx(),
        media_type=XLSX_TYPES[0],
        headers={"Content-Disposition": 'attachment; filename="plantilla-manifiesto.xlsx"'},
    )


# -- the manifest page -------------------------------------------------------------------------


@dataclass
class Failed:
    """A form of the manifest page the API (or the console) refused: shown again, its values
    kept, the refusal next to its fields."""

    form: str  # "add", "submit", "cancel", "remove:<id>", "protection:<id>", "import"
    values: Mapping[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    key: str | None = None

    def __post_init__(self) -> None:
        self.values = Values(self.values)

    def on(self, form: str) -> bool:
        return self.form == form


async def _manifest_page(
    page: Page,
    manifest_id: uuid.UUID,
    *,
    failed: Failed | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    manifest = await page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}")
    points = await reception_points(page)
    zone = zone_of(points, manifest)
    arrival = i18n.parse_instant(manifest.get("scheduled_arrival"))
    arrival_day = (
        arrival.astimezone(i18n.zone(zone)).date() if arrival else datetime.now(UTC).date()
    )
    officer = page.officer
    manages = officer.has("immigration_officer") and officer.country == manifest.get(
        "sending_country"
    )
    people = manifest.get("returnees") or []
    groups: dict[str, int] = {}
    for person in people:
        if person.get("family_group"):
            groups[person["family_group"]] = groups.get(person["family_group"], 0) + 1
    now = datetime.now(UTC)
    handed = any(p.get("handover_outcome") for p in people)
    return page.render(
        "manifests/manifest.html",
        status_code=status_code,
        m=manifest,
        point=point_of(points, manifest.get("reception_point")),
        zone=zone,
        station_zone=STATION_ZONES.get(str(manifest.get("sending_country")), "UTC"),
        families=families(people),
        vulnerabilities=lambda p: vulnerabilities(p, arrival_day),
        age=lambda p: age_on(p.get("date_of_birth"), arrival_day),
        family_size=lambda p: groups.get(p.get("family_group") or "", 0),
        manages=manages,
        open_for_people=manifest.get("status") in MANAGEABLE,
        late_needed=needs_late_reason(manifest, now),
        blockers=dispatch_blockers(manifest),
        failed=failed or Failed(""),
        done=done
        if done
        in ("created", "added", "removed", "protection", "submitted", "dispatched", "cancelled")
        else None,
        handover_link=manifest.get("status") in ("dispatched", "arrived"),
        record_link=handed or manifest.get("status") in ("arrived", "closed"),
        window_text=lambda w: window_text(page, w),
        columns=mi.COLUMNS,
        countries=COUNTRIES,
        kinds=PROTECTION_KINDS,
        max_upload_mb=MAX_UPLOAD // (1024 * 1024),
        blank=Values(),
    )


@router.get("/manifests/{manifest_id}", include_in_schema=False)
async def manifest_page(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    return await _manifest_page(page, manifest_id, done=request.query_params.get("done"))


def _done(manifest_id: uuid.UUID, what: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/manifests/{manifest_id}?done={what}{anchor}", status_code=303)


async def _refused(
    page: Page,
    manifest_id: uuid.UUID,
    name: str,
    values: Mapping[str, str],
    refused: Refused,
    *,
    fields: Any = None,
    key: str | None = None,
) -> Response:
    errors = form_errors(page.locale, refused, fields=fields, rules=RULES)
    return await _manifest_page(
        page,
        manifest_id,
        failed=Failed(name, values, errors),  # a new key: the refused one is spent
        status_code=refused.status,
    )


PERSON_FIELDS = (
    "given_names",
    "surnames",
    "sex",
    "date_of_birth",
    "nationality",
    "place_of_origin",
    "family_group",
    "document_type",
    "document_number",
    "late_notice_reason",
)
CHECKS = (*FLAGS, "age_disputed")


def _person_body(
    form: FormData, locale: str
) -> tuple[dict[str, str], dict[str, Any], FormErrors, str]:
    values = {k: _str(form, k) for k in PERSON_FIELDS}
    values.update({k: "yes" if _str(form, k) else "" for k in CHECKS})
    values["protection_need"] = _str(form, "protection_need")
    errors = FormErrors()
    born = i18n.typed_day(values["date_of_birth"]) if values["date_of_birth"] else None
    if values["date_of_birth"] and born is None:
        errors.add("date_of_birth", rule_sentence(locale, "bad_day", RULES))
    body: dict[str, Any] = {
        "given_names": values["given_names"],
        "surnames": values["surnames"],
        "sex": values["sex"],
        "date_of_birth": born.isoformat() if born else values["date_of_birth"],
        "nationality": values["nationality"],
        "place_of_origin": values["place_of_origin"],
        "family_group": values["family_group"] or None,
        "document": (
            {"type": values["document_type"] or "passport", "number": values["document_number"]}
            if values["document_number"]
            else None
        ),
        "vulnerabilities": {k: bool(values[k]) for k in FLAGS},
        "age_disputed": bool(values["age_disputed"]),
        "late_notice_reason": values["late_notice_reason"] or None,
    }
    if values["protection_need"] in ("yes", "no"):
        body["protection_need"] = values["protection_need"] == "yes"
    return values, body, errors, _str(form, "idempotency_key")


@router.post("/manifests/{manifest_id}/people", include_in_schema=False)
async def add_person(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    values, body, errors, key = _person_body(form, page.locale)
    if errors:
        return await _manifest_page(
            page, manifest_id, failed=Failed("add", values, errors, key), status_code=422
        )
    try:
        await page.apis.post(
            REPATRIATION, f"/v1/manifests/{manifest_id}/returnees", body, key=key or None
        )
    except Refused as refused:
        return await _refused(
            page, manifest_id, "add", values, refused, fields=returnee_field, key=key
        )
    return _done(manifest_id, "added", "#people")


@router.post("/manifests/{manifest_id}/people/{returnee_id}/remove", include_in_schema=False)
async def remove_person(
    manifest_id: uuid.UUID, returnee_id: uuid.UUID, request: Request, page: SignedIn
) -> Response:
    form = await request.form()
    reason = _str(form, "reason")
    key = _str(form, "idempotency_key") or None
    path = f"/v1/manifests/{manifest_id}/returnees/{returnee_id}"
    if reason:
        path += "?reason=" + quote(reason, safe="")
    try:
        await page.apis.delete(REPATRIATION, path, key=key)
    except Refused as refused:
        return await _refused(
            page,
            manifest_id,
            f"remove:{returnee_id}",
            {"reason": reason},
            refused,
            fields=lambda p: "reason" if p in ("reason", "returnee_id") else None,
            key=key,
        )
    return _done(manifest_id, "removed", "#people")


@router.post("/manifests/{manifest_id}/people/{returnee_id}/protection", include_in_schema=False)
async def protection_need(
    manifest_id: uuid.UUID, returnee_id: uuid.UUID, request: Request, page: SignedIn
) -> Response:
    form = await request.form()
    values = {k: _str(form, k) for k in ("kind", "family", "note")}
    key = _str(form, "idempotency_key") or None
    body = {
        "kind": values["kind"],
        "family": values["family"] or None,
        "note": values["note"] or None,
    }
    try:
        await page.apis.post(
            REPATRIATION,
            f"/v1/manifests/{manifest_id}/returnees/{returnee_id}/protection-need",
            body,
            key=key,
        )
    except Refused as refused:
        return await _refused(
            page,
            manifest_id,
            f"protection:{returnee_id}",
            values,
            refused,
            fields=lambda p: p if p in ("kind", "family", "note") else None,
            key=key,
        )
    return _done(manifest_id, "protection", "#people")


@router.post("/manifests/{manifest_id}/submit", include_in_schema=False)
async def submit(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    reason = _str(form, "late_notice_reason")
    key = _str(form, "idempotency_key") or None
    try:
        await page.apis.post(
            REPATRIATION,
            f"/v1/manifests/{manifest_id}/submit",
            {"late_notice_reason": reason or None},
            key=key,
        )
    except Refused as refused:
        return await _refused(
            page,
            manifest_id,
            "submit",
            {"late_notice_reason": reason, "ask_late": "yes"},
            refused,
            fields=lambda p: "late_notice_reason" if p == "late_notice_reason" else None,
            key=key,
        )
    return _done(manifest_id, "submitted")


@router.post("/manifests/{manifest_id}/dispatch", include_in_schema=False)
async def dispatch(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    key = _str(form, "idempotency_key") or None
    try:
        await page.apis.post(REPATRIATION, f"/v1/manifests/{manifest_id}/dispatch", key=key)
    except Refused as refused:
        return await _refused(
            page, manifest_id, "dispatch", {}, refused, fields=lambda p: None, key=key
        )
    return _done(manifest_id, "dispatched")


@router.post("/manifests/{manifest_id}/cancel", include_in_schema=False)
async def cancel(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    reason = _str(form, "reason")
    key = _str(form, "idempotency_key") or None
    if not reason:
        errors = FormErrors(
            {"reason": [rule_sentence(page.locale, "cancellation_reason_required", RULES)]}
        )
        return await _manifest_page(
            page, manifest_id, failed=Failed("cancel", {"reason": ""}, errors, key), status_code=422
        )
    try:
        await page.apis.post(
            REPATRIATION, f"/v1/manifests/{manifest_id}/cancel", {"reason": reason}, key=key
        )
    except Refused as refused:
        return await _refused(
            page,
            manifest_id,
            "cancel",
            {"reason": reason},
            refused,
            fields=lambda p: "reason" if p == "reason" else None,
            key=key,
        )
    return _done(manifest_id, "cancelled")


# -- the import ---------------------------------------------------------------------------------


def _file_problem(page: Page, rule: str, **values: str) -> str:
    return page.gettext(FILE_RULES[rule], **values) if values else page.gettext(FILE_RULES[rule])


def _row_errors(page: Page, row: mi.Row) -> list[tuple[str | None, str]]:
    return [
        (
            e.column,
            page.gettext(IMPORT_RULES.get(e.rule) or RULES.get(e.rule) or e.rule),
        )
        for e in row.errors
    ]


def _kind_of(upload: UploadFile, data: bytes) -> str | None:
    name = (upload.filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return "xlsx" if data[:4] == b"PK\x03\x04" else None
    if name.endswith((".csv", ".txt")):
        return "csv"
    return None


@router.get("/manifests/{manifest_id}/import", include_in_schema=False)
@router.get("/manifests/{manifest_id}/import/confirm", include_in_schema=False)
async def import_again(manifest_id: uuid.UUID, page: SignedIn) -> Response:
    """A preview or a result asked for again (reloaded, or in the other language): the file
    is not kept, so back to the manifest's import form."""
    return RedirectResponse(f"/manifests/{manifest_id}#add", status_code=303)


@router.post("/manifests/{manifest_id}/import", include_in_schema=False)
async def import_preview(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    length = request.headers.get("content-length", "")
    problem: str | None = None
    if length.isdigit() and int(length) > MAX_UPLOAD + 64 * 1024:
        problem = "too_large"
    form = await request.form() if problem is None else None
    upload = form.get("file") if form is not None else None
    data = b""
    if problem is None:
        if not isinstance(upload, UploadFile) or not upload.filename:
            problem = "no_file"
        else:
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                problem = "too_large"
            elif not data:
                problem = "no_rows"
    kind = _kind_of(upload, data) if problem is None and isinstance(upload, UploadFile) else None
    if problem is None and kind is None:
        problem = "wrong_type"
    sheet: mi.Sheet | None = None
    if problem is None:
        try:
            sheet = read_xlsx(data) if kind == "xlsx" else mi.read_csv(data)
        except mi.UnreadableFile as unreadable:
            problem = unreadable.rule
    if problem is not None or sheet is None:
        errors = FormErrors({"file": [_file_problem(page, problem or "no_rows")]})
        return await _manifest_page(
            page, manifest_id, failed=Failed("import", {}, errors), status_code=422
        )
    manifest = await page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}")
    points = await reception_points(page)
    zone = zone_of(points, manifest)
    arrival = i18n.parse_instant(manifest.get("scheduled_arrival"))
    today = datetime.now(UTC).astimezone(i18n.zone(zone)).date()
    preview = mi.check(
        sheet,
        nationality=str(manifest.get("receiving_country")),
        today=today,
        arrival=arrival.astimezone(i18n.zone(zone)).date() if arrival else None,
        already=manifest.get("returnees") or [],
    )
    problems = []
    for rule in preview.problems:
        if rule == "missing_columns":
            names = ", ".join(page.word("import_column", c) for c in preview.missing_columns)
            problems.append(_file_problem(page, rule, columns=names))
        else:
            problems.append(_file_problem(page, rule))
    upload_name = upload.filename if isinstance(upload, UploadFile) else ""
    return page.render(
        "manifests/import_preview.html",
        m=manifest,
        preview=preview,
        problems=problems,
        row_errors=lambda row: _row_errors(page, row),
        rows_json=json.dumps(
            [{"number": r.number, "values": r.values, "body": r.body} for r in preview.valid],
            ensure_ascii=False,
        ),
        file_name=upload_name,
        late_needed=manifest.get("status") == "submitted"
        and needs_late_reason(manifest, datetime.now(UTC)),
        columns=mi.COLUMNS,
    )


@router.post("/manifests/{manifest_id}/import/confirm", include_in_schema=False)
async def import_confirm(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    key = _str(form, "idempotency_key") or page.new_key()
    late = _str(form, "late_notice_reason") or None
    try:
        rows = json.loads(_str(form, "rows") or "[]")
    except ValueError:
        rows = []
    added: list[dict[str, Any]] = []
    refused_rows: list[dict[str, Any]] = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("body"), dict):
            continue
        body = {**row["body"], "late_notice_reason": late}
        try:
            await page.apis.post(
                REPATRIATION,
                f"/v1/manifests/{manifest_id}/returnees",
                body,
                key=f"{key}-{row.get('number')}",
            )
        except Refused as refused:
            errors = form_errors(page.locale, refused, fields=returnee_field, rules=RULES)
            refused_rows.append(
                {
                    "number": row.get("number"),
                    "values": row.get("values") or {},
                    "errors": [
                        (name, sentence)
                        for name, sentences in errors.by_field.items()
                        for sentence in sentences
                    ]
                    + [(None, sentence) for sentence in errors.general],
                }
            )
            continue
        added.append(row)
    manifest = await page.apis.get(REPATRIATION, f"/v1/manifests/{manifest_id}")
    return page.render(
        "manifests/import_result.html",
        m=manifest,
        added=added,
        refused=refused_rows,
        refused_json=json.dumps([r["values"] for r in refused_rows], ensure_ascii=False),
        columns=mi.COLUMNS,
    )


@router.post("/manifests/{manifest_id}/import/refused.csv", include_in_schema=False)
async def refused_rows_csv(manifest_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    """The rows the API refused, in the template's columns, to fix and import again."""
    form = await request.form()
    try:
        rows = json.loads(_str(form, "rows") or "[]")
    except ValueError:
        rows = []
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.heading for c in mi.COLUMNS])
    for values in rows if isinstance(rows, list) else []:
        if isinstance(values, dict):
            writer.writerow([str(values.get(c.key, "")) for c in mi.COLUMNS])
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="filas-rechazadas.csv"'},
    )
