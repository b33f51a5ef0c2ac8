"""The access matrix: every line of POLICY.md as data — endpoint x record x demo user → the
status POLICY.md and API.md say the caller gets.

Written from the documents, never from the services' code:

- a caller no line allows to see a record gets **404** on every endpoint of that record (its
  existence does not leak);
- a caller who sees the record but may not perform the action gets **403**;
- an action on no existing record (create, report, budgets, reports, directories) denies with
  **403**; the directories allow every authenticated user;
- an allowed caller gets the endpoint's success code (`ok`); 409 only where the record's state
  makes it so, and then the rule says why;
- no token, or a token whose signature does not match its claims: **401** everywhere (API.md
  "Authentication").

`readers` is who may see the record; `allowed` who may perform the action (always readers too
when there is a record). For "listed" rules the expectation is whether the record appears in the
caller's list (`LISTED` / `ABSENT`). The records themselves (who they are about, who filed them,
what state each action needs) are created by `e2e.access.probes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from e2e.access.users import UNAUTHENTICATED, USERNAMES

LISTED = "listed"
ABSENT = "absent"
Expected = int | str


def users(*names: str) -> frozenset[str]:
    unknown = set(names) - set(USERNAMES)
    if unknown:
        raise ValueError(f"not demo users of POLICY.md: {sorted(unknown)}")
    return frozenset(names)


NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    service: str
    action: str  # a key of `e2e.access.probes.PROBES`
    record: str | None  # a key of `RECORDS`; None when the action acts on no existing record
    allowed: frozenset[str]
    ok: int = 200
    listing: bool = False
    # A listing inside a record (a person among a manifest's returnees): callers who may not read
    # the record get its 404, readers see the item (`allowed`) or not.
    within: bool = False
    why: str = ""  # the POLICY.md / API.md / DOMAIN.md line the rule mirrors
    # Callers allowed by POLICY.md whom a DOMAIN.md rule answers otherwise (e.g. 422).
    domain: dict[str, int] = field(default_factory=dict)
    readers: frozenset[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.record is not None:
            readers = RECORDS[self.record]
            object.__setattr__(self, "readers", readers)
            if not self.allowed <= readers:
                raise ValueError(f"{self.action} on {self.record}: allowed callers must see it")

    @property
    def name(self) -> str:
        return f"{self.service}: {self.action}" + (f" [{self.record}]" if self.record else "")

    def expected(self, caller: str) -> Expected:
        if caller in UNAUTHENTICATED:
            return 401
        if self.within and self.readers is not None and caller not in self.readers:
            return 404
        if self.listing or self.within:
            return LISTED if caller in self.allowed else ABSENT
        if caller in self.domain:
            return self.domain[caller]
        if caller in self.allowed:
            return self.ok
        if self.readers is None or caller in self.readers:
            return 403
        return 404


# --- the records and who may see each (the "read" line of each POLICY.md section) ------------

# Repatriation: "read a manifest and its returnees: immigration_officer of the sending or the
# receiving country; border_officer whose border_post = the manifest's reception point;
# consular_officer whose country = the receiving country". Sending country: Mexico.
MANIFEST_GT = "manifest MX→GT, GT-TECUN-UMAN"
MANIFEST_HN = "manifest MX→HN, HN-CORINTO"
# "consular_officer whose country = the receiving country, from submission on (never a draft)".
MANIFEST_GT_DRAFT = "draft manifest MX→GT, GT-TECUN-UMAN"
MANIFEST_HN_DRAFT = "draft manifest MX→HN, HN-CORINTO"
# "The receiving side never sees a person taken off for a protection need, nor the reason": a
# returnee of the submitted manifest MX→GT for whom Mexico recorded a fear of return.
RETURNEE_GT_PROTECTED = "returnee taken off the manifest MX→GT for a protection need"

# Child cases: "read the case summary: child_protection_officer / child_protection_supervisor of
# the host country or of the child's nationality; consular_officer of the child's nationality",
# minus the protection exception (the nationality's authorities see nothing). Host: Mexico.
CHILD_HN = "Honduran child in MX"
CHILD_GT = "Guatemalan child in MX"
CHILD_HN_PROTECTED = "Honduran child in MX with a protection need"
# "… or, for a child, a trafficking indicator not yet cleared by a host supervisor".
CHILD_HN_TRAFFICKING = "Honduran child in MX with a trafficking indicator"
CHILD_HN_CLEARED = "Honduran child in MX, trafficking indicator cleared by the host supervisor"
# Only a trafficking indicator is "cleared by a host supervisor": with a protection need the
# nationality sees nothing, whatever protection decision the supervisor records.
# A protection need found later, at the screening: from then on the same as from the start.
# Found after the consulate was notified (the notice reached consul.hn.tapachula first).
CHILD_HN_SCREENED = "Honduran child in MX, protection need found at the screening"
CHILD_HN_TRAFFICKING_LATE = (
    "Honduran child in MX, trafficking indicator found at the screening after the notice"
)
CHILD_HN_PROTECTED_CLEARED = (
    "Honduran child in MX with a protection need, block 'cleared' by the host supervisor"
)

# Reserve Fund: "read an application: authorities (consular, immigration) of the requesting
# country and consular officers of the beneficiary's nationality; fund_officer, fund_approver".
APPLICATION_SV = "Salvadoran over 70 in GT, filed by SV (consul.sv.tapachula)"
APPLICATION_GT = "Guatemalan over 70 in MX, filed by GT (consul.gt.tapachula)"
# Filed by the country of departure: El Salvador's consul reads it (the beneficiary's
# nationality), El Salvador's immigration officer does not (neither requesting nor consular).
APPLICATION_SV_BY_GT = "Salvadoran over 70 in GT, filed by GT (igm.gt)"

# Consular notifications: "read and acknowledge a notification: consular_officer whose country =
# the person's nationality", never when suppressed (protection exception); API.md: "the
# reporting side sees why" — the host authority that reported the event (the immigration
# officer for a detention or a manifest, the host child-protection authority for a child case).
DETENTION_HN = "detention of a Honduran in MX (reported by inm.mx)"
DETENTION_SV = "detention of a Salvadoran in GT (reported by igm.gt)"
DETENTION_HN_PROTECTED = "detention of a Honduran in MX with a protection need"
NOTICE_MANIFEST_GT = "repatriation notice of the manifest MX→GT"
NOTICE_MANIFEST_HN = "repatriation notice of the manifest MX→HN"
NOTICE_CHILD_HN = "consular notice of the Honduran child's case"
NOTICE_CHILD_HN_PROTECTED = "consular notice of the protected Honduran child's case"
NOTICE_CHILD_HN_CLEARED = "consular notice of the cleared Honduran child's case"
# DOMAIN.md §2: a protection need or trafficking indicator found later withdraws what the
# consulate was told — the notice ceases to exist for the nationality; the host side keeps it.
NOTICE_CHILD_HN_SCREENED = "consular notice of the Honduran child, protection need found later"
NOTICE_CHILD_HN_TRAFFICKING_LATE = (
    "consular notice of the Honduran child, trafficking indicator found later"
)

# Nationality verification: "confirm or reject a person's nationality: consular_officer whose
# country = the claimed nationality"; the request is the host's (Mexico's immigration officer
# sent the manifest), which reads it back.
VERIFICATION_GT = "nationality verification, Guatemalan returnee (manifest MX→GT)"
VERIFICATION_HN = "nationality verification, Honduran returnee (manifest MX→HN)"
# DOMAIN.md §1: a returnee taken off for a protection need — the request no longer exists for
# the consulate; one removed with an ordinary reason is `withdrawn` (nothing left to decide).
VERIFICATION_GT_PROTECTED = "nationality verification of a returnee taken off for protection"
VERIFICATION_GT_REMOVED = "nationality verification of a returnee removed from the manifest"

RECORDS: dict[str, frozenset[str]] = {
    MANIFEST_GT: users("inm.mx", "igm.gt", "border.gt.tecun", "consul.gt.tapachula"),
    MANIFEST_HN: users("inm.mx", "border.hn.corinto", "consul.hn.tapachula"),
    MANIFEST_GT_DRAFT: users("inm.mx", "igm.gt", "border.gt.tecun"),
    MANIFEST_HN_DRAFT: users("inm.mx", "border.hn.corinto"),
    RETURNEE_GT_PROTECTED: users("inm.mx", "igm.gt", "border.gt.tecun", "consul.gt.tapachula"),
    CHILD_HN: users("dif.mx", "dif.mx.supervisor", "dinaf.hn", "consul.hn.tapachula"),
    CHILD_GT: users("dif.mx", "dif.mx.supervisor", "sbs.gt", "consul.gt.tapachula"),
    CHILD_HN_PROTECTED: users("dif.mx", "dif.mx.supervisor"),
    CHILD_HN_TRAFFICKING: users("dif.mx", "dif.mx.supervisor"),
    CHILD_HN_CLEARED: users("dif.mx", "dif.mx.supervisor", "dinaf.hn", "consul.hn.tapachula"),
    CHILD_HN_PROTECTED_CLEARED: users("dif.mx", "dif.mx.supervisor"),
    CHILD_HN_SCREENED: users("dif.mx", "dif.mx.supervisor"),
    CHILD_HN_TRAFFICKING_LATE: users("dif.mx", "dif.mx.supervisor"),
    APPLICATION_SV: users(
        "consul.sv.tapachula", "dgme.sv", "iom.officer", "iom.approver", "iom.approver2"
    ),
    APPLICATION_GT: users(
        "consul.gt.tapachula", "igm.gt", "iom.officer", "iom.approver", "iom.approver2"
    ),
    APPLICATION_SV_BY_GT: users(
        "igm.gt",
        "consul.gt.tapachula",
        "consul.sv.tapachula",
        "iom.officer",
        "iom.approver",
        "iom.approver2",
    ),
    DETENTION_HN: users("consul.hn.tapachula", "inm.mx"),
    DETENTION_SV: users("consul.sv.tapachula", "igm.gt"),
    DETENTION_HN_PROTECTED: users("inm.mx"),
    NOTICE_MANIFEST_GT: users("consul.gt.tapachula", "inm.mx"),
    NOTICE_MANIFEST_HN: users("consul.hn.tapachula", "inm.mx"),
    NOTICE_CHILD_HN: users("consul.hn.tapachula", "dif.mx", "dif.mx.supervisor"),
    NOTICE_CHILD_HN_PROTECTED: users("dif.mx", "dif.mx.supervisor"),
    NOTICE_CHILD_HN_CLEARED: users("consul.hn.tapachula", "dif.mx", "dif.mx.supervisor"),
    NOTICE_CHILD_HN_SCREENED: users("dif.mx", "dif.mx.supervisor"),
    NOTICE_CHILD_HN_TRAFFICKING_LATE: users("dif.mx", "dif.mx.supervisor"),
    VERIFICATION_GT: users("consul.gt.tapachula", "inm.mx"),
    VERIFICATION_HN: users("consul.hn.tapachula", "inm.mx"),
    VERIFICATION_GT_PROTECTED: users("inm.mx"),
    VERIFICATION_GT_REMOVED: users("consul.gt.tapachula", "inm.mx"),
}

EVERYONE = frozenset(USERNAMES)


OUT_OF_STATE = "the action in a state that refuses it: 409 for the allowed caller only (API.md)"


def _manifest_rules(record: str, draft: str, border_officer: str) -> list[Rule]:
    readers = RECORDS[record]
    manage = users("inm.mx")  # immigration_officer of the sending country (MX)
    post = users(border_officer)
    r = "repatriation"
    return [
        Rule(r, "manifest.read", record, readers, why="read a manifest and its returnees"),
        Rule(r, "manifest.list", record, readers, listing=True, why="lists: only what one reads"),
        Rule(r, "manifest.handover_record", record, readers, why="read (the acta)"),
        Rule(r, "manifest.read_draft", draft, RECORDS[draft], why="consuls: never a draft"),
        Rule(r, "manifest.list_draft", draft, RECORDS[draft], listing=True, why="never a draft"),
        Rule(r, "manifest.submit", draft, manage, why="submit: immigration of sending country"),
        Rule(r, "manifest.add_returnee_draft", draft, manage, ok=201, why="edit draft"),
        Rule(r, "manifest.add_returnee_submitted", record, manage, ok=201, why="amend"),
        Rule(r, "manifest.remove_returnee_submitted", record, manage, why="amend"),
        Rule(
            r,
            "manifest.protection_need",
            record,
            manage,
            why="record a late protection need: immigration of the sending country",
        ),
        Rule(r, "manifest.cancel", record, manage, why="cancel"),
        Rule(r, "manifest.dispatch", record, manage, why="dispatch"),
        Rule(r, "manifest.handovers", record, post, why="hand-off: border_officer of the post"),
        # The same actions on a record in the wrong state: the allowed caller gets the state's
        # 409 (API.md), everyone else the same 403/404 — authorization comes before the state.
        Rule(r, "manifest.dispatch_draft", draft, manage, ok=409, why=OUT_OF_STATE),
        Rule(r, "manifest.handovers_submitted", record, post, ok=409, why=OUT_OF_STATE),
        Rule(
            r,
            "manifest.cancel_dispatched",
            record,
            manage,
            ok=409,
            why="a dispatched manifest is not cancelled: people are on the road (DOMAIN §1)",
        ),
        Rule(
            r,
            "manifest.protection_need_dispatched",
            record,
            manage,
            ok=409,
            why="a late protection need is recorded before dispatch (POLICY.md)",
        ),
    ]


def _child_rules(record: str, nationality_officer: str | None, *, protected: bool) -> list[Rule]:
    cp = "child_protection"
    readers = RECORDS[record]
    # "sensitive sections: child-protection roles of the host or the nationality country — not
    # consular officers"
    sensitive = frozenset(u for u in readers if not u.startswith("consul."))
    host_officer = users("dif.mx")
    host_supervisor = users("dif.mx.supervisor")
    origin = users(nationality_officer) if nationality_officer else NOBODY
    return [
        Rule(cp, "case.read", record, readers, why="read the case summary"),
        Rule(cp, "case.list", record, readers, listing=True, why="lists: only what one reads"),
        Rule(cp, "case.sensitive", record, sensitive, why="read sensitive sections"),
        Rule(cp, "case.protection_measures", record, host_officer, why="protection measures"),
        Rule(cp, "case.interviews", record, host_officer, why="interviews"),
        Rule(cp, "case.family_tracing", record, host_officer, why="family tracing"),
        Rule(cp, "case.bia", record, host_officer, why="the BIA: host officer"),
        # Host casework DOMAIN.md §2 names without a POLICY.md line of its own: the notification
        # of the host authority, the protection screening, the risk assessment (trafficking).
        Rule(cp, "case.notifications", record, host_officer, why="host casework (DOMAIN §2)"),
        Rule(cp, "case.screenings", record, host_officer, why="host casework (DOMAIN §2)"),
        Rule(cp, "case.risk_assessment", record, host_officer, why="host casework (DOMAIN §2)"),
        Rule(cp, "case.origin_assessment", record, origin, why="origin side: nationality officer"),
        Rule(
            cp,
            "case.bid",
            record,
            host_supervisor,
            why="BID: host supervisor, after a complete BIA and the origin assessment"
            + (" (waived for asylum while the consulate is blocked)" if protected else ""),
        ),
        Rule(
            cp,
            "case.bid_review",
            record,
            host_supervisor,
            why="the host supervisor reopens the BID (DOMAIN §2)",
        ),
        *(
            []
            if protected
            else [
                Rule(
                    cp,
                    "case.return_plan",
                    record,
                    host_officer,
                    why="host officer plans the return after a BID to return (DOMAIN §2 gates)",
                )
            ]
        ),
        Rule(cp, "case.reception", record, origin, why="confirm reception: nationality officer"),
        Rule(cp, "case.follow_up", record, origin, why="follow-up: nationality officer"),
        Rule(
            cp,
            "case.protection_decision",
            record,
            host_supervisor,
            ok=200 if protected else 409,
            why="host supervisor keeps or clears the consular block (API.md)"
            + ("" if protected else "; 409: this case is not blocked"),
        ),
        Rule(cp, "case.audit", record, host_supervisor, why="case audit: host supervisor"),
        *(
            []
            if protected
            else [
                Rule(cp, "case.bid_unassessed", record, host_supervisor, ok=409, why=OUT_OF_STATE),
                Rule(cp, "case.reception_unplanned", record, origin, ok=409, why=OUT_OF_STATE),
                Rule(cp, "case.follow_up_unreceived", record, origin, ok=409, why=OUT_OF_STATE),
            ]
        ),
    ]


def _visibility_rules(record: str, nationality_officer: str | None) -> list[Rule]:
    """Who sees a child case after a screening or the host supervisor's protection decision."""
    cp = "child_protection"
    readers = RECORDS[record]
    sensitive = frozenset(u for u in readers if not u.startswith("consul."))
    origin = users(nationality_officer) if nationality_officer else NOBODY
    why = "the protection exception, after the screening or a protection decision"
    return [
        Rule(cp, "case.read", record, readers, why=why),
        Rule(cp, "case.list", record, readers, listing=True, why=why),
        Rule(cp, "case.sensitive", record, sensitive, why=why),
        Rule(cp, "case.origin_assessment", record, origin, why=why),
    ]


