"""The audit pages (issue 15; see templates/audit/).

- `/audit` (the auditor): per service, the verification of its transparency log (ADR 0006:
  every entry's commitment, leaf and the root recomputed and matched with the newest signed
  tree head — "the fingerprint" on the page — or where it is altered), that tree head (how
  many entries it vouches for, when it was signed), and whether the tree heads the other
  services keep of it as witnesses agree.
- `/audit/<service>` (the auditor): the service's trail, oldest first as the API keeps it, with
  filters in the URL. Entity type and id are the API's filters (over the whole trail); actor,
  action and time are the console's, applied to the entries of the shown page only (the page
  says so).
- `/cases/<id>/audit` (the host country's child-protection supervisor): one case's trail,
  including the sensitive reads with their stated purpose.

Who may read any of it is the APIs' decision: a 403 is the "not allowed" page.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.entrypoints import i18n
from console.entrypoints.web import FormErrors, Page, SignedIn, rule_sentence
from console.entrypoints.words import N_, add_words
from console.service_layer.apis import NotFound, Unavailable

router = APIRouter()

SERVICES = ("repatriation", "consular", "child_protection", "reserve_fund")
CHILD_PROTECTION = "child_protection"
PAGE_SIZE = 50  # entries per page, only the API's filters
FILTERED_PAGE_SIZE = 200  # read per page when the console filters too (the API's maximum)
CASE_PAGE_SIZE = 100

add_words(
    "audit_service",
    {
        "repatriation": N_("Land returns (manifests and hand-overs)"),
        "consular": N_("Consular notifications and verifications"),
        "child_protection": N_("Children's cases"),
        "reserve_fund": N_("Reserve Fund"),
    },
)
add_words(
    "audit_entity",
    {
        "manifest": N_("Manifest"),
        "notification": N_("Consular notification"),
        "verification": N_("Nationality verification"),
        "child_case": N_("Child's case"),
        "fund_application": N_("Reserve Fund application"),
        "fund_budget": N_("Reserve Fund budget"),
    },
)
add_words(
    "audit_action",
    {
        # repatriation
        "manifest.drafted": N_("Manifest drafted"),
        "manifest.submitted": N_("Manifest submitted"),
        "manifest.returnee_added": N_("Person added to the manifest"),
        "manifest.returnee_removed": N_("Person taken off the manifest"),
        "manifest.amended": N_("Manifest amended"),
        "manifest.returnee_protection_need_recorded": N_(
            "Protection need recorded (person taken off)"
        ),
        "manifest.dispatched": N_("Bus dispatched"),
        "manifest.cancelled": N_("Return cancelled"),
        "manifest.arrived": N_("Bus arrived"),
        "manifest.returnee_handed_over": N_("Hand-over of a person recorded"),
        "manifest.closed": N_("Hand-over closed"),
        "manifest.nationality_confirmed": N_("Nationality confirmed on the manifest"),
        "manifest.nationality_rejected": N_("Nationality rejected on the manifest"),
        "manifest.person_arrived_not_listed": N_("Person arrived who was not on the manifest"),
        "manifest.handover_record_signed": N_("Hand-over record signed"),
        # consular
        "notification.created": N_("Notification created"),
        "notification.suppressed": N_("Notification not sent (the person objected)"),
        "notification.released": N_("Notification released"),
        "notification.unroutable": N_("No consulate to send the notification to"),
        "notification.routed": N_("Notification sent to a consulate"),
        "notification.withdrawn": N_("Notification withdrawn"),
        "notification.recounted": N_("Notification's people recounted"),
        "notification.sent": N_("Notification e-mailed"),
        "notification.delivery_failed": N_("E-mail delivery failed"),
        "notification.acknowledged": N_("Notification acknowledged by the consulate"),
        "notification.overdue": N_("Notification overdue"),
        "notification.consular_action_recorded": N_("Consular action recorded"),
        "verification.requested": N_("Nationality verification requested"),
        "verification.not_requested": N_("Nationality verification not requested"),
        "verification.nationality_confirmed": N_("Nationality confirmed by the consulate"),
        "verification.nationality_rejected": N_("Nationality rejected by the consulate"),
        "verification.withdrawn": N_("Nationality verification withdrawn"),
        # child_protection
        "child_case.opened": N_("Case opened"),
        "child_case.protection_decision_required": N_("Protection decision required"),
        "child_case.consular_block_set": N_("Case hidden from the child's country"),
        "child_case.protection_decision_recorded": N_("Protection decision recorded"),
        "child_case.consular_block_cleared": N_("Case no longer hidden from the child's country"),
        "child_case.protection_measure_recorded": N_("Protection measure recorded"),
        "child_case.authority_notified": N_("Authority notified"),
        "child_case.interview_recorded": N_("Interview recorded"),
        "child_case.screening_recorded": N_("Screening recorded"),
        "child_case.family_tracing_recorded": N_("Family tracing recorded"),
        "child_case.bia_written": N_("Best-interests assessment written"),
        "child_case.origin_assessment_written": N_("Origin country's assessment written"),
        "child_case.risk_assessment_recorded": N_("Risk assessment recorded"),
        "child_case.determined": N_("Best-interests determination made"),
        "child_case.bid_reopened": N_("Best-interests determination reopened"),
        "child_case.return_planned": N_("Return planned"),
        "child_case.returned": N_("Child returned"),
        "child_case.follow_up_recorded": N_("Follow-up recorded"),
        "child_case.closed": N_("Case closed"),
        "child_case.stage_overdue": N_("Stage overdue"),
        "child_case.sensitive_read": N_("Sensitive sections read"),
        "child_case.sensitive_read_refused": N_("Reading the sensitive sections refused"),
        "child_case.sensitive_resealed": N_("Sensitive sections sealed with a new key"),
        "child_case.audit_read": N_("Case's audit read"),
        # reserve_fund
        "fund_application.created": N_("Application created"),
        "fund_application.submitted": N_("Application submitted"),
        "fund_application.information_requested": N_("Information requested from the applicant"),
        "fund_application.information_provided": N_("Information provided by the applicant"),
        "fund_application.reviewed": N_("Application reviewed"),
        "fund_application.approval_recorded": N_("Approval recorded"),
        "fund_application.approved": N_("Application approved"),
        "fund_application.rejected": N_("Application rejected"),
        "fund_application.disbursement_recorded": N_("Disbursement recorded"),
        "fund_application.return_completed": N_("Return completed"),
        "fund_application.closed": N_("Application closed"),
        "fund_application.cancelled": N_("Application cancelled"),
        "fund_budget.set": N_("Year's budget set"),
    },
)

# Why a sensitive read was refused (the entry's `refused`), and other rules entries name.
add_words(
    "audit_rule",
    {
        "second_factor_required": N_("No recent second factor (one-time code) at sign-in"),
    },
)

BAD_RANGE = "audit_until_before_since"
RULES: dict[str, str] = {
    "bad_day": N_("Write the date as dd/mm/yyyy."),
    BAD_RANGE: N_("The last day comes before the first day."),
}


# -- what the pages are made of (pure) ---------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    """The newest tree head of this service that another service keeps as a witness,
    compared with the one the service verified against (`seq`: its tree size)."""

    service: str
    seq: int | None
    at: str | None
    verdict: str  # "agrees", "differs", "behind", "ahead", "none"


def witnesses(
    service: str,
    own: Mapping[str, Any] | None,
    kept: Mapping[str, Sequence[Mapping[str, Any]] | None],
) -> list[Witness]:
    """For each other service (`kept`: its `/v1/audit/checkpoints`, None when it could not be
    read): does its newest tree head of `service` match the one `service` verified against?
    Same tree size, same root: agrees; same size, another root: differs — the log was
    rewritten, or two histories were shown to two parties (a fork); a smaller tree: behind
    (nothing to compare here; its consistency with the newer head is what
    `python -m puebla.transparency.verify --witness` proves); a larger tree than the service's
    own: ahead — the service's newer tree heads are missing."""
    found: list[Witness] = []
    for other, rows in kept.items():
        if other == service:
            continue
        if rows is None:
            found.append(Witness(other, None, None, "unread"))
            continue
        copy = next((r for r in rows if r.get("service") == service), None)
        if copy is None:
            found.append(Witness(other, None, None, "none"))
            continue
        seq, at = int(copy["seq"]), str(copy.get("at") or "")
        if own is None:
            verdict = "ahead"
        elif seq == int(own["seq"]):
            verdict = "agrees" if copy.get("head") == own.get("head") else "differs"
        else:
            verdict = "behind" if seq < int(own["seq"]) else "ahead"
        found.append(Witness(other, seq, at, verdict))
    return found


