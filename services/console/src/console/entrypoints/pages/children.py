"""The children's case pages (issue 15): the caseworker's list, the supervisor's queue, a case
(the child, stage, deadlines, its timeline and a form for each act, with the gates in words)
and its sensitive sections, read only after the officer states a purpose.

What a caseworker may see and do is decided by the child_protection API alone: a case it does
not show is the "not found" page, an act it refuses is shown next to the form's fields. The
purpose of a sensitive read travels in this page's own query (a GET form), so the second-factor
sign-in the API may ask for comes back to the same read without asking again; it is sent to
the API only as its `Puebla-Purpose` header.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from console.entrypoints import i18n
from console.entrypoints.web import FormErrors, Page, SignedIn, form_errors
from console.entrypoints.words import N_, add_rules, add_words
from console.service_layer.apis import NotFound, Refused

router = APIRouter()

SERVICE = "child_protection"
PAGE_SIZE = 50
LIMIT = 100  # the home page's counts

STAGES = (
    "identified",
    "in_protective_custody",
    "notified",
    "interviewed",
    "screened",
    "family_tracing",
    "assessed",
    "determined",
    "return_planned",
    "handed_over",
    "follow_up",
    "local_protection",
    "asylum_referral",
    "closed",
)
BEFORE_BID = STAGES[: STAGES.index("assessed") + 1]

# The case's place's clock: a case is in its host country, the child's own country receives it.
ZONES = {
    "MX": "America/Mexico_City",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "SV": "America/El_Salvador",
    "BZ": "America/Belize",
    "CR": "America/Costa_Rica",
    "NI": "America/Managua",
    "PA": "America/Panama",
    "DO": "America/Santo_Domingo",
}

add_words(
    "case_stage",
    {
        "identified": N_("Identified"),
        "in_protective_custody": N_("In protective custody"),
        "notified": N_("Authorities notified"),
        "interviewed": N_("Interviewed"),
        "screened": N_("Screened"),
        "family_tracing": N_("Family tracing"),
        "assessed": N_("Best-interest assessment done"),
        "determined": N_("Best-interest determination made"),
        "return_planned": N_("Return planned"),
        "handed_over": N_("Received in the country of origin"),
        "follow_up": N_("Follow-up in the country of origin"),
        "local_protection": N_("Protected in the host country"),
        "asylum_referral": N_("Referred to asylum"),
        "closed": N_("Closed"),
    },
)
add_words(
    "deadline_stage",
    {
        "notified": N_("Notify the authorities"),
        "interviewed": N_("First interview"),
        "assessed": N_("Complete best-interest assessment"),
        "determined": N_("Best-interest determination"),
    },
)
add_words(
    "measure_kind",
    {
        "placement": N_("Placement with a family"),
        "shelter": N_("Shelter"),
        "urgent_care": N_("Urgent care"),
    },
)
add_words(
    "bid_decision",
    {
        "return": N_("Return to the family in the country of origin"),
        "stay": N_("Stay in the host country"),
        "asylum": N_("Refer to asylum"),
        "third_country": N_("Third country"),
    },
)
add_words(
    "accompaniment",
    {"unaccompanied": N_("Unaccompanied"), "separated": N_("Separated from the family")},
)
add_words(
    "child_sex",
    {"F": N_("Girl"), "M": N_("Boy"), "X": N_("Other")},
)
add_words(
    "views_absent",
    {"too_young": N_("Too young to give views"), "maturity": N_("Not mature enough yet")},
)
add_words(
    "case_awaiting",
    {"protection": N_("A protection decision"), "bid": N_("A best-interest determination")},
)
add_words(
    "case_action",
    {
        "child_case.opened": N_("Case opened"),
        "child_case.protection_decision_required": N_("A protection decision is needed"),
        "child_case.consular_block_set": N_("Consulate kept out (protection)"),
        "child_case.protection_decision_recorded": N_("Protection decision"),
        "child_case.consular_block_cleared": N_("Consulate may be contacted"),
        "child_case.protection_measure_recorded": N_("Protection measure"),
        "child_case.authority_notified": N_("Authority notified"),
        "child_case.interview_recorded": N_("Interview"),
        "child_case.screening_recorded": N_("Screening"),
        "child_case.family_tracing_recorded": N_("Family tracing"),
        "child_case.bia_written": N_("Best-interest assessment (BIA)"),
        "child_case.origin_assessment_written": N_("Assessment by the country of origin"),
        "child_case.risk_assessment_recorded": N_("Risk assessment"),
        "child_case.determined": N_("Best-interest determination (BID)"),
        "child_case.bid_reopened": N_("BID reopened by a review"),
        "child_case.return_planned": N_("Return plan"),
        "child_case.returned": N_("Reception in the country of origin"),
        "child_case.follow_up_recorded": N_("Follow-up visit"),
        "child_case.closed": N_("Case closed"),
        "child_case.stage_overdue": N_("A deadline passed"),
        "child_case.sensitive_read": N_("Sensitive sections read"),
        "child_case.sensitive_read_refused": N_("Sensitive read refused"),
        "child_case.audit_read": N_("Audit trail read"),
        "child_case.sensitive_resealed": N_("Sections re-encrypted (system)"),
    },
)
add_rules(
    {
        "case_not_visible": N_("This case is not among those you can see."),
        "case_closed": N_("The case is closed: nothing more can be recorded."),
        "section_required": N_("Fill in this section."),
        "child_views_required": N_(
            "Write the child's views, or say why the child could not give them."
        ),
        "child_views_absent_reason_only_when_views_empty": N_(
            "Give a reason only when the child's views are left empty."
        ),
        "caregiver_required": N_("Name the caregiver who agrees and is able."),
        "panel_required": N_("Name at least one member of the panel."),
        "tracing_record_empty": N_("Write at least one action or one family contact."),
        "assessment_locked_by_bid": N_(
            "A BID was decided on this assessment: it can no longer change."
        ),
        "assessment_cannot_be_reopened": N_("This assessment is complete and stays complete."),
        "bid_requires_complete_assessments": N_(
            "The BID needs a complete BIA and the origin country's complete assessment."
        ),
        "bid_already_decided": N_("A BID stands: a BID review must reopen it first."),
        "no_bid_to_review": N_("There is no BID to review."),
        "bid_review_after_hand_over": N_("The child was already handed over: no review now."),
        "return_requires_return_bid": N_("A return needs a BID that decided return."),
        "return_requires_agreeing_caregiver": N_(
            "A return needs a caregiver or agency in the country of origin who agrees and is able."
        ),
        "return_requires_escort": N_("Assign an escort from child-protection staff."),
        "return_requires_origin_child_protection_authority": N_(
            "The reception point must have the origin country's child-protection authority."
        ),
        "risk_assessment_required": N_("A trafficking indicator needs a risk assessment first."),
        "return_requires_cleared_consular_block": N_(
            "The supervisor must clear the consular block before a return."
        ),
        "return_already_completed": N_("The child was already received."),
        "reception_requires_return_plan": N_("A reception needs a return plan first."),
        "reception_already_confirmed": N_("The reception was already confirmed."),
        "follow_up_requires_reception": N_("A follow-up needs the reception first."),
        "case_not_ready_to_close": N_("The case cannot be closed yet."),
        "not_blocked_for_consulate": N_("The consulate is not kept out of this case."),
        "protection_need_block_is_permanent": N_(
            "A protection need keeps the consulate out for good."
        ),
        "only_host_child_protection_officer": N_(
            "Only a caseworker of the host country may do this."
        ),
        "only_nationality_child_protection_officer": N_(
            "Only a caseworker of the child's country may do this."
        ),
        "only_host_child_protection_supervisor": N_(
            "Only a supervisor of the host country may do this."
        ),
        "only_closing_authority_closes": N_("Only the authority that holds the case closes it."),
        "not_a_date_time": N_("Type the date as dd/mm/aaaa and the time as hh:mm."),
        "purpose_required": N_("Write why you need to read these sections."),
    }
)


# --- pure helpers (unit-tested) ---------------------------------------------------------------


def zone_of(country: str | None) -> str | None:
    return ZONES.get(country or "")


def unmet(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The deadlines whose act is still missing, the earliest first."""
    open_ = [d for d in case.get("deadlines") or [] if not d.get("met_at")]
    return sorted(open_, key=lambda d: _utc(d.get("due_at")))


