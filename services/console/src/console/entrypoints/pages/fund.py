"""The Reserve Fund's pages (issue 15): filing an application (`/fund/applications/new`), IOM's
queue (`/fund/applications`), the application page (`/fund/applications/{id}`) with every act
as a form, and the year's budget (`/fund/budget/{year}`).

The reserve_fund API decides everything (eligibility, the cap, who may review or approve, the
budget); the pages show what it answered and its refusals next to the fields. The cap per case
and the second-approval threshold shown while typing are DOMAIN.md's defaults (the API has no
endpoint for them): a hint, never a check — the API's refusal is what stops a request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console.entrypoints import i18n
from console.entrypoints.pages.home import Queue
from console.entrypoints.web import FormErrors, Page, SignedIn, form_errors, rule_sentence
from console.entrypoints.words import N_, add_words
from console.service_layer.apis import Forbidden, Refused

router = APIRouter()

FUND = "reserve_fund"
LIST_LIMIT = 25
HOME_LIMIT = 100
# DOMAIN.md §3: USD 1,000 per case across every item; above USD 500, two different approvers.
CAP_PER_CASE = Decimal("1000.00")
SECOND_APPROVAL_ABOVE = Decimal("500.00")
STATUSES = (
    "draft",
    "submitted",
    "under_review",
    "info_requested",
    "approved",
    "rejected",
    "disbursed",
    "returned",
    "closed",
    "cancelled",
)
# IOM's queue: the API's statuses, plus one view the console narrows from `under_review`.
SECOND_APPROVAL = "second_approval"
CATEGORIES = ("unaccompanied_child", "disability", "over_70", "injury_or_illness")
KINDS = ("transport", "escort", "lodging", "meals", "medical", "documents")
GIVEN_BY = ("beneficiary", "guardian", "authority")
COUNTRIES = ("MX", "GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO", "US", "CA")
# Where the beneficiary is, by country: the clock the page's dates are shown on.
ZONES = {
    "MX": "America/Mexico_City",
    "GT": "America/Guatemala",
    "SV": "America/El_Salvador",
    "HN": "America/Tegucigalpa",
    "NI": "America/Managua",
    "CR": "America/Costa_Rica",
    "PA": "America/Panama",
    "BZ": "America/Belize",
    "DO": "America/Santo_Domingo",
    "US": "America/New_York",
    "CA": "America/Toronto",
}
APPLICANT_ROLES = ("consular_officer", "immigration_officer")
AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")

add_words(
    "fund_status",
    {
        "draft": N_("Draft (not sent to IOM)"),
        "submitted": N_("Submitted to IOM"),
        "under_review": N_("Under review"),
        "info_requested": N_("Information requested"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
        "disbursed": N_("Money paid out"),
        "returned": N_("Return completed"),
        "closed": N_("Application closed"),
        "cancelled": N_("Application cancelled"),
        SECOND_APPROVAL: N_("Awaiting a second approval"),
    },
)
add_words(
    "fund_category",
    {
        "unaccompanied_child": N_("Unaccompanied child"),
        "disability": N_("Person with a disability"),
        "over_70": N_("Person over 70"),
        "injury_or_illness": N_("Injured or ill"),
    },
)
add_words(
    "cost_kind",
    {
        "transport": N_("Transport"),
        "escort": N_("Escort"),
        "lodging": N_("Lodging"),
        "meals": N_("Meals"),
        "medical": N_("Medical care"),
        "documents": N_("Travel documents"),
    },
)
add_words(
    "consent_by",
    {
        "beneficiary": N_("The person themselves"),
        "guardian": N_("Their guardian"),
        "authority": N_("The competent authority"),
    },
)
add_words(
    "recommendation",
    {"approve": N_("Recommends approval"), "reject": N_("Recommends rejection")},
)
add_words(
    "fund_done",
    {
        "created": N_("The application was saved as a draft. Check it and send it to IOM."),
        "submitted": N_("The application was sent to IOM."),
        "reviewed": N_("The review was recorded."),
        "info_requested": N_("The question was sent to the requesting authority."),
        "answered": N_("The answer was sent: the application is under review again."),
        "approved": N_("The approval was recorded."),
        "rejected": N_("The application was rejected."),
        "disbursed": N_("The disbursement was recorded."),
        "completed": N_("The return was recorded as completed."),
        "cancelled": N_("The application was cancelled."),
        "closed": N_("The application was closed."),
        "budget": N_("The year's allocation was saved."),
    },
)

# What the reserve_fund API refuses with, as the fund's forms say it.
RULES: dict[str, str] = {
    "cap.over_case_cap": N_(
        "The items add up to more than the cap of USD 1,000.00 per case: lower this amount or "
        "another one."
    ),
    "items.empty": N_("List at least one cost item with its amount."),
    "items.amount_zero": N_("An amount must be above zero."),
    "money.malformed": N_("Write the amount in US dollars, e.g. 420.00."),
    "money.too_many_decimals": N_("At most two decimals (cents)."),
    "money.negative": N_("The amount cannot be negative."),
    "money.too_large": N_("This amount is too large."),
    "money.float_not_allowed": N_("Write the amount in US dollars, e.g. 420.00."),
    "money.not_finite": N_("Write the amount in US dollars, e.g. 420.00."),
    "eligibility.nationality_not_member": N_(
        "The Fund assists nationals of the RCM's member countries only."
    ),
    "eligibility.current_country_not_member": N_(
        "The person must be in a member country of the RCM."
    ),
    "eligibility.not_in_another_member_state": N_(
        "The person must be in another member country than their own."
    ),
    "eligibility.not_intraregional": N_("The Fund assists migrants within the region only."),
    "eligibility.no_category": N_("Choose at least one category of vulnerability."),
    "eligibility.not_over_70": N_("By the date of birth, the person is not over 70."),
    "eligibility.not_a_child": N_("By the date of birth, the person is not a child."),
    "eligibility.protection_need": N_(
        "A person with a protection need (fear of return, asylum, refugee) is not returned by "
        "the Fund: refer them to the refugee commission."
    ),
    "consent.missing": N_("The return needs the person's voluntary consent, recorded."),
    "consent.child_through_guardian": N_(
        "A child's consent is given through their guardian or the competent authority."
    ),
    "consent.adult_decides": N_("An adult gives their consent themselves."),
    "consent.recorded_in_future": N_("The consent cannot be recorded in the future."),
    "consent.recorded_at_naive": N_("The time of the consent needs its time zone."),
    "beneficiary.name_missing": N_("The person's names are required."),
    "beneficiary.born_in_future": N_("The date of birth is in the future."),
    "beneficiary.invalid": N_("The person's details are not valid."),
    "child_case.no_return_determination": N_(
        "This is not a child's case with a best-interests determination of return."
    ),
    "text.required": N_("This field is required."),
    "disbursement.amount_zero": N_("The amount must be above zero."),
    "disbursement.exceeds_approved": N_("This is more than what is left of the approved total."),
    "budget.year_out_of_range": N_("This year is not accepted."),
    "budget.exhausted": N_(
        "This year's budget does not have that much available: the approval was not recorded."
    ),
    "budget.below_committed": N_(
        "The allocation cannot be less than what is already reserved or paid out."
    ),
    "lifecycle.invalid_transition": N_("This cannot be done in the application's present state."),
    "decision.review_required": N_("The fund officer's review comes first."),
    "review.approvals_started": N_(
        "Approvals have started: the review cannot be changed. Ask for information instead."
    ),
    "approval.same_approver_twice": N_(
        "You already approved this application: the second approval must come from a "
        "different approver."
    ),
    "approval.reviewer_cannot_approve": N_(
        "You reviewed this application: another approver must approve it."
    ),
    "rejection.reviewer_cannot_reject": N_(
        "You reviewed this application: another approver must decide on it."
    ),
    "applicant.not_departure_or_return_authority": N_(
        "Only an authority of the country the person is in, or of their own country, may apply."
    ),
    "applicant.not_requesting_country": N_(
        "Only the requesting country's authorities may do this."
    ),
    "rules.none_in_force": N_("No Fund rule is in force today: ask IOM."),
    "forbidden": N_("Your role may not do this."),
    # The console's own checks of a form, before anything is sent.
    "bad_amount": N_("Write the amount in US dollars, e.g. 420.00."),
    "bad_day": N_("Write the date as dd/mm/yyyy."),
    "bad_local_time": N_("Write the date and time as dd/mm/yyyy hh:mm."),
    "required": N_("This field is required."),
    "missing": N_("This field is required."),
    "choose_answer": N_("Answer yes or no."),
}


# -- what the pages are made of (pure) ---------------------------------------------------------


class Values(dict[str, str]):
    """A form's values as typed: a field never typed is empty."""

    def __missing__(self, key: str) -> str:
        return ""