def _application_rules(record: str, requesting_authorities: frozenset[str]) -> list[Rule]:
    f = "reserve_fund"
    readers = RECORDS[record]
    officer = users("iom.officer")
    approvers = users("iom.approver", "iom.approver2")
    return [
        Rule(f, "application.read", record, readers, why="read an application"),
        Rule(f, "application.list", record, readers, listing=True, why="lists"),
        Rule(f, "application.submit", record, requesting_authorities, why="create and submit"),
        Rule(f, "application.review", record, officer, why="review: fund_officer"),
        Rule(f, "application.request_info", record, officer, why="request information"),
        Rule(
            f,
            "application.provide_information",
            record,
            requesting_authorities,
            why="the applicant answers (create and submit: its authority)",
        ),
        Rule(f, "application.approve", record, approvers, why="approve: not the reviewer"),
        Rule(f, "application.reject", record, approvers, why="reject: not the reviewer"),
        Rule(
            f,
            "application.second_approval",
            record,
            approvers,
            domain={"iom.approver": 409},
            why="above the threshold two different approvers: iom.approver approved already",
        ),
        Rule(f, "application.disburse", record, officer, ok=201, why="record disbursement"),
        Rule(f, "application.complete", record, officer, why="record completed return"),
        Rule(f, "application.approve_unreviewed", record, approvers, ok=409, why=OUT_OF_STATE),
        Rule(f, "application.disburse_unapproved", record, officer, ok=409, why=OUT_OF_STATE),
        Rule(f, "application.complete_undisbursed", record, officer, ok=409, why=OUT_OF_STATE),
    ]