def next_deadline(case: Mapping[str, Any]) -> Mapping[str, Any] | None:
    found = unmet(case)
    return found[0] if found else None


def is_overdue(case: Mapping[str, Any]) -> bool:
    return any(d.get("overdue") for d in case.get("deadlines") or [])


def case_order(cases: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Overdue first; then by the next deadline, the earliest first (cases with none last)."""

    def key(case: Mapping[str, Any]) -> tuple[int, int, datetime, str]:
        due = next_deadline(case)
        return (
            0 if is_overdue(case) else 1,
            0 if due else 1,
            _utc(due.get("due_at")) if due else datetime.max.replace(tzinfo=UTC),
            str(case.get("reference", "")),
        )

    return sorted(cases, key=key)


def awaiting(case: Mapping[str, Any]) -> str | None:
    """What the supervisor must decide: `protection` (the consulate is kept out until a
    protection decision, before the BID) or `bid` (the BIA is done, no BID yet); else None."""
    stage = case.get("stage")
    if case.get("bid") or stage not in BEFORE_BID:
        return None
    if case.get("blocked_for_consulate"):
        return "protection"
    if stage == "assessed":
        return "bid"
    return None


def shown_filter(
    cases: Iterable[Mapping[str, Any]], *, nationality: str = "", waiting: str = ""
) -> list[Mapping[str, Any]]:
    """The filters the API does not apply, on the cases it returned."""
    return [
        c
        for c in cases
        if (not nationality or c.get("nationality") == nationality)
        and (not waiting or awaiting(c) == waiting)
    ]


def side_of(officer_country: str | None, case: Mapping[str, Any]) -> str | None:
    """`host` (the country where the child is) or `origin` (the child's own), for the officer."""
    if officer_country and officer_country == case.get("host_country"):
        return "host"
    if officer_country and officer_country == case.get("nationality"):
        return "origin"
    return None


@dataclass(frozen=True)
class Known:
    """What the case page knows of the acts: from the summary, and (for the supervisor) from
    the case's audit trail. None: not known to this page."""

    bia_complete: bool
    origin_complete: bool | None = None
    return_planned: bool = False
    received: bool = False


def known_of(case: Mapping[str, Any], actions: Iterable[Mapping[str, Any]] | None) -> Known:
    stage = case.get("stage")
    met = {d.get("stage") for d in case.get("deadlines") or [] if d.get("met_at")}
    later = stage in STAGES[STAGES.index("determined") :] if stage in STAGES else False
    origin: bool | None = None
    if actions is not None:
        origin = any(
            a.get("action") == "child_case.origin_assessment_written"
            and (a.get("detail") or {}).get("complete")
            for a in actions
        )
    return Known(
        bia_complete="assessed" in met or stage == "assessed" or later,
        origin_complete=origin,
        return_planned=stage in ("return_planned", "handed_over", "follow_up"),
        received=stage in ("handed_over", "follow_up"),
    )


# The gates, in words, of the acts that wait for others (POLICY.md, DOMAIN.md §2).
GATE_BIA = N_("The BID needs the complete best-interest assessment (BIA).")
GATE_ORIGIN = N_("The BID needs the origin country's assessment.")
GATE_ORIGIN_UNKNOWN = N_(
    "The BID also needs the origin country's complete assessment (see the sensitive sections)."
)
GATE_BID_STANDS = N_("A BID stands: only a BID review can reopen it.")
GATE_RETURN_BID = N_("The return plan needs a BID that decided return.")
GATE_RETURN_BLOCK = N_("The return plan needs the supervisor to clear the consular block.")
GATE_RETURN_CAREGIVER = N_(
    "The return plan also needs a caregiver in the country of origin who agrees and is able,"
    " and an escort."
)
GATE_RECEPTION = N_("The reception needs a return plan first.")
GATE_FOLLOW_UP = N_("A follow-up needs the reception of the child first.")
GATE_LOCKED = N_("A BID was decided: this assessment can no longer change.")
GATE_RECEIVED = N_("The child was already received.")
GATE_CLOSED = N_("The case is closed: nothing more can be recorded.")
GATE_NO_PROTECTION = N_("No protection decision is pending on this case.")


# Gates that will not open any more (the act is done or locked), as against "not yet".
LOCKS = frozenset({GATE_BID_STANDS, GATE_LOCKED, GATE_RECEIVED, GATE_CLOSED, GATE_NO_PROTECTION})


def gates(case: Mapping[str, Any], known: Known) -> dict[str, list[str]]:
    """For each act not allowed yet, why (English msgids); an act absent is open."""
    out: dict[str, list[str]] = {}
    if case.get("stage") == "closed":
        return {key: [GATE_CLOSED] for key in ACTS}
    bid = case.get("bid")
    if bid:
        out["bid"] = [GATE_BID_STANDS]
        out["bia"] = [GATE_LOCKED]
        out["origin-assessment"] = [GATE_LOCKED]
    else:
        why = []
        if not known.bia_complete:
            why.append(GATE_BIA)
        if known.origin_complete is False:
            why.append(GATE_ORIGIN)
        if why:
            out["bid"] = why
        elif known.origin_complete is None:
            out["bid-note"] = [GATE_ORIGIN_UNKNOWN]
    if known.received:
        out["return-plan"] = [GATE_RECEIVED]
        out["reception"] = [GATE_RECEIVED]
    elif not bid or bid.get("decision") != "return":
        out["return-plan"] = [GATE_RETURN_BID]
    elif case.get("blocked_for_consulate"):
        out["return-plan"] = [GATE_RETURN_BLOCK]
    else:
        out["return-plan-note"] = [GATE_RETURN_CAREGIVER]
    if not known.return_planned and "reception" not in out:
        out["reception"] = [GATE_RECEPTION]
    if not known.received:
        out["follow-ups"] = [GATE_FOLLOW_UP]
    if not case.get("blocked_for_consulate"):
        out["protection-decision"] = [GATE_NO_PROTECTION]
    return out


@dataclass(frozen=True)
class Field:
    name: str  # the API's field
    label: str
    kind: str = "text"  # text, area, check, select, when, lines
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()  # (code, msgid)
    hint: str | None = None
    default: str = ""


@dataclass(frozen=True)
class Act:
    key: str  # the API's route under the case
    title: str
    side: str  # host, origin, supervisor
    fields: tuple[Field, ...]
    button: str
    method: str = "POST"
    nested: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


WHEN_HINT = N_("Empty: now. Day as dd/mm/aaaa and time as hh:mm, on the case's clock.")
LINES_HINT = N_("One per line.")

ACTS: dict[str, Act] = {
    a.key: a
    for a in (
        Act(
            "protection-measures",
            N_("Protection measure"),
            "host",
            (
                Field(
                    "kind",
                    N_("Measure"),
                    "select",
                    True,
                    (
                        ("shelter", N_("Shelter")),
                        ("placement", N_("Placement with a family")),
                        ("urgent_care", N_("Urgent care")),
                    ),
                ),
                Field("description", N_("Description"), "area", True),
                Field("taken_at", N_("Taken at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the measure"),
        ),
        Act(
            "notifications",
            N_("Notification of an authority"),
            "host",
            (
                Field("authority", N_("Authority notified"), required=True),
                Field("notified_at", N_("Notified at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the notification"),
        ),
        Act(
            "interviews",
            N_("Interview"),
            "host",
            (
                Field("language", N_("Language (code, e.g. es)"), required=True, default="es"),
                Field("interpreter", N_("Interpreter (if any)")),
                Field("notes", N_("Notes"), "area", True),
                Field("conducted_at", N_("Conducted at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the interview"),
        ),
        Act(
            "screenings",
            N_("Screening"),
            "host",
            (
                Field("protection_need", N_("The child has a protection need"), "check"),
                Field("trafficking_indicator", N_("There is a trafficking indicator"), "check"),
                Field("notes", N_("Notes"), "area", True),
                Field("screened_at", N_("Screened at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the screening"),
        ),
        Act(
            "family-tracing",
            N_("Family tracing"),
            "host",
            (
                Field("actions", N_("Actions taken"), "lines", hint=LINES_HINT),
                Field("contact_name", N_("Family contact: name")),
                Field("contact_relationship", N_("Family contact: relationship")),
                Field("contact_location", N_("Family contact: where")),
                Field("contact_details", N_("Family contact: how to reach them")),
                Field("traced_at", N_("Traced at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the tracing"),
        ),
        Act(
            "bia",
            N_("Best-interest assessment (BIA)"),
            "host",
            (
                Field("safety", N_("Safety"), "area"),
                Field("family", N_("Family"), "area"),
                Field("health", N_("Health"), "area"),
                Field("education", N_("Education"), "area"),
                Field("child_views", N_("The child's views"), "area"),
                Field(
                    "child_views_absent_reason",
                    N_("If the child gave no views, why"),
                    "select",
                    options=(
                        ("too_young", N_("Too young to give views")),
                        ("maturity", N_("Not mature enough yet")),
                    ),
                ),
                Field("recommendation", N_("Recommendation"), "area"),
                Field("complete", N_("The assessment is complete"), "check"),
            ),
            N_("Save the BIA"),
            method="PUT",
        ),
        Act(
            "risk-assessment",
            N_("Risk assessment"),
            "host",
            (
                Field("findings", N_("Findings"), "area", True),
                Field("mitigation", N_("Mitigation"), "area"),
            ),
            N_("Save the risk assessment"),
            method="PUT",
        ),
        Act(
            "origin-assessment",
            N_("Assessment by the country of origin"),
            "origin",
            (
                Field("family_situation", N_("Family situation"), "area"),
                Field("home_situation", N_("Home situation"), "area"),
                Field("risks_on_return", N_("Risks on return"), "area"),
                Field("caregiver_name", N_("Caregiver: name")),
                Field("caregiver_relationship", N_("Caregiver: relationship to the child")),
                Field(
                    "caregiver_agrees_and_able",
                    N_("The caregiver agrees and is able to care for the child"),
                    "check",
                ),
                Field("complete", N_("The assessment is complete"), "check"),
            ),
            N_("Save the assessment"),
            method="PUT",
        ),
        Act(
            "protection-decision",
            N_("Protection decision"),
            "supervisor",
            (
                Field("clear_block", N_("The consulate may now be contacted"), "check"),
                Field("reasons", N_("Reasons"), "area", True),
            ),
            N_("Record the protection decision"),
        ),
        Act(
            "bid",
            N_("Best-interest determination (BID)"),
            "supervisor",
            (
                Field(
                    "decision",
                    N_("Decision"),
                    "select",
                    True,
                    (
                        ("return", N_("Return to the family in the country of origin")),
                        ("stay", N_("Stay in the host country")),
                        ("asylum", N_("Refer to asylum")),
                        ("third_country", N_("Third country")),
                    ),
                ),
                Field("reasons", N_("Reasons"), "area", True),
                Field("panel", N_("Panel members"), "lines", True, hint=LINES_HINT),
                Field(
                    "child_views_considered",
                    N_("How the child's views were considered"),
                    "area",
                    True,
                ),
            ),
            N_("Record the BID"),
        ),
        Act(
            "bid-review",
            N_("BID review"),
            "supervisor",
            (Field("reasons", N_("Reasons"), "area", True),),
            N_("Reopen the BID"),
        ),
        Act(
            "return-plan",
            N_("Return plan"),
            "host",
            (
                Field(
                    "reception_point",
                    N_("Reception point (code)"),
                    required=True,
                    hint=N_("Where the origin country's child-protection authority receives"),
                ),
                Field("scheduled_at", N_("Scheduled for"), "when", True),
                Field("escort", N_("Escort (child-protection staff)"), required=True),
            ),
            N_("Record the return plan"),
        ),
        Act(
            "reception",
            N_("Reception in the country of origin"),
            "origin",
            (
                Field("received_at", N_("Received at"), "when", True),
                Field("received_by_institution", N_("Received by (institution)"), required=True),
            ),
            N_("Confirm the reception"),
        ),
        Act(
            "follow-ups",
            N_("Follow-up visit"),
            "origin",
            (
                Field("notes", N_("Notes"), "area", True),
                Field("visited_at", N_("Visited at"), "when", hint=WHEN_HINT),
            ),
            N_("Record the follow-up"),
        ),
    )
}


def act_body(act: Act, form: Mapping[str, str], time_zone: str | None) -> dict[str, Any]:
    """The API's body from the act's form; raises `NotADateTime` with the field's name."""
    body: dict[str, Any] = {}
    for f in act.fields:
        value = form.get(f.name, "").strip()
        if f.kind == "check":
            body[f.name] = form.get(f.name) == "yes"
        elif f.kind == "when":
            day = form.get(f"{f.name}_day", "").strip()
            if not day:  # empty: "now" where the API allows it, else its `missing` rule
                continue
            try:
                body[f.name] = i18n.local_instant(
                    day, form.get(f"{f.name}_time", ""), time_zone
                ).isoformat()
            except i18n.NotADateTime as error:
                raise i18n.NotADateTime(f.name) from error
        elif f.kind == "lines":
            body[f.name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif f.kind == "select" and not value:
            body[f.name] = None
        elif (
            f.name.startswith(("contact_", "caregiver_")) and f.name != "caregiver_agrees_and_able"
        ):
            continue
        else:
            body[f.name] = value
    if act.key == "interviews" and not body.get("interpreter"):
        body["interpreter"] = None
    if act.key == "family-tracing":
        name = form.get("contact_name", "").strip()
        body["contacts"] = (
            [
                {
                    "name": name,
                    "relationship": form.get("contact_relationship", "").strip(),
                    "location": form.get("contact_location", "").strip(),
                    "contact_details": form.get("contact_details", "").strip(),
                }
            ]
            if name or form.get("contact_relationship", "").strip()
            else []
        )
    if act.key == "origin-assessment":
        name = form.get("caregiver_name", "").strip()
        relationship = form.get("caregiver_relationship", "").strip()
        body["caregiver"] = (
            {"name": name, "relationship": relationship} if name or relationship else None
        )
    return body


def act_field(act: Act, path: str) -> str | None:
    """The form's field for the API's field path (`contacts.0.name` → `contact_name`)."""
    parts = [p for p in path.split(".") if p not in ("body",) and not p.isdigit()]
    if not parts:
        return None
    if parts[0] == "contacts":
        name = "contact_" + parts[-1] if parts[-1] != "contact_details" else "contact_details"
    elif parts[0] == "caregiver":
        name = "caregiver_" + (parts[-1] if len(parts) > 1 else "name")
    else:
        name = parts[0]
    return name if any(f.name == name for f in act.fields) else None


@dataclass(frozen=True)
class Entry:
    """One act on the timeline: what, who, which country, when."""

    at: str
    what: str  # a msgid
    who: str
    country: str | None
    detail: str = ""
    detail_kind: str = ""  # a `word` kind for detail, or "" for plain text


ORIGIN_ACTIONS = frozenset(
    {
        "child_case.origin_assessment_written",
        "child_case.returned",
        "child_case.follow_up_recorded",
    }
)
QUIET_ACTIONS = frozenset({"child_case.sensitive_resealed", "child_case.audit_read"})


def audit_timeline(case: Mapping[str, Any], entries: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """The case's audit trail as the timeline (the supervisor's view), oldest first. The
    country is the side the act belongs to: the origin country writes its assessment,
    confirms reception and follows up; the host country does all else."""
    out: list[Entry] = []
    for e in sorted(entries, key=lambda e: int(e.get("seq") or 0)):
        action = str(e.get("action", ""))
        if action in QUIET_ACTIONS:
            continue
        detail = e.get("detail") or {}
        text, kind = "", ""
        if detail.get("decision"):
            text, kind = str(detail["decision"]), "bid_decision"
        elif detail.get("purpose"):
            text = str(detail["purpose"])
        elif detail.get("reception_point"):
            text = str(detail["reception_point"])
        country = case.get("nationality") if action in ORIGIN_ACTIONS else case.get("host_country")
        actor = str(e.get("actor", ""))
        out.append(
            Entry(
                str(e.get("at", "")),
                action,
                actor,
                None if actor == "system" else str(country),
                text,
                kind,
            )
        )
    return out


def sensitive_timeline(case: Mapping[str, Any], s: Mapping[str, Any]) -> list[Entry]:
    """Every act the sensitive sections hold, oldest first, with who and which country."""
    host, origin = case.get("host_country"), case.get("nationality")
    out: list[Entry] = []
    for m in s.get("protection_measures") or []:
        out.append(
            Entry(
                m["taken_at"],
                "child_case.protection_measure_recorded",
                m["recorded_by"],
                host,
                m.get("kind", ""),
                "measure_kind",
            )
        )
    for i in s.get("interviews") or []:
        out.append(
            Entry(i["conducted_at"], "child_case.interview_recorded", i["conducted_by"], host)
        )
    for sc in s.get("screenings") or []:
        out.append(
            Entry(sc["screened_at"], "child_case.screening_recorded", sc["screened_by"], host)
        )
    for t in s.get("family_tracing") or []:
        out.append(
            Entry(t["traced_at"], "child_case.family_tracing_recorded", t["recorded_by"], host)
        )
    if s.get("bia"):
        b = s["bia"]
        out.append(Entry(b["written_at"], "child_case.bia_written", b["written_by"], host))
    if s.get("origin_assessment"):
        o = s["origin_assessment"]
        out.append(
            Entry(o["written_at"], "child_case.origin_assessment_written", o["written_by"], origin)
        )
    if s.get("risk_assessment"):
        r = s["risk_assessment"]
        out.append(
            Entry(r["assessed_at"], "child_case.risk_assessment_recorded", r["assessed_by"], host)
        )
    for p in s.get("protection_decisions") or []:
        out.append(
            Entry(p["decided_at"], "child_case.protection_decision_recorded", p["decided_by"], host)
        )
    for b in s.get("bids") or []:
        out.append(
            Entry(
                b["decided_at"],
                "child_case.determined",
                b["decided_by"],
                host,
                b.get("decision", ""),
                "bid_decision",
            )
        )
        if b.get("review"):
            rv = b["review"]
            out.append(Entry(rv["reviewed_at"], "child_case.bid_reopened", rv["reviewed_by"], host))
    for f in s.get("follow_ups") or []:
        out.append(Entry(f["visited_at"], "child_case.follow_up_recorded", f["visited_by"], origin))
    return sorted(out, key=lambda e: _utc(e.at))


def _utc(value: Any) -> datetime:
    instant = i18n.parse_instant(value) if value else None
    return instant.astimezone(UTC) if instant else datetime.max.replace(tzinfo=UTC)


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(SERVICE, 404, {}) from None


# --- pages ------------------------------------------------------------------------------------


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get("/cases", include_in_schema=False)
async def case_list(page: SignedIn) -> Response:
    q = page.request.query_params
    stage = q.get("stage", "") if q.get("stage", "") in STAGES else ""
    overdue = q.get("overdue", "") if q.get("overdue") in ("yes", "no") else ""
    nationality = q.get("nationality", "").strip().upper()[:2]
    waiting = q.get("awaiting", "") if q.get("awaiting") in ("protection", "bid") else ""
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if stage:
        params["stage"] = stage
    if overdue:
        params["overdue"] = "true" if overdue == "yes" else "false"
    if q.get("cursor"):
        params["cursor"] = q["cursor"][:200]
    answer = await page.apis.get(SERVICE, "/v1/cases", **params)
    items = answer.get("items", [])
    cases = case_order(shown_filter(items, nationality=nationality, waiting=waiting))
    kept = {
        k: v
        for k, v in (
            ("stage", stage),
            ("overdue", overdue),
            ("nationality", nationality),
            ("awaiting", waiting),
        )
        if v
    }
    more = (
        "/cases?" + urlencode({**kept, "cursor": answer["next_cursor"]})
        if answer.get("next_cursor")
        else None
    )
    nationalities = sorted({str(c.get("nationality")) for c in items})
    if nationality and nationality not in nationalities:
        nationalities.append(nationality)
    return page.render(
        "children/list.html",
        cases=cases,
        fetched=len(items),
        filters={
            "stage": stage,
            "overdue": overdue,
            "nationality": nationality,
            "awaiting": waiting,
        },
        stages=STAGES,
        nationalities=nationalities,
        more=more,
        first=not q.get("cursor"),
        first_href="/cases?" + urlencode(kept) if kept else "/cases",
        queue=False,
        **_helpers(),
    )


@router.get("/cases/queue", include_in_schema=False)
async def supervisor_queue(page: SignedIn) -> Response:
    items = await _all_cases(page)
    cases = case_order(c for c in items if awaiting(c))
    return page.render(
        "children/queue.html",
        protection=[c for c in cases if awaiting(c) == "protection"],
        bid=[c for c in cases if awaiting(c) == "bid"],
        **_helpers(),
    )


async def _all_cases(page: Page, pages: int = 10) -> list[Mapping[str, Any]]:
    items: list[Mapping[str, Any]] = []
    cursor: str | None = None
    for _ in range(pages):
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        answer = await page.apis.get(SERVICE, "/v1/cases", **params)
        items += answer.get("items", [])
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    return items


def short(value: Any, time_zone: str | None) -> str:
    """`02/12/2026 18:07` on the place's clock, for tables whose zone is named once."""
    instant = i18n.parse_instant(value) if value else None
    if instant is None:
        return "—"
    return instant.astimezone(i18n.zone(time_zone)).strftime("%d/%m/%Y %H:%M")


def _helpers() -> dict[str, Any]:
    return {
        "short": short,
        "zone_of": zone_of,
        "next_deadline": next_deadline,
        "is_overdue": is_overdue,
        "awaiting": awaiting,
    }


@router.get("/cases/{case_id}", include_in_schema=False)
async def case_page(page: SignedIn, case_id: str) -> Response:
    return await _case_page(page, _uuid(case_id))


async def _case_page(
    page: Page,
    case_id: str,
    *,
    status_code: int = 200,
    failed: str | None = None,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    case = await page.apis.get(SERVICE, f"/v1/cases/{case_id}")
    audit: list[Mapping[str, Any]] | None = None
    if page.officer.has("child_protection_supervisor") and page.officer.country == case.get(
        "host_country"
    ):
        audit = await _audit(page, case_id)
    side = side_of(page.officer.country, case)
    mine = []
    for act in ACTS.values():
        if act.side == "supervisor":
            if page.officer.has("child_protection_supervisor") and side == "host":
                mine.append(act)
        elif act.side == side and page.officer.has("child_protection_officer"):
            mine.append(act)
    tz = zone_of(case.get("host_country"))
    return page.render(
        "children/case.html",
        status_code=status_code,
        case=case,
        tz=tz,
        origin_tz=zone_of(case.get("nationality")),
        timeline=audit_timeline(case, audit) if audit is not None else None,
        deadlines=sorted(case.get("deadlines") or [], key=lambda d: _utc(d.get("due_at"))),
        acts=mine,
        gates=gates(case, known_of(case, audit)),
        failed=failed,
        errors=errors or FormErrors(),
        no_errors=FormErrors(),
        values=values or {},
        done=page.request.query_params.get("done", ""),
        acts_all=ACTS,
        locks=LOCKS,
        **_helpers(),
    )


async def _audit(page: Page, case_id: str) -> list[Mapping[str, Any]]:
    entries: list[Mapping[str, Any]] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        answer = await page.apis.get(SERVICE, f"/v1/cases/{case_id}/audit", **params)
        entries += answer.get("items", [])
        cursor = answer.get("next_cursor")
        if not cursor:
            break
    return entries


@router.get("/cases/{case_id}/acts/{act_key}", include_in_schema=False)
async def act_address(page: SignedIn, case_id: str, act_key: str) -> Response:
    """The address a refused act's page has (a reload, a language switch): the case's page."""
    case_id = _uuid(case_id)
    anchor = f"#act-{act_key}" if act_key in ACTS else ""
    return RedirectResponse(f"/cases/{case_id}{anchor}", 303)


@router.post("/cases/{case_id}/acts/{act_key}", include_in_schema=False)
async def record_act(page: SignedIn, case_id: str, act_key: str) -> Response:
    case_id = _uuid(case_id)
    act = ACTS.get(act_key)
    if act is None:
        raise NotFound(SERVICE, 404, {})
    form = {k: v for k, v in (await page.request.form()).items() if isinstance(v, str)}
    case = await page.apis.get(SERVICE, f"/v1/cases/{case_id}")
    tz = zone_of(case.get("nationality") if act.side == "origin" else case.get("host_country"))
    try:
        body = act_body(act, form, tz)
    except i18n.NotADateTime as error:
        errors = FormErrors()
        errors.add(str(error), page.gettext("Type the date as dd/mm/aaaa and the time as hh:mm."))
        return await _case_page(
            page, case_id, status_code=422, failed=act.key, errors=errors, values=form
        )
    try:
        await page.apis.post(
            SERVICE,
            f"/v1/cases/{case_id}/{act.key}",
            body,
            key=form.get("idempotency_key") or None,
            method=act.method,
        )
    except Refused as refused:
        errors = form_errors(page.locale, refused, fields=lambda path: act_field(act, path))
        # Nothing was applied: the corrected form is a new request, with a new key (the API
        # keeps its answer under the old one).
        kept = {k: v for k, v in form.items() if k != "idempotency_key"}
        return await _case_page(
            page, case_id, status_code=refused.status, failed=act.key, errors=errors, values=kept
        )
    return RedirectResponse(f"/cases/{case_id}?done={act.key}#timeline", 303)


@router.get("/cases/{case_id}/sensitive", include_in_schema=False)
async def sensitive(page: SignedIn, case_id: str) -> Response:
    case_id = _uuid(case_id)
    purpose = page.request.query_params.get("purpose", "").strip()[:500]
    case = await page.apis.get(SERVICE, f"/v1/cases/{case_id}")
    tz = zone_of(case.get("host_country"))
    if not purpose:
        errors = FormErrors()
        if "purpose" in page.request.query_params:
            errors.add("purpose", page.gettext("Write why you need to read these sections."))
        return page.render(
            "children/purpose.html",
            status_code=422 if errors else 200,
            case=case,
            errors=errors,
            tz=tz,
        )
    sections = await page.apis.get_with(
        SERVICE, f"/v1/cases/{case_id}/sensitive", headers={"Puebla-Purpose": purpose}
    )
    return page.render(
        "children/sensitive.html",
        case=case,
        s=sections,
        purpose=purpose,
        tz=tz,
        origin_tz=zone_of(case.get("nationality")),
        timeline=sensitive_timeline(case, sections),
        **_helpers(),
    )


# --- "my work" on the home page --------------------------------------------------------------


async def children_queues(page: Page) -> list[Any]:
    """The home page's queues for caseworkers and supervisors (wired by pages/home.py)."""
    from console.entrypoints.pages.home import Queue

    officer = page.officer
    if not (officer.has("child_protection_officer") or officer.has("child_protection_supervisor")):
        return []
    answer = await page.apis.get(SERVICE, "/v1/cases", overdue="true", limit=LIMIT)
    overdue = (len(answer.get("items", [])), bool(answer.get("next_cursor")))
    queues = [
        Queue(N_("Children's cases overdue"), *overdue, href="/cases?overdue=yes", urgent=True)
    ]
    if officer.has("child_protection_supervisor"):
        items = await _all_cases(page, pages=1)
        protection = sum(1 for c in items if awaiting(c) == "protection")
        bid = sum(1 for c in items if awaiting(c) == "bid")
        queues += [
            Queue(
                N_("Cases awaiting a protection decision"), protection, False, href="/cases/queue"
            ),
            Queue(N_("Cases awaiting a BID"), bid, False, href="/cases/queue"),
        ]
    else:
        everything = await page.apis.get(SERVICE, "/v1/cases", limit=LIMIT)
        queues.append(
            Queue(
                N_("My children's cases"),
                len(everything.get("items", [])),
                bool(everything.get("next_cursor")),
                href="/cases",
            )
        )
    return queues