@dataclass
class TrailFilters:
    """The trail's filters as the URL holds them. `entity_type`/`entity_id` go to the API;
    `actor`, `action`, `since`, `until` are applied by the console to the page read."""

    entity_type: str = ""
    entity_id: str = ""
    actor: str = ""
    action: str = ""
    since: str = ""
    until: str = ""
    errors: FormErrors = field(default_factory=FormErrors)
    since_day: date | None = None
    until_day: date | None = None

    @property
    def local(self) -> bool:
        return bool(self.actor or self.action or self.since_day or self.until_day)

    @property
    def shown(self) -> dict[str, str]:
        names = ("entity_type", "entity_id", "actor", "action", "since", "until")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def api_params(self) -> dict[str, str]:
        return {
            n: getattr(self, n) for n in ("entity_type", "entity_id") if getattr(self, n).strip()
        }

    def keeps(self, entry: Mapping[str, Any]) -> bool:
        if self.actor and self.actor.casefold() not in str(entry.get("actor", "")).casefold():
            return False
        if self.action and entry.get("action") != self.action:
            return False
        at = i18n.parse_instant(entry.get("at"))
        if at is None:
            return True
        if self.since_day is not None and at < datetime.combine(self.since_day, time.min, UTC):
            return False
        after = self.until_day + timedelta(days=1) if self.until_day else None
        return after is None or at < datetime.combine(after, time.min, UTC)


