"""Opening a child's case (issue 15): the host country's caseworker records the child as found.

One form, drawn like every act of a case (`children/_acts.html`): what the officer typed is
sent as typed, and the child_protection API decides — a refusal comes back next to its field in
the officer's language, with everything typed kept. The host country is the officer's own: the
API would refuse any other, so the form does not ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from console.entrypoints import i18n
from console.entrypoints.pages.children import (
    SERVICE,
    Act,
    Field,
    act_body,
    zone_of,
)
from console.entrypoints.web import FormErrors, Page, SignedIn, form_errors
from console.entrypoints.words import N_, add_rules
from console.service_layer.apis import Forbidden, Refused

router = APIRouter()

OFFICER = "child_protection_officer"
# The Memorandum's and the Regional Guidelines' countries: a child found in one of them.
NATIONALITIES = ("GT", "SV", "HN", "NI", "MX", "CR", "PA", "BZ", "DO")

OPENING = Act(
    "open",
    N_("Open a child's case"),
    "host",
    (
        Field("given_names", N_("Given names"), required=True),
        Field("surnames", N_("Surnames"), required=True),
        Field(
            "sex",
            N_("Sex"),
            "select",
            True,
            (("F", N_("Girl")), ("M", N_("Boy")), ("X", N_("Other"))),
        ),
        Field("date_of_birth", N_("Date of birth"), "day", hint=N_("dd/mm/aaaa, if known.")),
        Field(
            "estimated_age",
            N_("Estimated age in years"),
            "number",
            hint=N_("When there is no reliable date of birth."),
        ),
        Field(
            "age_disputed",
            N_("The age is disputed (the child is treated as a child until it is decided)"),
            "check",
        ),
        Field("nationality", N_("Nationality"), "country", True),
        Field(
            "languages",
            N_("Languages the child speaks"),
            hint=N_("Separated by commas, e.g. español, mam."),
        ),
        Field("identified_at", N_("Identified at"), "when", True),
        Field("state", N_("State or department where the child was found")),
        Field("city", N_("Town or city")),
        Field(
            "accompaniment",
            N_("How the child was found"),
            "select",
            True,
            (
                ("unaccompanied", N_("Unaccompanied")),
                ("separated", N_("Separated from the family")),
            ),
        ),
        Field("protection_need", N_("The child may need international protection"), "check"),
        Field("trafficking_indicator", N_("There is a trafficking indicator"), "check"),
        Field(
            "indicator_details",
            N_("What was observed"),
            "area",
            hint=N_("Only readable in the sensitive sections, after stating a purpose."),
        ),
    ),
    N_("Open the case"),
)
# The API's body nests the child and the place; its refusals name them so.
_NESTED = {
    "child": ("given_names", "surnames", "sex", "date_of_birth", "estimated_age", "nationality"),
    "place": ("state", "city"),
}

add_rules(
    {
        "nationality_is_host_country": N_(
            "A child of this country is not a migrant child's case here."
        ),
        "place_not_in_host_country": N_("A case is opened where the child is: in your country."),
        "identified_after_opening": N_("The child is identified before the case is opened."),
        "not_a_child": N_(
            "By this date of birth the person is an adult; mark the age as disputed if it is."
        ),
    }
)


def opening_body(form: Mapping[str, str], host_country: str | None) -> dict[str, Any]:
    """The API's `CaseCreate` from the form (raises `i18n.NotADateTime` naming the field)."""
    flat = act_body(OPENING, form, zone_of(host_country))
    body: dict[str, Any] = {part: {} for part in _NESTED}
    for part, names in _NESTED.items():
        for name in names:
            value = flat.pop(name, None)
            if value not in (None, ""):
                body[part][name] = value
    born = body["child"].get("date_of_birth")
    if isinstance(born, str):
        day = i18n.typed_day(born)
        body["child"]["date_of_birth"] = day.isoformat() if day else born
    age = body["child"].get("estimated_age")
    if isinstance(age, str) and age.isdigit():
        body["child"]["estimated_age"] = int(age)
    languages = flat.pop("languages", "")
    body["child"]["languages"] = [x.strip() for x in str(languages).split(",") if x.strip()]
    body["place"]["country"] = host_country
    return {**body, **flat}


def opening_field(path: str) -> str | None:
    """The form's field for the API's field path (`child.date_of_birth` → `date_of_birth`);
    `place.country` is the officer's own country, not on the form (a general error)."""
    name = path.rsplit(".", 1)[-1]
    if path.endswith("languages") or ".languages." in path:
        return "languages"
    return name if any(f.name == name for f in OPENING.fields) else None


def _refuse_unless_caseworker(page: Page) -> None:
    if not page.officer.has(OFFICER):
        raise Forbidden(SERVICE, 403, {})


def _form_page(
    page: Page,
    *,
    status_code: int = 200,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    host = page.officer.country
    act = OPENING
    nationalities = tuple(c for c in NATIONALITIES if c != host)
    fields = tuple(
        Field(f.name, f.label, f.kind, f.required, tuple((c, c) for c in nationalities), f.hint)
        if f.kind == "country"
        else f
        for f in act.fields
    )
    return page.render(
        "children/open.html",
        status_code=status_code,
        act=Act(act.key, act.title, act.side, fields, act.button),
        host=host,
        tz=zone_of(host),
        errors=errors or FormErrors(),
        values=values or {},
    )


@router.get("/cases/new", include_in_schema=False)
async def opening_form(page: SignedIn) -> Response:
    _refuse_unless_caseworker(page)
    return _form_page(page)


@router.post("/cases/new", include_in_schema=False)
async def open_case(page: SignedIn) -> Response:
    _refuse_unless_caseworker(page)
    form = {k: v for k, v in (await page.request.form()).items() if isinstance(v, str)}
    try:
        body = opening_body(form, page.officer.country)
    except i18n.NotADateTime as error:
        errors = FormErrors()
        errors.add(str(error), page.gettext("Type the date as dd/mm/aaaa and the time as hh:mm."))
        return _form_page(page, status_code=422, errors=errors, values=form)
    try:
        case = await page.apis.post(
            SERVICE, "/v1/cases", body, key=form.get("idempotency_key") or None
        )
    except Refused as refused:
        # Nothing was opened: the corrected form is a new request, with a new key.
        kept = {k: v for k, v in form.items() if k != "idempotency_key"}
        errors = form_errors(page.locale, refused, fields=opening_field)
        return _form_page(page, status_code=refused.status, errors=errors, values=kept)
    return RedirectResponse(f"/cases/{case['id']}?done=opened", 303)
