"""Journey 2 — a Honduran child alone in Mexico, and a second one Honduras must never learn of.

dif.mx (Mexico's child-protection authority) opens the case; Honduras's consul in Tapachula is
notified; dinaf.hn (Honduras's) writes the origin assessment; dif.mx writes the best-interest
assessment (BIA); dif.mx.supervisor decides return (BID); dif.mx plans the return to Corinto,
where DINAF receives children; dinaf.hn confirms reception and records a follow-up visit.
Every read of the sensitive sections is in the case's audit trail.

A second Honduran child has told DIF she fears returning (a protection need): Honduras's
child-protection officer and consul see nothing about her, not even that a case exists, and no
notification about her is ever sent — Mexico sees it held back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from e2e.journeys.timeline import Actor, Timeline, TokenSource
from puebla_dev.testing.totp import DEMO_TOTP_SECRETS
from puebla_dev.testing.waiting import wait_until

TITLE = "Journey 2 — a Honduran child in Mexico (and one Honduras never sees)"
WAIT_S = 60.0
RECEPTION_POINT = "HN-CORINTO"  # DINAF receives children there (child_protection seed)
PLACE = {"country": "MX", "state": "Chiapas", "city": "Tapachula"}


@dataclass
class ChildCase:
    """What each side saw, for the test to assert on."""

    timeline: Timeline
    case_id: str = ""
    reference: str = ""
    opened_status: int = 0
    opened: dict[str, Any] = field(default_factory=dict)
    consul_notice: dict[str, Any] = field(default_factory=dict)
    consul_summary_status: int = 0
    consul_sensitive_status: int = 0
    steps: dict[str, tuple[int, str]] = field(default_factory=dict)  # step → (status, stage)
    bid_decision: str | None = None
    sensitive_reads: list[tuple[str, str, int]] = field(default_factory=list)  # who, why, status
    audit_status: int = 0
    audited_reads: list[tuple[str, str]] = field(default_factory=list)  # actor, purpose
    audit_actions: list[str] = field(default_factory=list)
    # the second child, with a protection need
    protected_id: str = ""
    protected_opened_status: int = 0
    protected_blocked: bool | None = None
    protected_host_notice: dict[str, Any] = field(default_factory=dict)
    hidden_from: dict[str, dict[str, Any]] = field(default_factory=dict)


class SecondFactor:
    """The journey's tokens for `/sensitive`: at acr 2 (password + OTP, through the realm's
    browser flow with the user's DEV-ONLY TOTP code) for the users who have a second factor,
    the password grant's acr 1 for everyone else (a consul: refused before any step-up)."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def get(self, username: str) -> str:
        step_up = getattr(self.tokens, "step_up", None)
        if step_up is not None and username in DEMO_TOTP_SECRETS:
            return str(step_up(username))
        return self.tokens.get(username)