def parse_amount(text: str) -> Decimal | None:
    """USD as an officer types it: `420`, `420.5`, `1,250.00`, `1250,50`, `USD 40` → a
    Decimal with two places; anything else (or more than two decimals) → None."""
    if not text.strip():
        return None
    cleaned = text.strip().upper().removeprefix("USD").removeprefix("US$").removeprefix("$")
    cleaned = cleaned.replace(" ", "").replace("\N{NO-BREAK SPACE}", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and len(cleaned.rsplit(",", 1)[1]) <= 2:
        cleaned = cleaned.replace(",", ".")
    elif "," in cleaned:
        cleaned = cleaned.replace(",", "")
    cleaned = cleaned.lstrip("0") or "0" if not cleaned.startswith("0.") else cleaned
    if cleaned.startswith("."):
        cleaned = "0" + cleaned
    if not AMOUNT.match(cleaned):
        return None
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def usd(value: str | Decimal | None) -> str:
    """`USD 1,250.00`: two places, thousands grouped (the same in both languages)."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"USD {amount:,.2f}"


@dataclass(frozen=True)
class ItemLine:
    kind: str
    typed: str
    amount: Decimal | None
    room: Decimal  # what the cap leaves for this item, given the other items' amounts


def item_lines(values: Mapping[str, str], cap: Decimal = CAP_PER_CASE) -> list[ItemLine]:
    """One line per cost kind, with what the cap per case leaves for it."""
    amounts = {k: parse_amount(values.get(f"amount_{k}", "")) for k in KINDS}
    total = sum((a for a in amounts.values() if a is not None), Decimal("0.00"))
    return [
        ItemLine(
            kind,
            values.get(f"amount_{kind}", ""),
            amounts[kind],
            max(cap - (total - (amounts[kind] or Decimal("0"))), Decimal("0.00")),
        )
        for kind in KINDS
    ]


def total_of(values: Mapping[str, str]) -> Decimal:
    return sum(
        (a for a in (parse_amount(values.get(f"amount_{k}", "")) for k in KINDS) if a is not None),
        Decimal("0.00"),
    )


def items_body(values: Mapping[str, str]) -> tuple[list[dict[str, str]], list[str]]:
    """The API's `items` (kinds with an amount, in the form's order) and the form field of
    each index, for its refusals."""
    items: list[dict[str, str]] = []
    names: list[str] = []
    for kind in KINDS:
        typed = values.get(f"amount_{kind}", "").strip()
        if not typed:
            continue
        amount = parse_amount(typed)
        items.append({"kind": kind, "amount": f"{amount}" if amount is not None else typed})
        names.append(f"amount_{kind}")
    return items, names


def crossing_item(values: Mapping[str, str], cap: Decimal = CAP_PER_CASE) -> str | None:
    """The form field of the item with which the running total goes above the cap (in the
    form's order): where a refusal of the cap is shown."""
    running = Decimal("0.00")
    last = None
    for kind in KINDS:
        amount = parse_amount(values.get(f"amount_{kind}", ""))
        if amount is None or amount.is_zero():
            continue
        running += amount
        last = f"amount_{kind}"
        if running > cap:
            return last
    return last


_INDEXED = re.compile(r"^items(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?$")


def item_field(path: str, names: Sequence[str], values: Mapping[str, str]) -> str | None:
    """The API's field path of a cost item (`items[2].amount`, `items.2.amount`, `items`) as
    the form's field."""
    if path == "items":
        return crossing_item(values) or "items"
    found = _INDEXED.match(path)
    if found:
        index = int(found.group(1) or found.group(2))
        return names[index] if 0 <= index < len(names) else "items"
    return None


APPLICATION_FIELDS = {
    "beneficiary.given_names": "given_names",
    "beneficiary.surnames": "surnames",
    "beneficiary.sex": "sex",
    "beneficiary.date_of_birth": "date_of_birth",
    "beneficiary.nationality": "nationality",
    "beneficiary.protection_need": "protection_need",
    "beneficiary": "given_names",
    "current_country": "current_country",
    "categories": "categories",
    "voluntary_consent": "consent_given",
    "voluntary_consent.given": "consent_given",
    "voluntary_consent.given_by": "consent_given_by",
    "voluntary_consent.recorded_at": "consent_recorded_at",
    "justification": "justification",
    "child_case_id": "child_case_id",
    "answer": "answer",
}


def application_field(names: Sequence[str], values: Mapping[str, str]) -> Any:
    def name(path: str) -> str | None:
        if path.startswith("items"):
            return item_field(path, names, values)
        if path.startswith("date_of_birth") or path.startswith("beneficiary.date_of_birth"):
            return "date_of_birth"
        return APPLICATION_FIELDS.get(path)

    return name


def approvals_left(application: Mapping[str, Any]) -> int:
    return max(
        int(application.get("approvals_needed") or 1) - len(application.get("approvals") or []), 0
    )


def awaiting_second(application: Mapping[str, Any]) -> bool:
    """Under review with one approval of the two it needs."""
    given = len(application.get("approvals") or [])
    return (
        application.get("status") == "under_review"
        and given > 0
        and approvals_left(application) > 0
    )


@dataclass(frozen=True)
class Act:
    """One line of the timeline."""

    at: str
    what: str  # an English msgid, with %(…)s values
    by: str | None = None
    note: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


def timeline(application: Mapping[str, Any]) -> list[Act]:
    """Who did what when, oldest first, from what the API answered."""
    a = application
    acts = [
        Act(
            str(a.get("created_at")),
            N_("Filed as a draft"),
            (a.get("requested_by") or {}).get("username"),
        )
    ]
    if a.get("submitted_at"):
        acts.append(Act(str(a["submitted_at"]), N_("Sent to IOM")))
    for asked in a.get("information_requests") or []:
        acts.append(
            Act(
                str(asked["asked_at"]),
                N_("IOM asked for information"),
                asked.get("asked_by"),
                asked.get("question"),
            )
        )
        if asked.get("answered_at"):
            acts.append(
                Act(
                    str(asked["answered_at"]),
                    N_("The requesting authority answered"),
                    asked.get("answered_by"),
                    asked.get("answer"),
                )
            )
    if a.get("reviewed_at"):
        acts.append(
            Act(
                str(a["reviewed_at"]),
                N_("Reviewed: %(recommendation)s"),
                a.get("reviewed_by"),
                a.get("review_note"),
                {"recommendation": str(a.get("recommendation") or "")},
            )
        )
    for number, approval in enumerate(a.get("approvals") or [], start=1):
        acts.append(
            Act(
                str(approval["at"]),
                N_("Approval %(n)s of %(needed)s"),
                approval.get("by"),
                approval.get("note"),
                {"n": str(number), "needed": str(a.get("approvals_needed"))},
            )
        )
    for paid in a.get("disbursements") or []:
        acts.append(
            Act(
                str(paid["at"]),
                N_("Paid out %(amount)s"),
                paid.get("by"),
                paid.get("purpose"),
                {"amount": usd(paid.get("amount"))},
            )
        )
    final = {
        "rejected": (N_("Rejected"), a.get("rejection_reason")),
        "cancelled": (N_("Application cancelled"), a.get("cancellation_reason")),
        "returned": (N_("Return completed"), None),
        "closed": (N_("Application closed"), None),
    }.get(str(a.get("status")))
    if final:
        acts.append(Act(str(a.get("updated_at")), final[0], None, final[1]))
    return sorted(
        acts, key=lambda act: i18n.parse_instant(act.at) or datetime.min.replace(tzinfo=UTC)
    )


def gates(application: Mapping[str, Any], officer: Any) -> dict[str, str | None]:
    """Per act, None when the page offers its form, else why not (an English msgid). The API
    decides in the end: this only spares an officer a form that cannot succeed."""
    status = str(application.get("status"))
    user = officer.username
    approvers = [str(x.get("by")) for x in application.get("approvals") or []]
    fund_officer = officer.has("fund_officer")
    approver = officer.has("fund_approver")
    applicant = any(officer.has(r) for r in APPLICANT_ROLES)
    g: dict[str, str | None] = {}
    g["submit"] = None if applicant and status == "draft" else N_("Only a draft is sent to IOM.")
    if not fund_officer:
        g["review"] = g["request_info"] = N_("For IOM's fund officer.")
    elif status not in ("submitted", "under_review"):
        g["review"] = g["request_info"] = N_("Only a submitted application under review.")
    elif approvers:
        g["review"] = N_("Approvals have started: the review cannot be changed.")
        g["request_info"] = None
    else:
        g["review"] = g["request_info"] = None
    if not approver:
        g["approve"] = g["reject"] = N_("For IOM's fund approvers.")
    elif status != "under_review" or not application.get("recommendation"):
        g["approve"] = g["reject"] = N_("The fund officer's review comes first.")
    elif application.get("reviewed_by") == user:
        g["approve"] = g["reject"] = N_("You reviewed it: another approver decides.")
    elif user in approvers:
        g["approve"] = N_(
            "You already approved it: a different approver gives the second approval."
        )
        g["reject"] = None
    else:
        g["approve"] = g["reject"] = None
    g["answer"] = (
        None
        if applicant and status == "info_requested"
        else N_("Only when IOM has asked for information.")
    )
    g["disburse"] = (
        None
        if fund_officer and status in ("approved", "disbursed")
        else N_("Only an approved application, by the fund officer.")
    )
    g["complete"] = (
        None
        if fund_officer and status == "disbursed"
        else N_("Once money has been paid out, by the fund officer.")
    )
    g["close"] = (
        None if fund_officer and status == "returned" else N_("Once the return is completed.")
    )
    g["cancel"] = (
        None
        if (fund_officer or applicant)
        and status in ("draft", "submitted", "under_review", "info_requested", "approved")
        else N_("Only before any money is paid out.")
    )
    return g


ACT_NAMES = {
    "submit": N_("Send to IOM"),
    "review": N_("Review"),
    "request_info": N_("Ask for information"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "answer": N_("Answer IOM's question"),
    "disburse": N_("Record a disbursement"),
    "complete": N_("Record the return as completed"),
    "close": N_("Close the application"),
    "cancel": N_("Cancel the application"),
}


def acts_of(officer: Any, status: str | None = None) -> list[str]:
    """The acts of this officer's roles, in the order a page lists them (an applicant's
    sending and answering only when they are theirs to do: not a line of "not now" each)."""
    found: list[str] = []
    if any(officer.has(r) for r in APPLICANT_ROLES):
        found += [a for a, s in (("submit", "draft"), ("answer", "info_requested")) if s == status]
        found.append("cancel")
    if officer.has("fund_officer"):
        found += ["review", "request_info", "disburse", "complete", "close", "cancel"]
    if officer.has("fund_approver"):
        found += ["approve", "reject"]
    return list(dict.fromkeys(found))


DECIDED = ("approved", "rejected", "disbursed", "returned", "closed", "cancelled")
BEFORE_DECISION = ("submit", "answer", "review", "request_info", "approve", "reject")


def not_now(application: Mapping[str, Any], officer: Any) -> list[tuple[str, str]]:
    """The officer's acts not possible now, with why — leaving out those of a stage the
    application is past (after the decision, nobody needs "review: not now")."""
    status = str(application.get("status"))
    gate = gates(application, officer)
    found = []
    for act in acts_of(officer, status):
        why = gate[act]
        if why is None or (status in DECIDED and act in BEFORE_DECISION):
            continue
        found.append((ACT_NAMES[act], why))
    return found


def zone_of(country: str | None) -> str:
    return ZONES.get(country or "", "UTC")


# -- filing ------------------------------------------------------------------------------------

FIELDS = (
    "given_names",
    "surnames",
    "sex",
    "date_of_birth",
    "nationality",
    "protection_need",
    "current_country",
    "consent_given",
    "consent_given_by",
    "consent_recorded_at",
    "justification",
    "child_case_id",
    *(f"amount_{k}" for k in KINDS),
)


def _str(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _items_context(values: Mapping[str, str]) -> dict[str, Any]:
    total = total_of(values)
    return {
        "usd": usd,
        "lines": item_lines(values),
        "total": usd(total),
        "cap": usd(CAP_PER_CASE),
        "cap_value": f"{CAP_PER_CASE}",
        "threshold": usd(SECOND_APPROVAL_ABOVE),
        "threshold_value": f"{SECOND_APPROVAL_ABOVE}",
        "over_cap": total > CAP_PER_CASE,
        "two_needed": total > SECOND_APPROVAL_ABOVE,
    }


def _new_form(
    page: Page,
    values: Mapping[str, str],
    categories: Sequence[str],
    errors: FormErrors | None = None,
    *,
    key: str | None = None,
    status_code: int = 200,
) -> Response:
    now = datetime.now(UTC).astimezone(i18n.zone(zone_of(values.get("current_country"))))
    return page.render(
        "fund/new.html",
        status_code=status_code,
        values=Values(values),
        chosen=list(categories),
        errors=errors or FormErrors(),
        key=key,
        categories=CATEGORIES,
        countries=COUNTRIES,
        given_by=GIVEN_BY,
        now_local=now.strftime("%Y-%m-%dT%H:%M"),
        **_items_context(values),
    )


@router.get("/fund/applications/new", include_in_schema=False)
async def new_application(request: Request, page: SignedIn) -> Response:
    country = page.officer.country or ""
    values = {"nationality": country if page.officer.has("consular_officer") else ""}
    if page.officer.has("immigration_officer"):
        values["current_country"] = country
    return _new_form(page, values, [])


@router.post("/fund/applications", include_in_schema=False)
async def create_application(request: Request, page: SignedIn) -> Response:
    form = await request.form()
    values = {k: _str(form, k) for k in FIELDS}
    categories = [c for c in form.getlist("categories") if isinstance(c, str) and c in CATEGORIES]
    key = _str(form, "idempotency_key") or None
    errors = FormErrors()
    born = i18n.typed_day(values["date_of_birth"]) if values["date_of_birth"] else None
    if values["date_of_birth"] and born is None:
        errors.add("date_of_birth", rule_sentence(page.locale, "bad_day", RULES))
    zone = zone_of(values["current_country"])
    recorded = (
        i18n.typed_instant(values["consent_recorded_at"], zone)
        if values["consent_recorded_at"]
        else None
    )
    if values["consent_recorded_at"] and recorded is None:
        errors.add("consent_recorded_at", rule_sentence(page.locale, "bad_local_time", RULES))
    for kind in KINDS:
        typed = values[f"amount_{kind}"]
        if typed and parse_amount(typed) is None:
            errors.add(f"amount_{kind}", rule_sentence(page.locale, "bad_amount", RULES))
    if values["protection_need"] not in ("yes", "no"):
        errors.add("protection_need", rule_sentence(page.locale, "choose_answer", RULES))
    if errors:
        return _new_form(page, values, categories, errors, key=key, status_code=422)
    items, names = items_body(values)
    body: dict[str, Any] = {
        "beneficiary": {
            "given_names": values["given_names"],
            "surnames": values["surnames"],
            "sex": values["sex"],
            "date_of_birth": born.isoformat() if born else values["date_of_birth"],
            "nationality": values["nationality"],
            "protection_need": values["protection_need"] == "yes",
        },
        "current_country": values["current_country"],
        "categories": categories,
        "voluntary_consent": {
            "given": values["consent_given"] == "yes",
            "given_by": values["consent_given_by"],
            "recorded_at": (recorded or datetime.now(UTC)).isoformat(),
        },
        "items": items,
        "justification": values["justification"],
    }
    if values["child_case_id"]:
        body["child_case_id"] = values["child_case_id"]
    try:
        created = await page.apis.post(FUND, "/v1/applications", body, key=key)
    except Refused as refused:
        errors = form_errors(
            page.locale, refused, fields=application_field(names, values), rules=RULES
        )
        # The refused key is spent (the API replays its refusal for it): a new one.
        return _new_form(page, values, categories, errors, status_code=refused.status)
    except Forbidden as forbidden:
        errors = FormErrors()
        errors.add(None, rule_sentence(page.locale, _forbidden_rule(forbidden), RULES))
        return _new_form(page, values, categories, errors, status_code=403)
    return RedirectResponse(f"/fund/applications/{created['id']}?done=created", status_code=303)


def _forbidden_rule(forbidden: Forbidden) -> str:
    rule = forbidden.problem.get("rule")
    return rule if isinstance(rule, str) and rule in RULES else "forbidden"


# -- the queue ---------------------------------------------------------------------------------


@router.get("/fund/applications", include_in_schema=False)
async def application_list(request: Request, page: SignedIn) -> Response:
    q = request.query_params
    status = q.get("status", "")
    if status not in (*STATUSES, SECOND_APPROVAL):
        status = ""
    api_status = "under_review" if status == SECOND_APPROVAL else status
    errors = FormErrors()
    answer: Mapping[str, Any] = {"items": [], "next_cursor": None}
    try:
        answer = await page.apis.get(
            FUND,
            "/v1/applications",
            limit=LIST_LIMIT,
            status=api_status or None,
            cursor=q.get("cursor") or None,
        )
    except Refused as refused:
        errors = form_errors(page.locale, refused, rules=RULES)
    items = list(answer.get("items", []))
    if status == SECOND_APPROVAL:
        items = [a for a in items if awaiting_second(a)]
    shown = {"status": status} if status else {}
    next_url = None
    if answer.get("next_cursor"):
        next_url = "/fund/applications?" + urlencode({**shown, "cursor": answer["next_cursor"]})
    return page.render(
        "fund/list.html",
        status_code=422 if errors else 200,
        applications=items,
        status=status,
        statuses=(*STATUSES[:3], SECOND_APPROVAL, *STATUSES[3:]),
        errors=errors,
        next_url=next_url,
        paged=bool(q.get("cursor")),
        first_url="/fund/applications?" + urlencode(shown) if shown else "/fund/applications",
        awaiting_second=awaiting_second,
        zone_of=zone_of,
        usd=usd,
        applicant=any(page.officer.has(r) for r in APPLICANT_ROLES),
    )


# -- the application page ----------------------------------------------------------------------


@dataclass
class Failed:
    """A form of the application page refused: shown again with its values and the refusal."""

    form: str
    values: Mapping[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)

    def __post_init__(self) -> None:
        self.values = Values(self.values)

    def on(self, form: str) -> bool:
        return self.form == form


DONE = (
    "created",
    "submitted",
    "reviewed",
    "info_requested",
    "answered",
    "approved",
    "rejected",
    "disbursed",
    "completed",
    "cancelled",
    "closed",
)


async def _application_page(
    page: Page,
    application_id: uuid.UUID,
    *,
    failed: Failed | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    a = await page.apis.get(FUND, f"/v1/applications/{application_id}")
    failed = failed or Failed("")
    answer_values: Mapping[str, str] = (
        failed.values
        if failed.on("answer")
        else {f"amount_{i['kind']}": str(i["amount"]) for i in a.get("items") or []}
    )
    open_question = next(
        (r for r in reversed(a.get("information_requests") or []) if not r.get("answered_at")),
        None,
    )
    approved = Decimal(str(a.get("approved_total") or "0"))
    paid = Decimal(str(a.get("disbursed_total") or "0"))
    return page.render(
        "fund/application.html",
        status_code=status_code,
        a=a,
        zone=zone_of(a.get("current_country")),
        acts=timeline(a),
        gate=gates(a, page.officer),
        mine=acts_of(page.officer, a.get("status")),
        waiting=not_now(a, page.officer),
        no_errors=FormErrors(),
        failed=failed,
        done=done if done in DONE else None,
        left=approvals_left(a),
        approvers=[x.get("by") for x in a.get("approvals") or []],
        open_question=open_question,
        answer_values=Values(answer_values),
        to_pay=usd(max(approved - paid, Decimal("0"))),
        **_items_context(answer_values),
    )


@router.get("/fund/applications/{application_id}", include_in_schema=False)
async def application_page(application_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    return await _application_page(page, application_id, done=request.query_params.get("done"))


async def _act(
    page: Page,
    application_id: uuid.UUID,
    name: str,
    path: str,
    body: Any,
    values: Mapping[str, str],
    key: str | None,
    done: str,
    fields: Any = None,
) -> Response:
    try:
        await page.apis.post(FUND, f"/v1/applications/{application_id}/{path}", body, key=key)
    except Refused as refused:
        errors = form_errors(page.locale, refused, fields=fields or (lambda p: None), rules=RULES)
        return await _application_page(
            page, application_id, failed=Failed(name, values, errors), status_code=refused.status
        )
    except Forbidden as forbidden:
        errors = FormErrors()
        errors.add(None, rule_sentence(page.locale, _forbidden_rule(forbidden), RULES))
        return await _application_page(
            page, application_id, failed=Failed(name, values, errors), status_code=403
        )
    return RedirectResponse(f"/fund/applications/{application_id}?done={done}", status_code=303)


def _required(page: Page, values: Mapping[str, str], *names: str) -> FormErrors:
    errors = FormErrors()
    for name in names:
        if not values.get(name):
            errors.add(name, rule_sentence(page.locale, "required", RULES))
    return errors


@router.post("/fund/applications/{application_id}/{act}", include_in_schema=False)
async def application_act(
    application_id: uuid.UUID, act: str, request: Request, page: SignedIn
) -> Response:
    form = await request.form()
    key = _str(form, "idempotency_key") or None
    text_fields = ("note", "recommendation", "question", "reason", "purpose", "amount", "answer")
    values = {
        k: _str(form, k) for k in (*text_fields, "replace_items", *(f"amount_{k}" for k in KINDS))
    }

    async def checked(
        name: str, needed: tuple[str, ...], path: str, body: Any, done: str, fields: Any = None
    ) -> Response:
        errors = _required(page, values, *needed)
        if errors:
            return await _application_page(
                page, application_id, failed=Failed(name, values, errors), status_code=422
            )
        return await _act(page, application_id, name, path, body, values, key, done, fields)

    def same(path: str) -> str | None:
        return path if path in text_fields else None

    if act == "submit":
        return await checked("submit", (), "submit", None, "submitted")
    if act == "review":
        body = {"recommendation": values["recommendation"], "note": values["note"]}
        return await checked("review", ("recommendation", "note"), "review", body, "reviewed", same)
    if act == "request-info":
        body = {"question": values["question"]}
        return await checked(
            "request_info", ("question",), "request-info", body, "info_requested", same
        )
    if act == "approve":
        return await checked(
            "approve", (), "approve", {"note": values["note"] or None}, "approved", same
        )
    if act == "reject":
        return await checked(
            "reject", ("reason",), "reject", {"reason": values["reason"]}, "rejected", same
        )
    if act == "cancel":
        return await checked(
            "cancel", ("reason",), "cancel", {"reason": values["reason"]}, "cancelled", same
        )
    if act == "complete":
        return await checked("complete", (), "complete", None, "completed")
    if act == "close":
        return await checked("close", (), "close", None, "closed")
    if act == "disbursements":
        amount = parse_amount(values["amount"]) if values["amount"] else None
        if values["amount"] and amount is None:
            errors = FormErrors({"amount": [rule_sentence(page.locale, "bad_amount", RULES)]})
            return await _application_page(
                page, application_id, failed=Failed("disburse", values, errors), status_code=422
            )
        body = {"amount": f"{amount}" if amount else "", "purpose": values["purpose"]}
        return await checked(
            "disburse", ("amount", "purpose"), "disbursements", body, "disbursed", same
        )
    if act == "provide-information":
        for kind in KINDS:
            typed = values[f"amount_{kind}"]
            if typed and parse_amount(typed) is None:
                errors = FormErrors(
                    {f"amount_{kind}": [rule_sentence(page.locale, "bad_amount", RULES)]}
                )
                return await _application_page(
                    page, application_id, failed=Failed("answer", values, errors), status_code=422
                )
        items, names = items_body(values)
        answer_body: dict[str, Any] = {"answer": values["answer"]}
        if _str(form, "replace_items") == "yes":
            answer_body["items"] = items
        return await checked(
            "answer",
            ("answer",),
            "provide-information",
            answer_body,
            "answered",
            application_field(names, values),
        )
    return Response(status_code=404)


# -- the budget --------------------------------------------------------------------------------


@router.get("/fund/budget", include_in_schema=False)
async def budget_now(page: SignedIn) -> Response:
    return RedirectResponse(f"/fund/budget/{datetime.now(UTC).year}", status_code=303)


async def _budget_page(
    page: Page,
    year: int,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    budget = await page.apis.get(FUND, f"/v1/budgets/{year}")
    return page.render(
        "fund/budget.html",
        status_code=status_code,
        b=budget,
        year=year,
        usd=usd,
        values=Values(values or {"allocated": str(budget.get("allocated", ""))}),
        errors=errors or FormErrors(),
        done=done if done == "budget" else None,
        sets=page.officer.has("fund_approver"),
    )


@router.get("/fund/budget/{year}", include_in_schema=False)
async def budget_page(year: int, request: Request, page: SignedIn) -> Response:
    return await _budget_page(page, year, done=request.query_params.get("done"))


@router.post("/fund/budget/{year}", include_in_schema=False)
async def set_budget(year: int, request: Request, page: SignedIn) -> Response:
    form = await request.form()
    values = {"allocated": _str(form, "allocated")}
    key = _str(form, "idempotency_key") or None
    amount = parse_amount(values["allocated"])
    if amount is None:
        rule = "bad_amount" if values["allocated"] else "required"
        errors = FormErrors({"allocated": [rule_sentence(page.locale, rule, RULES)]})
        return await _budget_page(page, year, values=values, errors=errors, status_code=422)
    try:
        await page.apis.post(
            FUND, f"/v1/budgets/{year}", {"allocated": f"{amount}"}, key=key, method="PUT"
        )
    except Refused as refused:
        errors = form_errors(
            page.locale,
            refused,
            fields=lambda p: "allocated" if p in ("allocated", "") else None,
            rules=RULES,
        )
        if not errors.by_field and errors.general:
            errors = FormErrors({"allocated": errors.general})
        return await _budget_page(
            page, year, values=values, errors=errors, status_code=refused.status
        )
    except Forbidden as forbidden:
        errors = FormErrors(
            {"allocated": [rule_sentence(page.locale, _forbidden_rule(forbidden), RULES)]}
        )
        return await _budget_page(page, year, values=values, errors=errors, status_code=403)
    return RedirectResponse(f"/fund/budget/{year}?done=budget", status_code=303)


# -- the home page's queues (wired by pages/home.py) -------------------------------------------


async def _count(page: Page, **params: str) -> tuple[list[dict[str, Any]], bool]:
    answer = await page.apis.get(FUND, "/v1/applications", limit=HOME_LIMIT, **params)
    return list(answer.get("items", [])), bool(answer.get("next_cursor"))


async def fund_queues(page: Page) -> list[Queue]:
    """What waits for this officer in the Fund: IOM's officer (to review), IOM's approvers
    (to approve, a second approval), an applicant (questions from IOM)."""
    officer = page.officer
    queues: list[Queue] = []
    if officer.has("fund_officer"):
        submitted, more = await _count(page, status="submitted")
        queues.append(
            Queue(
                N_("Fund applications to review"),
                len(submitted),
                more,
                "/fund/applications?status=submitted",
                urgent=True,
            )
        )
        approved, more = await _count(page, status="approved")
        queues.append(
            Queue(
                N_("Approved, to pay out"),
                len(approved),
                more,
                "/fund/applications?status=approved",
            )
        )
    if officer.has("fund_approver"):
        review, more = await _count(page, status="under_review")
        waiting = [
            a
            for a in review
            if a.get("recommendation")
            and officer.username not in [x.get("by") for x in a.get("approvals") or []]
        ]
        second = [a for a in review if awaiting_second(a)]
        queues.append(
            Queue(
                N_("Fund applications awaiting a decision"),
                len(waiting),
                more,
                "/fund/applications?status=under_review",
                urgent=True,
            )
        )
        queues.append(
            Queue(
                N_("Awaiting a second approval"),
                len(second),
                more,
                f"/fund/applications?status={SECOND_APPROVAL}",
            )
        )
    if any(officer.has(r) for r in APPLICANT_ROLES):
        asked, more = await _count(page, status="info_requested")
        queues.append(
            Queue(
                N_("Fund applications with a question from IOM"),
                len(asked),
                more,
                "/fund/applications?status=info_requested",
                urgent=True,
            )
        )
        drafts, more = await _count(page, status="draft")
        queues.append(
            Queue(
                N_("Fund applications not sent yet"),
                len(drafts),
                more,
                "/fund/applications?status=draft",
            )
        )
    return queues