def trail_filters(query: Mapping[str, str], locale: str) -> TrailFilters:
    text = {
        n: str(query.get(n, "")).strip()[:100]
        for n in ("entity_type", "entity_id", "actor", "action", "since", "until")
    }
    f = TrailFilters(
        entity_type=text["entity_type"],
        entity_id=text["entity_id"],
        actor=text["actor"],
        action=text["action"],
        since=text["since"],
        until=text["until"],
    )
    for name in ("since", "until"):
        if not text[name]:
            continue
        day = i18n.typed_day(text[name])
        if day is None:
            f.errors.add(name, rule_sentence(locale, "bad_day", RULES))
        else:
            setattr(f, f"{name}_day", day)
            setattr(f, name, day.isoformat())
    if f.since_day and f.until_day and f.until_day < f.since_day:
        f.errors.add("until", rule_sentence(locale, BAD_RANGE, RULES))
    return f


def actor_country(actor: str, detail: Mapping[str, Any]) -> str | None:
    """The country the entry itself records for its actor (the sensitive reads do), else
    None: a user name says nothing an auditor may rely on (the demo realm's `border.gt.tecun`
    is a naming habit, not a rule of any member state's directory)."""
    stated = detail.get("country")
    if isinstance(stated, str) and len(stated) == 2 and stated.isalpha():
        return stated.upper()
    return None


def utc(value: str | datetime | None) -> str:
    """`02/12/2026 03:05 UTC`: the trail's times, all in UTC (the services are in several
    countries' zones; the auditor compares them on one clock)."""
    instant = i18n.parse_instant(value)
    return instant.astimezone(UTC).strftime("%d/%m/%Y %H:%M UTC") if instant else "—"


FACTS = ("reference", "purpose", "refused", "outcome", "reason", "post", "rule", "returnee_count")


def facts_of(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The entry's few details worth reading at a glance (the rest stays in the technical
    view): the record's reference, a sensitive read's purpose, a hand-over's outcome…"""
    return [
        (k, str(detail[k])) for k in FACTS if k in detail and detail[k] not in (None, "", [], {})
    ]


add_words(
    "audit_fact",
    {
        "reference": N_("Reference"),
        "purpose": N_("Stated purpose"),
        "refused": N_("Why it was refused"),
        "outcome": N_("Outcome"),
        "reason": N_("Reason"),
        "post": N_("Post"),
        "rule": N_("Rule"),
        "returnee_count": N_("People"),
    },
)


def actions_of(services: Iterable[str] = SERVICES) -> list[str]:
    from console.entrypoints.words import WORDS

    prefixes = {
        "repatriation": ("manifest.",),
        "consular": ("notification.", "verification."),
        "child_protection": ("child_case.",),
        "reserve_fund": ("fund_application.", "fund_budget."),
    }
    wanted = tuple(p for s in services for p in prefixes.get(s, ()))
    return [code for code in WORDS["audit_action"] if code.startswith(wanted)]