def _notification_rules(record: str, consul: str | None) -> list[Rule]:
    c = "consular"
    readers = RECORDS[record]
    ack = users(consul) if consul else NOBODY
    return [
        Rule(c, "notification.read", record, readers, why="read a notification"),
        Rule(c, "notification.list", record, readers, listing=True, why="lists"),
        Rule(c, "notification.acknowledge", record, ack, why="acknowledge: consul of nationality"),
        Rule(
            c,
            "notification.record_action",
            record,
            ack,
            ok=201,
            why="record consular access or a visit: consul of nationality",
        ),
    ]


def _verification_rules(record: str, consul: str) -> list[Rule]:
    c = "consular"
    readers = RECORDS[record]
    return [
        Rule(c, "verification.read", record, readers, why="the request and its decision"),
        Rule(c, "verification.list", record, readers, listing=True, why="lists"),
        Rule(c, "verification.decide", record, users(consul), why="consul of the nationality"),
        Rule(c, "verification.decide_again", record, users(consul), ok=409, why=OUT_OF_STATE),
    ]


IMMIGRATION = users("inm.mx", "igm.gt", "dgme.sv")
SERVICES = ("repatriation", "child_protection", "reserve_fund", "consular")

RULES: tuple[Rule, ...] = (
    # --- repatriation manifests -------------------------------------------------------------
    # "create: immigration_officer whose country = the manifest's sending country": the caller's
    # country becomes the sending country, so every immigration officer may create; DOMAIN §1
    # (a repatriation goes to another party) makes Guatemala → Guatemala invalid input (422).
    Rule(
        "repatriation",
        "manifest.create_to_gt",
        None,
        IMMIGRATION,
        ok=201,
        domain={"igm.gt": 422},
        why="create: immigration officers; igm.gt would send GT→GT: invalid (DOMAIN §1)",
    ),
    Rule("repatriation", "manifest.create_to_hn", None, IMMIGRATION, ok=201, why="create"),
    *_manifest_rules(MANIFEST_GT, MANIFEST_GT_DRAFT, "border.gt.tecun"),
    *_manifest_rules(MANIFEST_HN, MANIFEST_HN_DRAFT, "border.hn.corinto"),
    # The person taken off for a protection need is in no list of the receiving side: not among
    # the manifest's returnees, not in the acta; Mexico keeps the fact (and the reason) to itself.
    Rule(
        "repatriation",
        "manifest.protected_returnee_in_manifest",
        RETURNEE_GT_PROTECTED,
        NOBODY,
        within=True,
        why="the receiving side never sees a person taken off for a protection need",
    ),
    Rule(
        "repatriation",
        "manifest.protected_returnee_in_handover_record",
        RETURNEE_GT_PROTECTED,
        NOBODY,
        within=True,
        why="the receiving side never sees a person taken off for a protection need",
    ),
    # --- unaccompanied-child cases ----------------------------------------------------------
    Rule("child_protection", "case.open_hn", None, users("dif.mx"), ok=201, why="open: host"),
    Rule("child_protection", "case.open_gt", None, users("dif.mx"), ok=201, why="open: host"),
    Rule(
        "child_protection",
        "case.open_hn_protected",
        None,
        users("dif.mx"),
        ok=201,
        why="open: child-protection officer of the host country",
    ),
    *_child_rules(CHILD_HN, "dinaf.hn", protected=False),
    *_child_rules(CHILD_GT, "sbs.gt", protected=False),
    *_child_rules(CHILD_HN_PROTECTED, None, protected=True),
    *_child_rules(CHILD_HN_TRAFFICKING, None, protected=True),
    *_visibility_rules(CHILD_HN_CLEARED, "dinaf.hn"),
    *_visibility_rules(CHILD_HN_PROTECTED_CLEARED, None),
    *_visibility_rules(CHILD_HN_SCREENED, None),
    *_visibility_rules(CHILD_HN_TRAFFICKING_LATE, None),
    # --- Reserve Fund -----------------------------------------------------------------------
    # "create and submit: consular_officer or immigration_officer of an RCM member state";
    # DOMAIN §3: an authority of the country of departure or of return — never a third country.
    Rule(
        "reserve_fund",
        "application.create_sv",
        None,
        users("consul.sv.tapachula", "dgme.sv", "consul.gt.tapachula", "igm.gt"),
        ok=201,
        why="create: authorities of SV (return) or GT (departure)",
    ),
    Rule(
        "reserve_fund",
        "application.create_gt",
        None,
        users("consul.gt.tapachula", "igm.gt", "inm.mx"),
        ok=201,
        why="create: authorities of GT (return) or MX (departure)",
    ),
    *_application_rules(APPLICATION_SV, users("consul.sv.tapachula", "dgme.sv")),
    *_application_rules(APPLICATION_GT, users("consul.gt.tapachula", "igm.gt")),
    *(
        Rule("reserve_fund", action, APPLICATION_SV_BY_GT, allowed, listing=listing, why=why)
        for action, allowed, listing, why in (
            ("application.read", RECORDS[APPLICATION_SV_BY_GT], False, "read an application"),
            ("application.list", RECORDS[APPLICATION_SV_BY_GT], True, "lists"),
            ("application.submit", users("igm.gt", "consul.gt.tapachula"), False, "submit"),
            ("application.review", users("iom.officer"), False, "review: fund_officer"),
        )
    ),
    Rule(
        "reserve_fund",
        "budget.set",
        None,
        users("iom.approver", "iom.approver2"),
        why="set the yearly budget: fund_approver",
    ),
    Rule(
        "reserve_fund",
        "budget.read",
        None,
        users("ts.rcm", "iom.officer", "iom.approver", "iom.approver2"),
        why="aggregates (no personal data): secretariat, fund_officer, fund_approver",
    ),
    Rule(
        "reserve_fund",
        "report.read",
        None,
        users("ts.rcm", "iom.officer", "iom.approver", "iom.approver2"),
        why="aggregate reports: secretariat, fund_officer, fund_approver",
    ),
    # --- consular notifications and nationality verification --------------------------------
    Rule(
        "consular",
        "notification.report_mx",
        None,
        users("inm.mx"),
        ok=201,
        why="report a detention: immigration_officer of the host country (MX)",
    ),
    Rule(
        "consular",
        "notification.report_gt",
        None,
        users("igm.gt"),
        ok=201,
        why="report a detention: immigration_officer of the host country (GT)",
    ),
    *_notification_rules(DETENTION_HN, "consul.hn.tapachula"),
    *_notification_rules(DETENTION_SV, "consul.sv.tapachula"),
    *_notification_rules(DETENTION_HN_PROTECTED, None),
    *_notification_rules(NOTICE_MANIFEST_GT, "consul.gt.tapachula"),
    *_notification_rules(NOTICE_MANIFEST_HN, "consul.hn.tapachula"),
    *_notification_rules(NOTICE_CHILD_HN, "consul.hn.tapachula"),
    *_notification_rules(NOTICE_CHILD_HN_PROTECTED, None),
    *_notification_rules(NOTICE_CHILD_HN_CLEARED, "consul.hn.tapachula"),
    *_notification_rules(NOTICE_CHILD_HN_SCREENED, None),
    *_notification_rules(NOTICE_CHILD_HN_TRAFFICKING_LATE, None),
    *_verification_rules(VERIFICATION_GT, "consul.gt.tapachula"),
    *_verification_rules(VERIFICATION_HN, "consul.hn.tapachula"),
    *(
        Rule("consular", action, VERIFICATION_GT_PROTECTED, allowed, listing=listing, why=why)
        for action, allowed, listing, why in (
            ("verification.read", users("inm.mx"), False, "no longer exists for the consulate"),
            ("verification.list", users("inm.mx"), True, "no longer exists for the consulate"),
            ("verification.decide", NOBODY, False, "nothing to decide: the person is off"),
        )
    ),
    *(
        Rule("consular", action, VERIFICATION_GT_REMOVED, allowed, ok=ok, listing=listing, why=w)
        for action, allowed, ok, listing, w in (
            ("verification.read", RECORDS[VERIFICATION_GT_REMOVED], 200, False, "withdrawn"),
            ("verification.list", RECORDS[VERIFICATION_GT_REMOVED], 200, True, "withdrawn"),
            (
                "verification.decide",
                users("consul.gt.tapachula"),
                409,
                False,
                "withdrawn: nothing left to decide (DOMAIN §1)",
            ),
        )
    ),
    # --- directories: "any authenticated user" ----------------------------------------------
    Rule("repatriation", "directory.reception_points", None, EVERYONE, why="directory"),
    Rule("consular", "directory.consular_posts", None, EVERYONE, why="directory"),
    # API.md: every service answers `GET /v1/me` with the caller's verified principal.
    *(Rule(s, "me", None, EVERYONE, why="GET /v1/me") for s in SERVICES),
    # POLICY.md "Statistics": aggregate figures for the `secretariat`, and each country's
    # authorities for their own country's (asked here without `country`: their own is implied).
    Rule(
        "repatriation",
        "statistics.read",
        None,
        users("ts.rcm", "inm.mx", "igm.gt", "dgme.sv"),
        why="statistics: secretariat; immigration officers for their own corridors",
    ),
    Rule(
        "child_protection",
        "statistics.read",
        None,
        users("ts.rcm", "dif.mx.supervisor"),
        why="statistics: secretariat; the host country's child-protection supervisor",
    ),
    Rule(
        "consular",
        "statistics.read",
        None,
        users("ts.rcm", "inm.mx", "igm.gt", "dgme.sv"),
        why="statistics: secretariat; immigration officers for their own country's notices",
    ),
    Rule(
        "reserve_fund",
        "statistics.read",
        None,
        users(
            "ts.rcm", "iom.officer", "iom.approver", "iom.approver2", "inm.mx", "igm.gt", "dgme.sv"
        ),
        why="statistics: secretariat and fund staff; immigration officers for their own country",
    ),
)