async def child_case(
    http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> ChildCase:
    """Runs the journey; a failure carries the timeline so far as a note."""
    facts = ChildCase(Timeline(TITLE))
    with facts.timeline.attached_to_failure():
        await _journey(facts, http, tokens, services)
    return facts


async def _journey(
    facts: ChildCase, http: httpx.AsyncClient, tokens: TokenSource, services: dict[str, str]
) -> None:
    timeline = facts.timeline

    def actor(username: str) -> Actor:
        return Actor(username, http=http, tokens=tokens, services=services, timeline=timeline)

    second_factor = SecondFactor(tokens)

    def stepped_up(who: Actor) -> Actor:
        """`who` with a token at acr 2: the sensitive sections need a recent second factor."""
        again = Actor(
            who.username, http=http, tokens=second_factor, services=services, timeline=timeline
        )
        again.where = who.where
        return again

    dif = await actor("dif.mx").identify()
    supervisor = await actor("dif.mx.supervisor").identify()
    dinaf = await actor("dinaf.hn").identify()
    consul = await actor("consul.hn.tapachula").identify()

    tag = uuid.uuid4().hex[:6]
    now = datetime.now(UTC)
    opened = await dif.post(
        "child_protection",
        "/v1/cases",
        {
            "child": {
                "given_names": "Kevin Josué",
                "surnames": f"Mejía Paz {tag}",
                "sex": "M",
                "date_of_birth": "2013-03-09",
                "nationality": "HN",
                "languages": ["es"],
            },
            "identified_at": (now - timedelta(hours=3)).isoformat(),
            "place": PLACE,
            "accompaniment": "unaccompanied",
            "age_disputed": False,
            "protection_need": False,
            "trafficking_indicator": False,
        },
    )
    facts.opened_status = opened.status_code
    facts.opened = opened.json()
    if opened.status_code != 201:
        dif.record("opens a case, refused", opened, sees=[opened.text[:300]])
        return
    facts.case_id = case_id = facts.opened["id"]
    facts.reference = facts.opened["reference"]
    dif.record(
        f"opens case {facts.reference}: a 13-year-old Honduran boy found alone in Tapachula",
        opened,
        sees=[
            f"stage {facts.opened['stage']}, blocked for consulate: "
            f"{facts.opened['blocked_for_consulate']}"
        ],
    )

    protected = await dif.post(
        "child_protection",
        "/v1/cases",
        {
            "child": {
                "given_names": "Dayana Michel",
                "surnames": f"Cruz Banegas {tag}",
                "sex": "F",
                "date_of_birth": "2011-07-22",
                "nationality": "HN",
                "languages": ["es"],
            },
            "identified_at": (now - timedelta(hours=2)).isoformat(),
            "place": PLACE,
            "accompaniment": "separated",
            "age_disputed": False,
            "protection_need": True,
            "trafficking_indicator": False,
            "indicator_details": "Says she fled threats from a gang in San Pedro Sula.",
        },
    )
    facts.protected_opened_status = protected.status_code
    facts.protected_id = protected_id = protected.json().get("id", "")
    facts.protected_blocked = protected.json().get("blocked_for_consulate")
    dif.record(
        "opens a second case: a 15-year-old Honduran girl who fears returning",
        protected,
        sees=[f"blocked for consulate: {facts.protected_blocked}"],
    )

    # Honduras's consul in Tapachula is told about the first child.
    async def notice() -> list[dict[str, Any]]:
        listed = await consul.get("consular", "/v1/notifications", related_id=case_id)
        return [n for n in listed.json()["items"] if n["kind"] == "child_case"]

    (facts.consul_notice, *_) = await wait_until(
        notice, timeout=WAIT_S, what="the child_case notification"
    )
    consul.note(
        "is notified of the child's case",
        f"consular GET /v1/notifications?related_id={case_id} → 200",
        sees=[
            f"{facts.consul_notice['kind']} to {facts.consul_notice['consular_post']}: "
            f"{facts.consul_notice['person']['given_names']} "
            f"{facts.consul_notice['person']['surnames']}, status {facts.consul_notice['status']}"
        ],
    )
    summary = await consul.get("child_protection", f"/v1/cases/{case_id}")
    facts.consul_summary_status = summary.status_code
    consular_try = await consul.read_sensitive(case_id, "consular visit")
    facts.consul_sensitive_status = consular_try.status_code
    consul.record(
        "reads the case summary",
        summary,
        sees=[f"stage {summary.json().get('stage')}, deadlines"],
        cannot_see=[
            f"the sensitive sections: GET …/sensitive → {consular_try.status_code} "
            "(consuls never read them)"
        ],
    )

    async def step(
        who: Actor, did: str, method: str, path: str, body: dict[str, Any], key: str
    ) -> dict[str, Any]:
        response = await who.call(
            method, "child_protection", f"/v1/cases/{case_id}{path}", json=body
        )
        read: dict[str, Any] = response.json()
        stage = read.get("stage", "")
        facts.steps[key] = (response.status_code, stage)
        who.record(did, response, sees=[f"stage {stage}"] if stage else [read.get("detail", "")])
        return read

    async def read_sensitive(who: Actor, purpose: str) -> None:
        response = await stepped_up(who).read_sensitive(case_id, purpose)
        facts.sensitive_reads.append((who.username, purpose, response.status_code))
        sections = [k for k, v in response.json().items() if v not in (None, [], "")]
        who.record(
            f"reads the sensitive sections after a second factor (OTP, acr 2), purpose "
            f"“{purpose}” (audited)",
            response,
            sees=[", ".join(s for s in sections if s not in ("case_id", "reference", "version"))],
        )

    await step(
        dif,
        "places him in the DIF shelter in Tapachula",
        "POST",
        "/protection-measures",
        {"kind": "shelter", "description": "DIF Tapachula shelter, room with his age group."},
        "protection_measure",
    )
    await step(
        dif,
        "interviews him",
        "POST",
        "/interviews",
        {"language": "es", "notes": "Wants to go home to his grandmother in Choloma."},
        "interview",
    )

    await read_sensitive(dinaf, "origin assessment: what Mexico has recorded")
    await step(
        dinaf,
        "writes the origin assessment: the grandmother agrees and is able to care for him",
        "PUT",
        "/origin-assessment",
        {
            "family_situation": "Grandmother (62) raised him; mother in the United States.",
            "home_situation": "Own house in Choloma, Cortés; school place kept open.",
            "risks_on_return": "No threats known; neighbourhood followed by DINAF Cortés.",
            "caregiver": {"name": "Gloria Paz Reyes", "relationship": "grandmother"},
            "caregiver_agrees_and_able": True,
            "complete": True,
        },
        "origin_assessment",
    )

    await read_sensitive(dif, "write the BIA")
    await step(
        dif,
        "writes the best-interest assessment (complete)",
        "PUT",
        "/bia",
        {
            "safety": "No risk identified on return; none in transit reported.",
            "family": "Grandmother in Choloma is his caregiver and wants him back.",
            "health": "Healthy; vaccinations checked by DIF.",
            "education": "In 7th grade; the school keeps his place.",
            "child_views": "Wants to go home to his grandmother.",
            "child_views_absent_reason": None,
            "recommendation": "Return to the grandmother in Choloma with DINAF follow-up.",
            "complete": True,
        },
        "bia",
    )

    await read_sensitive(supervisor, "BID panel")
    bid = await step(
        supervisor,
        "decides the BID: return to his family",
        "POST",
        "/bid",
        {
            "decision": "return",
            "reasons": "Caregiver able and willing; no risk identified; the child wishes it.",
            "panel": ["Lic. Adriana Solís (DIF)", "Lic. Mario Cabrera (PFPNNA)"],
            "child_views_considered": "He asked to go back to his grandmother.",
        },
        "bid",
    )
    facts.bid_decision = (bid.get("bid") or {}).get("decision")

    scheduled = datetime.now(UTC) + timedelta(days=2)
    await step(
        dif,
        f"plans the return to {RECEPTION_POINT}, where DINAF receives children, with an escort",
        "POST",
        "/return-plan",
        {
            "reception_point": RECEPTION_POINT,
            "scheduled_at": scheduled.isoformat(),
            "escort": "Lic. Rocío Martínez, DIF Chiapas",
        },
        "return_plan",
    )
    await step(
        dinaf,
        "confirms it received the child at Corinto",
        "POST",
        "/reception",
        {
            "received_at": datetime.now(UTC).isoformat(),
            "received_by_institution": "DINAF, CAMR Omoa",
        },
        "reception",
    )
    await read_sensitive(dinaf, "plan the follow-up visit")
    await step(
        dinaf,
        "records a follow-up visit at the grandmother's home",
        "POST",
        "/follow-ups",
        {"notes": "Back at school; grandmother coping; next visit in 30 days."},
        "follow_up",
    )

    audit = await _audit(supervisor, case_id)
    facts.audit_status = audit[0]
    entries = audit[1]
    facts.audit_actions = [e["action"] for e in entries]
    facts.audited_reads = [
        (e["actor"], e["detail"].get("purpose", ""))
        for e in entries
        if e["action"] == "child_case.sensitive_read"
    ]
    supervisor.note(
        "reads the case's audit trail",
        f"child_protection GET /v1/cases/{case_id}/audit → {facts.audit_status}",
        sees=[
            f"{len(entries)} entries, of them {len(facts.audited_reads)} sensitive reads: "
            + "; ".join(f"{who} “{why}”" for who, why in facts.audited_reads)
        ],
    )

    # The second child: Mexico sees its notice held back; Honduras sees nothing at all.
    async def held_back() -> list[dict[str, Any]]:
        listed = await dif.get("consular", "/v1/notifications", related_id=protected_id)
        items: list[dict[str, Any]] = listed.json()["items"]
        return items

    (facts.protected_host_notice, *_) = await wait_until(
        held_back, timeout=WAIT_S, what="the held-back notice of the second child"
    )
    dif.note(
        "checks the second child's consular notice",
        f"consular GET /v1/notifications?related_id={protected_id} → 200",
        sees=[
            f"{facts.protected_host_notice['kind']}, status "
            f"{facts.protected_host_notice['status']} "
            f"({facts.protected_host_notice.get('suppression_reason')})"
        ],
    )
    notice_id = facts.protected_host_notice["id"]
    for who in (dinaf, consul):
        seen: dict[str, Any] = {}
        seen["case"] = (await who.get("child_protection", f"/v1/cases/{protected_id}")).status_code
        seen["sensitive"] = (
            await stepped_up(who).read_sensitive(protected_id, "check")
        ).status_code
        listed = (await who.get("child_protection", "/v1/cases", limit=200)).json()["items"]
        ids = [c["id"] for c in listed]
        seen["listed"] = protected_id in ids
        seen["first_child_listed"] = case_id in ids
        seen["notifications"] = len(
            (await who.get("consular", "/v1/notifications", related_id=protected_id)).json()[
                "items"
            ]
        )
        seen["verifications"] = len(
            (await who.get("consular", "/v1/verifications", related_id=protected_id)).json()[
                "items"
            ]
        )
        seen["notice"] = (await who.get("consular", f"/v1/notifications/{notice_id}")).status_code
        if who is dinaf:
            seen["origin_assessment_write"] = (
                await who.put(
                    "child_protection",
                    f"/v1/cases/{protected_id}/origin-assessment",
                    {
                        "family_situation": "",
                        "home_situation": "",
                        "risks_on_return": "",
                        "caregiver_agrees_and_able": False,
                        "complete": False,
                    },
                )
            ).status_code
        facts.hidden_from[who.username] = seen
        who.note(
            "looks for the second child",
            f"child_protection GET /v1/cases/{protected_id} → {seen['case']}; …/sensitive → "
            f"{seen['sensitive']}; consular GET /v1/notifications/{notice_id} → {seen['notice']}",
            cannot_see=[
                f"her case (in its list of {len(ids)}: {seen['listed']}; "
                f"the first child is: {seen['first_child_listed']})",
                f"notifications about her: sees {seen['notifications']}; verification "
                f"requests: {seen['verifications']}",
            ],
        )


async def _audit(who: Actor, case_id: str) -> tuple[int, list[dict[str, Any]]]:
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        response = await who.get("child_protection", f"/v1/cases/{case_id}/audit", **params)
        if response.status_code != 200:
            return response.status_code, entries
        page = response.json()
        entries += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return 200, entries