ENTITIES = {
    "repatriation": ("manifest",),
    "consular": ("notification", "verification", "manifest"),
    "child_protection": ("child_case",),
    "reserve_fund": ("fund_application", "fund_budget"),
}


# -- the auditor's overview --------------------------------------------------------------------


@dataclass
class ServiceAudit:
    service: str
    verification: Mapping[str, Any] | None
    witnesses: list[Witness]


async def _read(page: Page, service: str, path: str) -> Any:
    """An auditor's read; None when the service does not answer (shown as such)."""
    try:
        return await page.apis.get(service, path)
    except Unavailable:
        return None


@router.get("/audit", include_in_schema=False)
async def audit_home(page: SignedIn) -> Response:
    verifications = await asyncio.gather(
        *(_read(page, s, "/v1/audit/verification") for s in SERVICES)
    )
    kept = await asyncio.gather(*(_read(page, s, "/v1/audit/checkpoints") for s in SERVICES))
    by_service = dict(zip(SERVICES, kept, strict=True))
    sections = [
        ServiceAudit(
            s,
            v,
            witnesses(s, (v or {}).get("checkpoint"), by_service) if v is not None else [],
        )
        for s, v in zip(SERVICES, verifications, strict=True)
    ]
    return page.render("audit/home.html", sections=sections, utc=utc)


# -- a service's trail -------------------------------------------------------------------------


@router.get("/audit/{service}", include_in_schema=False)
async def audit_trail(service: str, request: Request, page: SignedIn) -> Response:
    if service not in SERVICES:
        raise NotFound(service, 404)
    q = request.query_params
    filters = trail_filters(q, page.locale)
    cursor = q.get("cursor") or None
    answer: Mapping[str, Any] = {"items": [], "next_cursor": None}
    if not filters.errors:
        answer = await page.apis.get(
            service,
            "/v1/audit",
            limit=FILTERED_PAGE_SIZE if filters.local else PAGE_SIZE,
            cursor=cursor,
            **filters.api_params(),
        )
    read: list[dict[str, Any]] = list(answer.get("items", []))
    entries = [e for e in read if filters.keeps(e)]
    base = f"/audit/{service}"
    next_url = None
    if answer.get("next_cursor"):
        next_url = base + "?" + urlencode({**filters.shown, "cursor": answer["next_cursor"]})
    return page.render(
        "audit/trail.html",
        status_code=422 if filters.errors else 200,
        service=service,
        filters=filters,
        errors=filters.errors,
        entries=entries,
        read_count=len(read),
        next_url=next_url,
        paged=bool(cursor),
        first_url=base + ("?" + urlencode(filters.shown) if filters.shown else ""),
        actions=actions_of([service]),
        entities=ENTITIES[service],
        actor_country=actor_country,
        facts_of=facts_of,
        utc=utc,
    )


# -- a case's audit (the host supervisor) ------------------------------------------------------


@router.get("/cases/{case_id}/audit", include_in_schema=False)
async def case_audit(case_id: uuid.UUID, request: Request, page: SignedIn) -> Response:
    cursor = request.query_params.get("cursor") or None
    answer = await page.apis.get(
        CHILD_PROTECTION,
        f"/v1/cases/{case_id}/audit",
        limit=CASE_PAGE_SIZE,
        cursor=cursor,
    )
    case = await page.apis.get(CHILD_PROTECTION, f"/v1/cases/{case_id}")
    entries: list[dict[str, Any]] = list(answer.get("items", []))
    base = f"/cases/{case_id}/audit"
    next_url = (
        base + "?" + urlencode({"cursor": answer["next_cursor"]})
        if answer.get("next_cursor")
        else None
    )
    return page.render(
        "audit/case.html",
        case=case,
        case_id=str(case_id),
        entries=entries,
        sensitive=[
            e for e in entries if str(e.get("action", "")).startswith("child_case.sensitive_read")
        ],
        next_url=next_url,
        paged=bool(cursor),
        first_url=base,
        actor_country=actor_country,
        facts_of=facts_of,
        utc=utc,
    )