# --- the order of the checks -----------------------------------------------------------------
# POLICY.md: visibility first (404), then permission (403), then state and input. So a body the
# allowed caller would be refused (422) must not change what anyone else is told: every write
# below is asked again with a body that breaks the schema (an unknown field) and, for the acts
# of a child case that carry a date, with a date in the future (a rule that needs the record).

INVALID = "+unknown_field"
FUTURE = "+future_date"
CHECK_ORDER = "an invalid body: still 404 for who may not see, 403 for who may not act"

# Write actions that take a JSON body, and those whose body carries the date of the act.
WITH_BODY: tuple[str, ...] = (
    "manifest.add_returnee_draft",
    "manifest.add_returnee_submitted",
    "manifest.protection_need",
    "manifest.cancel",
    "manifest.handovers",
    "case.protection_measures",
    "case.interviews",
    "case.family_tracing",
    "case.bia",
    "case.notifications",
    "case.screenings",
    "case.risk_assessment",
    "case.origin_assessment",
    "case.bid",
    "case.bid_review",
    "case.return_plan",
    "case.reception",
    "case.follow_up",
    "case.protection_decision",
    "application.review",
    "application.request_info",
    "application.provide_information",
    "application.approve",
    "application.reject",
    "application.disburse",
    "verification.decide",
)
DATED: tuple[str, ...] = (
    "case.protection_measures",
    "case.interviews",
    "case.family_tracing",
    "case.notifications",
    "case.screenings",
    "case.risk_assessment",
    "case.reception",
    "case.follow_up",
)


def _check_order(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    variants = []
    for rule in rules:
        if rule.record is None or rule.listing or rule.within:
            continue
        for suffix, actions in ((INVALID, WITH_BODY), (FUTURE, DATED)):
            if rule.action in actions:
                variants.append(
                    Rule(
                        rule.service,
                        rule.action + suffix,
                        rule.record,
                        rule.allowed,
                        ok=422,
                        why=CHECK_ORDER,
                    )
                )
    return tuple(variants)


RULES = RULES + _check_order(RULES)
