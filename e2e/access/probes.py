"""How each action of the matrix is asked: the record it acts on, brought into the state the
action needs, and the request every caller sends.

A probe has a `setup` (creates one record instance through the public API, as the users whose
job it is) and a `request` (the call on that instance). The runner gives the callers who are
denied one shared instance and every allowed caller of a state-changing action an instance of its
own, so no cell depends on the order of the others. Bodies are valid for the allowed caller (a
2xx is expected); the denied callers send the same well-formed body.

Nothing here decides who may do what: that is `e2e.access.matrix`, written from POLICY.md.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from e2e import bodies
from e2e.access import matrix as m
from e2e.access.users import ANONYMOUS
from puebla_dev.testing.waiting import wait_until

WAIT_S = 45.0  # eventual effects across services (NATS); the usual case takes well under 1 s


class SetupFailed(AssertionError):
    """A step that brings a record into the state an action needs did not answer as expected."""


@dataclass(frozen=True)
class Call:
    method: str
    service: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    # A listing: look for `target` in the pages of this list (newest first by `newest_key`,
    # so the search stops once the items are older than the target's `since`).
    target: str | None = None
    newest_key: str | None = None
    since: str | None = None
    # Where the items are (a page's `items`; a manifest's `returnees`) and what names them.
    items_key: str = "items"
    id_key: str = "id"
    headers: dict[str, str] | None = None  # beside the caller's Authorization
    # Sent with the caller's acr-2 token (password + OTP) when they have one: `/sensitive`
    # needs a recent second factor (issue 15), which the password grant never gives.
    step_up: bool = False


class Env:
    """One run against the stack: an HTTP client, the services' addresses, fresh tokens."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        urls: dict[str, str],
        tokens: dict[str, str],
        *,
        concurrency: int = 16,
        step_up_tokens: dict[str, str] | None = None,
    ) -> None:
        self.http = http
        self.urls = urls
        self.tokens = tokens
        self.step_up_tokens = step_up_tokens or {}
        self.limit = asyncio.Semaphore(concurrency)
        self._once: dict[Any, asyncio.Task[Any]] = {}

    def once(self, key: Any, factory: Callable[[], Awaitable[Any]]) -> asyncio.Task[Any]:
        """The same task for the same key: records several probes share are made once."""
        task = self._once.get(key)
        if task is None:
            task = self._once[key] = asyncio.ensure_future(factory())
        return task

    async def send(self, caller: str, call: Call, params: dict[str, Any] | None = None) -> Any:
        headers = dict(call.headers or {})
        if caller != ANONYMOUS:
            token = self.tokens[caller]
            if call.step_up:
                token = self.step_up_tokens.get(caller, token)
            headers["Authorization"] = f"Bearer {token}"
        async with self.limit:
            return await self.http.request(
                call.method,
                self.urls[call.service] + call.path,
                params=params if params is not None else call.params,
                json=call.json,
                headers=headers,
            )

    async def do(
        self,
        user: str,
        method: str,
        service: str,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
        expect: int = 200,
    ) -> Any:
        """A setup step: it must answer `expect`, else the record cannot be prepared."""
        response = await self.send(user, Call(method, service, path, params, json))
        if response.status_code != expect:
            raise SetupFailed(
                f"setup: {user} {method} {path} answered {response.status_code} "
                f"(expected {expect}): {response.text[:500]}"
            )
        return response.json() if response.content else None


Setup = Callable[[Env, str, int], Awaitable[Any]]
Request = Callable[[Any, str], Call]


@dataclass(frozen=True)
class Probe:
    request: Request
    setup: Setup | None = None  # None: the action acts on no existing record
    # Set when the record instance is shared by every caller, the allowed ones included (reads,
    # and writes that a second time change nothing); probes with the same key share instances.
    shared: str | None = None


def now(hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


# --- repatriation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestFacts:
    country: str
    point: str
    time_zone: str
    consul: str
    border: str
    origin: str


_TO_GT = ManifestFacts(
    "GT",
    "GT-TECUN-UMAN",
    "America/Guatemala",
    "consul.gt.tapachula",
    "border.gt.tecun",
    "Quetzaltenango",
)
_TO_HN = ManifestFacts(
    "HN",
    "HN-CORINTO",
    "America/Tegucigalpa",
    "consul.hn.tapachula",
    "border.hn.corinto",
    "San Pedro Sula",
)
MANIFESTS = {
    m.MANIFEST_GT: _TO_GT,
    m.MANIFEST_HN: _TO_HN,
    m.MANIFEST_GT_DRAFT: _TO_GT,
    m.MANIFEST_HN_DRAFT: _TO_HN,
    m.RETURNEE_GT_PROTECTED: _TO_GT,
}


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def returnee(nationality: str, origin: str) -> dict[str, Any]:
    """An adult travelling alone (a family group of one), unique in every run."""
    return bodies.returnee(
        "Rosa Elena",
        f"Ixcot {suffix()}",
        nationality=nationality,
        origin=origin,
        born="1988-02-11",
        family=f"family {suffix()}",
    )


def manifest_body(facts: ManifestFacts, people: int) -> dict[str, Any]:
    departure, arrival = bodies.arrival_slot(time_zone=facts.time_zone)
    return {
        "receiving_country": facts.country,
        "reception_point": facts.point,
        "scheduled_departure": departure,
        "scheduled_arrival": arrival,
        "vehicle": {"plate": "CHS-4521", "seats": 40},
        "returnees": [returnee(facts.country, facts.origin) for _ in range(people)],
    }


async def draft_manifest(env: Env, record: str, slot: int, people: int = 2) -> Any:
    body = manifest_body(MANIFESTS[record], people)
    return await env.do("inm.mx", "POST", "repatriation", "/v1/manifests", body, expect=201)


async def submitted_manifest(env: Env, record: str, slot: int, people: int = 2) -> Any:
    draft = await draft_manifest(env, record, slot, people)
    path = f"/v1/manifests/{draft['id']}/submit"
    return await env.do("inm.mx", "POST", "repatriation", path)


async def verifications_of(env: Env, manifest: Any, consul: str) -> list[Any]:
    wanted = len(manifest["returnees"])

    async def listed() -> list[Any]:
        page = await env.do(
            consul, "GET", "consular", "/v1/verifications", params={"related_id": manifest["id"]}
        )
        items: list[Any] = page["items"]
        return items if len(items) == wanted else []

    found = await wait_until(listed, timeout=WAIT_S, what=f"verifications of {manifest['id']}")
    return sorted(found, key=lambda v: str(v["related"]["returnee_id"]))


async def confirmed_manifest(env: Env, record: str, slot: int) -> Any:
    """Submitted, and every returnee's nationality confirmed by the consul (ready to dispatch)."""
    facts = MANIFESTS[record]
    manifest = await submitted_manifest(env, record, slot, people=1)
    for v in await verifications_of(env, manifest, facts.consul):
        path = f"/v1/verifications/{v['id']}/decision"
        await env.do(facts.consul, "POST", "consular", path, {"decision": "confirmed"})

    async def all_confirmed() -> Any:
        read = await env.do("inm.mx", "GET", "repatriation", f"/v1/manifests/{manifest['id']}")
        statuses = {r["nationality_status"] for r in read["returnees"]}
        return read if statuses == {"confirmed"} else None

    return await wait_until(all_confirmed, timeout=WAIT_S, what="confirmations in repatriation")


async def dispatched_manifest(env: Env, record: str, slot: int) -> Any:
    manifest = await confirmed_manifest(env, record, slot)
    path = f"/v1/manifests/{manifest['id']}/dispatch"
    return await env.do("inm.mx", "POST", "repatriation", path)


async def decided_verification(env: Env, record: str, slot: int) -> Any:
    """The third returnee's request on the shared manifest, already confirmed by the consul."""
    v = await verification(env, record, 2)
    consul = VERIFIED[record][1]
    path = f"/v1/verifications/{v['id']}/decision"
    return await env.do(consul, "POST", "consular", path, {"decision": "confirmed"})


async def read_manifest(env: Env, record: str, slot: int) -> Any:
    """The manifest every read probe shares (three returnees: three verification requests)."""
    return await env.once(("manifest", record), lambda: submitted_manifest(env, record, 0, 3))


FEAR_OF_RETURN = {"kind": "fear_of_return", "note": "Says the gang that expelled him waits."}


async def protected_returnee(env: Env, record: str, slot: int) -> Any:
    """A submitted manifest whose consulate already holds every verification request; then
    Mexico records a fear of return for its last returnee. The instance: the manifest (as
    `id`) and that returnee's id and verification request."""

    async def make() -> Any:
        facts = MANIFESTS[record]
        manifest = await submitted_manifest(env, record, 0, people=3)
        person = manifest["returnees"][-1]["id"]
        (request,) = [
            v
            for v in await verifications_of(env, manifest, facts.consul)
            if str(v["related"]["returnee_id"]) == str(person)
        ]
        path = f"/v1/manifests/{manifest['id']}/returnees/{person}/protection-need"
        await env.do("inm.mx", "POST", "repatriation", path, FEAR_OF_RETURN)
        return {"id": manifest["id"], "returnee_id": person, "verification": request}

    return await env.once(("protected returnee", record), make)


async def gone_for(env: Env, user: str, service: str, path: str) -> None:
    """Waits until `user` is told 404 for `path` (an effect that crosses the bus)."""

    async def gone() -> bool:
        response = await env.send(user, Call("GET", service, path))
        return bool(response.status_code == 404)

    await wait_until(gone, timeout=WAIT_S, what=f"{path} gone for {user}")


async def protected_verification(env: Env, record: str, slot: int) -> Any:
    returnee = await protected_returnee(env, m.RETURNEE_GT_PROTECTED, 0)
    request = returnee["verification"]
    await gone_for(env, "consul.gt.tapachula", "consular", f"/v1/verifications/{request['id']}")
    return request


async def removed_verification(env: Env, record: str, slot: int) -> Any:
    """The request of a returnee removed from a submitted manifest with an ordinary reason,
    once the consulate sees it withdrawn."""
    facts = MANIFESTS[m.MANIFEST_GT]
    manifest = await submitted_manifest(env, m.MANIFEST_GT, slot, people=2)
    person = manifest["returnees"][-1]["id"]
    (request,) = [
        v
        for v in await verifications_of(env, manifest, facts.consul)
        if str(v["related"]["returnee_id"]) == str(person)
    ]
    path = f"/v1/manifests/{manifest['id']}/returnees/{person}"
    await env.do(
        "inm.mx", "DELETE", "repatriation", path, params={"reason": "Transferred to Acayucan"}
    )

    async def withdrawn() -> Any:
        read = await env.do(facts.consul, "GET", "consular", f"/v1/verifications/{request['id']}")
        return read if read["status"] == "withdrawn" else None

    return await wait_until(withdrawn, timeout=WAIT_S, what="the removed returnee's withdrawal")


def _manifest(path: str = "") -> Callable[[Any], str]:
    return lambda man: f"/v1/manifests/{man['id']}{path}"


def manifest_list(man: Any, record: str) -> Call:
    params = {"reception_point": MANIFESTS[record].point, "limit": 200}
    return Call(
        "GET",
        "repatriation",
        "/v1/manifests",
        params,
        target=man["id"],
        newest_key="created_at",
        since=man["created_at"],
    )


def new_returnee_call(man: Any, record: str) -> Call:
    facts = MANIFESTS[record]
    person = returnee(facts.country, facts.origin)
    return Call("POST", "repatriation", f"/v1/manifests/{man['id']}/returnees", json=person)


def create_manifest_call(record: str) -> Request:
    return lambda _, __: Call(
        "POST", "repatriation", "/v1/manifests", json=manifest_body(MANIFESTS[record], 1)
    )


def get(
    service: str,
    path: Callable[[Any], str],
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    *,
    step_up: bool = False,
) -> Request:
    return lambda instance, _: Call(
        "GET", service, path(instance), params, headers=headers, step_up=step_up
    )


def post(service: str, path: Callable[[Any], str], body: Any = None) -> Request:
    return lambda instance, _: Call("POST", service, path(instance), json=body)


def put(service: str, path: Callable[[Any], str], body: Any) -> Request:
    return lambda instance, _: Call("PUT", service, path(instance), json=body)


# --- child protection ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFacts:
    nationality: str
    nationality_officer: str | None
    reception_point: str | None
    languages: tuple[str, ...] = ("es",)
    protection_need: bool = False
    trafficking_indicator: bool = False
    cleared: bool = False  # the host supervisor recorded clear_block=true after opening
    screened_need: bool = False  # a protection need found at the screening after opening
    screened_trafficking: bool = False  # a trafficking indicator found there, not cleared

    @property
    def screened(self) -> bool:
        return self.screened_need or self.screened_trafficking

    @property
    def blocked(self) -> bool:
        """Blocked for the consulate as POLICY.md reads: a protection need always, a trafficking
        indicator until a host supervisor clears it."""
        need = self.protection_need or self.screened_need
        trafficking = self.trafficking_indicator or self.screened_trafficking
        return need or (trafficking and not self.cleared)


CHILDREN = {
    m.CHILD_HN: ChildFacts("HN", "dinaf.hn", "HN-CORINTO"),
    m.CHILD_GT: ChildFacts("GT", "sbs.gt", "GT-TECUN-UMAN", ("es", "mam")),
    m.CHILD_HN_PROTECTED: ChildFacts("HN", None, None, protection_need=True),
    m.CHILD_HN_TRAFFICKING: ChildFacts("HN", None, None, trafficking_indicator=True),
    m.CHILD_HN_SCREENED: ChildFacts("HN", None, None, screened_need=True),
    m.CHILD_HN_TRAFFICKING_LATE: ChildFacts("HN", None, None, screened_trafficking=True),
    m.CHILD_HN_PROTECTED_CLEARED: ChildFacts("HN", None, None, protection_need=True, cleared=True),
    m.CHILD_HN_CLEARED: ChildFacts(
        "HN", "dinaf.hn", "HN-CORINTO", trafficking_indicator=True, cleared=True
    ),
}

BIA_COMPLETE = {
    "safety": "No threats known at the mother's home.",
    "family": "Mother at home; father absent.",
    "health": "Healthy; minor dehydration treated on arrival.",
    "education": "Finished 6th grade.",
    "child_views": "Wants to go back to his mother.",
    "child_views_absent_reason": None,
    "recommendation": "Return to the mother with follow-up by the origin authority.",
    "complete": True,
}
ORIGIN_COMPLETE = {
    "family_situation": "Mother works in a market; two younger siblings.",
    "home_situation": "Rented house, stable.",
    "risks_on_return": "None identified by the home visit.",
    "caregiver": {"name": "Rosa Reyes", "relationship": "mother"},
    "caregiver_agrees_and_able": True,
    "complete": True,
}
BID_RETURN = {
    "decision": "return",
    "reasons": "Safe family environment; the child wishes to return.",
    "panel": ["Lic. Ana Torres (DIF)", "Mtra. Laura Ruiz (PFPNNA)"],
    "child_views_considered": "He asked to return to his mother.",
}
BID_ASYLUM = {
    "decision": "asylum",
    "reasons": "Well-founded fear of return; refer to COMAR.",
    "panel": ["Lic. Ana Torres (DIF)", "Mtra. Laura Ruiz (PFPNNA)"],
    "child_views_considered": "He is afraid to go back.",
}


def case_body(facts: ChildFacts) -> dict[str, Any]:
    return {
        "child": {
            "given_names": "Kevin Josué",
            "surnames": f"Martínez {suffix()}",
            "sex": "M",
            "date_of_birth": "2012-04-09",
            "nationality": facts.nationality,
            "languages": list(facts.languages),
        },
        "identified_at": now(-2),
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "accompaniment": "unaccompanied",
        "age_disputed": False,
        "protection_need": facts.protection_need,
        "trafficking_indicator": facts.trafficking_indicator,
        **(
            {"indicator_details": "Recruiter's number in his phone"}
            if facts.trafficking_indicator
            else {}
        ),
    }


CONSULS = {"HN": "consul.hn.tapachula", "GT": "consul.gt.tapachula", "SV": "consul.sv.tapachula"}


async def notice_seen(env: Env, consul: str, related_id: str) -> Any:
    async def listed() -> list[Any]:
        page = await env.do(
            consul, "GET", "consular", "/v1/notifications", params={"related_id": related_id}
        )
        items: list[Any] = page["items"]
        return items

    return await wait_until(listed, timeout=WAIT_S, what=f"{consul} notified of {related_id}")


async def opened_case(env: Env, record: str, slot: int) -> Any:
    facts = CHILDREN[record]
    case = await env.do(
        "dif.mx", "POST", "child_protection", "/v1/cases", case_body(facts), expect=201
    )
    if facts.screened:
        # Found late: the child's consulate was told first (its notice is there to withdraw).
        await notice_seen(env, CONSULS[facts.nationality], case["id"])
        screening = {
            "protection_need": facts.screened_need,
            "trafficking_indicator": facts.screened_trafficking,
            "notes": (
                "Was promised work by a man who kept his papers."
                if facts.screened_trafficking
                else "Says he fears the gang that threatened his family."
            ),
        }
        path = f"/v1/cases/{case['id']}/screenings"
        case = await env.do("dif.mx", "POST", "child_protection", path, screening)
    if facts.cleared:
        decision = {"clear_block": True, "reasons": "Indicator not confirmed; family not involved."}
        path = f"/v1/cases/{case['id']}/protection-decision"
        if facts.protection_need:
            # Whether the service takes or refuses this decision, the case is what the matrix
            # asks about: the nationality must still see nothing (POLICY.md).
            await env.send(
                "dif.mx.supervisor", Call("POST", "child_protection", path, json=decision)
            )
        else:
            case = await env.do("dif.mx.supervisor", "POST", "child_protection", path, decision)
    return case


async def assessed_case(env: Env, record: str, slot: int) -> Any:
    """A complete BIA and, unless the consulate is blocked, a complete origin assessment."""
    facts = CHILDREN[record]
    case = await opened_case(env, record, slot)
    path = f"/v1/cases/{case['id']}"
    case = await env.do("dif.mx", "PUT", "child_protection", f"{path}/bia", BIA_COMPLETE)
    if facts.nationality_officer:
        case = await env.do(
            facts.nationality_officer,
            "PUT",
            "child_protection",
            f"{path}/origin-assessment",
            ORIGIN_COMPLETE,
        )
    return case


async def determined_case(env: Env, record: str, slot: int) -> Any:
    """The BID decided: return, or asylum while the consulate is blocked."""
    facts = CHILDREN[record]
    case = await assessed_case(env, record, slot)
    bid = BID_ASYLUM if facts.blocked else BID_RETURN
    path = f"/v1/cases/{case['id']}/bid"
    return await env.do("dif.mx.supervisor", "POST", "child_protection", path, bid)


async def return_planned_case(env: Env, record: str, slot: int) -> Any:
    facts = CHILDREN[record]
    if facts.blocked:  # no return while blocked: nobody is allowed to receive anyway
        return await opened_case(env, record, slot)
    case = await determined_case(env, record, slot)
    path = f"/v1/cases/{case['id']}"
    plan = {
        "reception_point": facts.reception_point,
        "scheduled_at": now(48),
        "escort": "Lic. Pedro Gómez (DIF)",
    }
    return await env.do("dif.mx", "POST", "child_protection", f"{path}/return-plan", plan)


async def received_case(env: Env, record: str, slot: int) -> Any:
    facts = CHILDREN[record]
    case = await return_planned_case(env, record, slot)
    if facts.nationality_officer is None:
        return case
    body = {"received_at": now(), "received_by_institution": "Origin child-protection office"}
    path = f"/v1/cases/{case['id']}/reception"
    return await env.do(facts.nationality_officer, "POST", "child_protection", path, body)


async def read_case(env: Env, record: str, slot: int) -> Any:
    return await env.once(("case", record), lambda: opened_case(env, record, 0))


def _case(path: str = "") -> Callable[[Any], str]:
    return lambda case: f"/v1/cases/{case['id']}{path}"


def open_case_call(record: str) -> Request:
    return lambda _, __: Call(
        "POST", "child_protection", "/v1/cases", json=case_body(CHILDREN[record])
    )


def bid_call(case: Any, record: str) -> Call:
    body = BID_ASYLUM if CHILDREN[record].blocked else BID_RETURN
    return Call("POST", "child_protection", f"/v1/cases/{case['id']}/bid", json=body)


def reception_call(case: Any, _: str) -> Call:
    body = {"received_at": now(), "received_by_institution": "Origin child-protection office"}
    return Call("POST", "child_protection", f"/v1/cases/{case['id']}/reception", json=body)


# --- Reserve Fund ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFacts:
    filer: str
    nationality: str
    current_country: str


APPLICATIONS = {
    m.APPLICATION_SV: ApplicationFacts("consul.sv.tapachula", "SV", "GT"),
    m.APPLICATION_GT: ApplicationFacts("consul.gt.tapachula", "GT", "MX"),
    m.APPLICATION_SV_BY_GT: ApplicationFacts("igm.gt", "SV", "GT"),
}
AMOUNT = "180.00"  # under the second-approval threshold (USD 500): one approver approves
LARGE_AMOUNTS = ("500.00", "300.00")  # USD 800: above the threshold, under the USD 1,000 cap
BUDGET_MARGIN = 5000  # USD the current year must have available before the approvals
FUTURE_BUDGET_YEAR = 2091  # budget.set writes here: no application ever reserves on it


def application_body(facts: ApplicationFacts, amounts: tuple[str, ...] = (AMOUNT,)) -> Any:
    return {
        "beneficiary": {
            "given_names": "José Antonio",
            "surnames": f"Hernández {suffix()}",
            "sex": "M",
            "date_of_birth": "1950-03-02",
            "nationality": facts.nationality,
            "protection_need": False,
        },
        "current_country": facts.current_country,
        "categories": ["over_70"],
        "voluntary_consent": {"given": True, "given_by": "beneficiary", "recorded_at": now(-1)},
        "items": [
            {"kind": kind, "amount": amount}
            for kind, amount in zip(("transport", "lodging", "meals"), amounts, strict=False)
        ],
        "justification": "Over 70, stranded without means; family waits at home.",
    }


def this_year() -> int:
    return datetime.now(UTC).year


async def budget_available(env: Env) -> None:
    """The current year's budget has room for this run's approvals (raised if it has not)."""

    async def ensure() -> None:
        path = f"/v1/budgets/{this_year()}"
        budget = await env.do("iom.approver", "GET", "reserve_fund", path)
        if float(budget["available"]) < BUDGET_MARGIN:
            allocated = float(budget["allocated"]) + 2 * BUDGET_MARGIN
            await env.do(
                "iom.approver", "PUT", "reserve_fund", path, {"allocated": f"{allocated:.2f}"}
            )

    await env.once("budget", ensure)


async def draft_application(
    env: Env, record: str, slot: int, amounts: tuple[str, ...] = (AMOUNT,)
) -> Any:
    facts = APPLICATIONS[record]
    body = application_body(facts, amounts)
    return await env.do(facts.filer, "POST", "reserve_fund", "/v1/applications", body, expect=201)


async def submitted_application(
    env: Env, record: str, slot: int, amounts: tuple[str, ...] = (AMOUNT,)
) -> Any:
    facts = APPLICATIONS[record]
    app = await draft_application(env, record, slot, amounts)
    path = f"/v1/applications/{app['id']}/submit"
    return await env.do(facts.filer, "POST", "reserve_fund", path)


async def reviewed_application(
    env: Env, record: str, slot: int, amounts: tuple[str, ...] = (AMOUNT,)
) -> Any:
    app = await submitted_application(env, record, slot, amounts)
    body = {"recommendation": "approve", "note": "Eligible: over 70; consent on file."}
    path = f"/v1/applications/{app['id']}/review"
    return await env.do("iom.officer", "POST", "reserve_fund", path, body)


async def approved_application(env: Env, record: str, slot: int) -> Any:
    await budget_available(env)
    app = await reviewed_application(env, record, slot)
    path = f"/v1/applications/{app['id']}/approve"
    return await env.do("iom.approver", "POST", "reserve_fund", path, {"note": "Approved."})


async def disbursed_application(env: Env, record: str, slot: int) -> Any:
    app = await approved_application(env, record, slot)
    path = f"/v1/applications/{app['id']}/disbursements"
    body = {"amount": AMOUNT, "purpose": "Bus ticket home"}
    await env.do("iom.officer", "POST", "reserve_fund", path, body, expect=201)
    return app


async def approvable_application(env: Env, record: str, slot: int) -> Any:
    await budget_available(env)
    return await reviewed_application(env, record, slot)


async def once_approved_large_application(env: Env, record: str, slot: int) -> Any:
    """Above the second-approval threshold (USD 500), approved once by iom.approver."""
    await budget_available(env)
    app = await reviewed_application(env, record, slot, LARGE_AMOUNTS)
    path = f"/v1/applications/{app['id']}/approve"
    app = await env.do("iom.approver", "POST", "reserve_fund", path, {"note": "First approval."})
    if app["status"] != "under_review":
        raise SetupFailed(f"one approval of USD 800 left the application {app['status']}")
    return app


async def info_requested_application(env: Env, record: str, slot: int) -> Any:
    app = await submitted_application(env, record, slot)
    path = f"/v1/applications/{app['id']}/request-info"
    return await env.do("iom.officer", "POST", "reserve_fund", path, {"question": "Ticket quote?"})


async def read_application(env: Env, record: str, slot: int) -> Any:
    return await env.once(("application", record), lambda: submitted_application(env, record, 0))


def _application(path: str = "") -> Callable[[Any], str]:
    return lambda app: f"/v1/applications/{app['id']}{path}"


def application_list(app: Any, _: str) -> Call:
    return Call(
        "GET",
        "reserve_fund",
        "/v1/applications",
        {"limit": 200},
        target=app["id"],
        newest_key="created_at",
        since=app["created_at"],
    )


def create_application_call(record: str) -> Request:
    return lambda _, __: Call(
        "POST", "reserve_fund", "/v1/applications", json=application_body(APPLICATIONS[record])
    )


# --- consular --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetentionFacts:
    reporter: str
    nationality: str
    place: dict[str, str]
    protection_need: bool


IN_TAPACHULA = {"country": "MX", "state": "Chiapas", "city": "Tapachula"}
IN_GUATEMALA_CITY = {"country": "GT", "state": "Guatemala", "city": "Guatemala"}
DETENTIONS = {
    m.DETENTION_HN: DetentionFacts("inm.mx", "HN", IN_TAPACHULA, False),
    m.DETENTION_SV: DetentionFacts("igm.gt", "SV", IN_GUATEMALA_CITY, False),
    m.DETENTION_HN_PROTECTED: DetentionFacts("inm.mx", "HN", IN_TAPACHULA, True),
}
REPORTS = {
    "notification.report_mx": m.DETENTION_HN,
    "notification.report_gt": m.DETENTION_SV,
}


def detention_body(facts: DetentionFacts) -> dict[str, Any]:
    return {
        "kind": "detention",
        "person": {
            "given_names": "Carlos Alberto",
            "surnames": f"Mejía {suffix()}",
            "sex": "M",
            "date_of_birth": "1993-11-05",
            "nationality": facts.nationality,
        },
        "place": facts.place,
        "occurred_at": now(-1),
        "protection_need": facts.protection_need,
        "person_requests_notification": True,
    }


async def reported_detention(env: Env, record: str, slot: int) -> Any:
    facts = DETENTIONS[record]
    body = detention_body(facts)
    return await env.do(facts.reporter, "POST", "consular", "/v1/notifications", body, expect=201)


# Notices withdrawn after a late protection need: the setup waits until the consul is told 404.
WITHDRAWN_FOR = {
    m.NOTICE_CHILD_HN_SCREENED: "consul.hn.tapachula",
    m.NOTICE_CHILD_HN_TRAFFICKING_LATE: "consul.hn.tapachula",
}

NOTICES: dict[str, tuple[str, Setup, str, bool]] = {
    # record → (the record it is about, its shared setup, who reads it to wait for it, whether
    # to wait until it is sent: a cleared block releases a suppressed notice)
    m.NOTICE_MANIFEST_GT: (m.MANIFEST_GT, read_manifest, "inm.mx", False),
    m.NOTICE_MANIFEST_HN: (m.MANIFEST_HN, read_manifest, "inm.mx", False),
    m.NOTICE_CHILD_HN: (m.CHILD_HN, read_case, "dif.mx", False),
    m.NOTICE_CHILD_HN_PROTECTED: (m.CHILD_HN_PROTECTED, read_case, "dif.mx", False),
    m.NOTICE_CHILD_HN_CLEARED: (m.CHILD_HN_CLEARED, read_case, "dif.mx", True),
    m.NOTICE_CHILD_HN_SCREENED: (m.CHILD_HN_SCREENED, read_case, "dif.mx", False),
    m.NOTICE_CHILD_HN_TRAFFICKING_LATE: (m.CHILD_HN_TRAFFICKING_LATE, read_case, "dif.mx", False),
}


async def notification(env: Env, record: str, slot: int) -> Any:
    if record in DETENTIONS:
        return await reported_detention(env, record, slot)
    about, setup, reporter, released = NOTICES[record]
    source = await setup(env, about, 0)

    async def listed() -> list[Any]:
        page = await env.do(
            reporter, "GET", "consular", "/v1/notifications", params={"related_id": source["id"]}
        )
        items: list[Any] = page["items"]
        if released and any(n["status"] == "suppressed" for n in items):
            return []
        return items

    (notice,) = await wait_until(listed, timeout=WAIT_S, what=f"the notice of {record}")
    if record in WITHDRAWN_FOR:
        await gone_for(env, WITHDRAWN_FOR[record], "consular", f"/v1/notifications/{notice['id']}")
    return notice


def notification_list(notice: Any, record: str) -> Call:
    if notice.get("related"):
        params: dict[str, Any] = {"related_id": notice["related"]["id"], "limit": 200}
        return Call("GET", "consular", "/v1/notifications", params, target=notice["id"])
    return Call(
        "GET",
        "consular",
        "/v1/notifications",
        {"limit": 200},
        target=notice["id"],
        newest_key="created_at",
        since=notice["created_at"],
    )


VERIFIED = {
    m.VERIFICATION_GT: (m.MANIFEST_GT, "consul.gt.tapachula"),
    m.VERIFICATION_HN: (m.MANIFEST_HN, "consul.hn.tapachula"),
}


async def verification(env: Env, record: str, slot: int) -> Any:
    """Slot k: the k-th returnee's request on the shared manifest (three returnees)."""
    if record == m.VERIFICATION_GT_PROTECTED:
        return await protected_verification(env, record, slot)
    if record == m.VERIFICATION_GT_REMOVED:
        return await removed_verification(env, record, slot)
    manifest_record, consul = VERIFIED[record]
    manifest = await read_manifest(env, manifest_record, 0)
    requests = await env.once(
        ("verifications", record), lambda: verifications_of(env, manifest, consul)
    )
    return requests[slot]


def verification_list(v: Any, _: str) -> Call:
    params = {"related_id": v["related"]["id"], "limit": 200}
    return Call("GET", "consular", "/v1/verifications", params, target=v["id"])


def report_call(action: str) -> Request:
    return lambda _, __: Call(
        "POST", "consular", "/v1/notifications", json=detention_body(DETENTIONS[REPORTS[action]])
    )


# --- the probes, by the matrix's action names ------------------------------------------------

R, CP, F, C = "repatriation", "child_protection", "reserve_fund", "consular"

PROBES: dict[str, Probe] = {
    # repatriation
    "manifest.create_to_gt": Probe(create_manifest_call(m.MANIFEST_GT)),
    "manifest.create_to_hn": Probe(create_manifest_call(m.MANIFEST_HN)),
    "manifest.read": Probe(get(R, _manifest()), read_manifest, shared="manifest"),
    "manifest.list": Probe(manifest_list, read_manifest, shared="manifest"),
    "manifest.handover_record": Probe(
        get(R, _manifest("/handover-record")), read_manifest, shared="manifest"
    ),
    "manifest.read_draft": Probe(get(R, _manifest()), draft_manifest, shared="manifest.draft"),
    "manifest.list_draft": Probe(manifest_list, draft_manifest, shared="manifest.draft"),
    "manifest.submit": Probe(post(R, _manifest("/submit")), draft_manifest),
    "manifest.add_returnee_draft": Probe(new_returnee_call, draft_manifest),
    "manifest.add_returnee_submitted": Probe(new_returnee_call, submitted_manifest),
    "manifest.remove_returnee_submitted": Probe(
        lambda man, _: Call(
            "DELETE",
            R,
            f"/v1/manifests/{man['id']}/returnees/{man['returnees'][-1]['id']}",
            {"reason": "Transferred to another station"},
        ),
        submitted_manifest,
    ),
    "manifest.cancel": Probe(
        post(R, _manifest("/cancel"), {"reason": "Bus broke down"}), submitted_manifest
    ),
    "manifest.dispatch": Probe(post(R, _manifest("/dispatch")), confirmed_manifest),
    "manifest.protection_need": Probe(
        lambda man, _: Call(
            "POST",
            R,
            f"/v1/manifests/{man['id']}/returnees/{man['returnees'][-1]['id']}/protection-need",
            json=FEAR_OF_RETURN,
        ),
        submitted_manifest,
    ),
    "manifest.protection_need_dispatched": Probe(
        lambda man, _: Call(
            "POST",
            R,
            f"/v1/manifests/{man['id']}/returnees/{man['returnees'][0]['id']}/protection-need",
            json=FEAR_OF_RETURN,
        ),
        dispatched_manifest,
        shared="manifest.dispatched",
    ),
    "manifest.cancel_dispatched": Probe(
        post(R, _manifest("/cancel"), {"reason": "Bus broke down"}),
        dispatched_manifest,
        shared="manifest.dispatched",
    ),
    "manifest.protected_returnee_in_manifest": Probe(
        lambda ret, _: Call(
            "GET",
            R,
            f"/v1/manifests/{ret['id']}",
            target=str(ret["returnee_id"]),
            items_key="returnees",
        ),
        protected_returnee,
        shared="protected returnee",
    ),
    "manifest.protected_returnee_in_handover_record": Probe(
        lambda ret, _: Call(
            "GET",
            R,
            f"/v1/manifests/{ret['id']}/handover-record",
            target=str(ret["returnee_id"]),
            items_key="entries",
            id_key="returnee_id",
        ),
        protected_returnee,
        shared="protected returnee",
    ),
    "manifest.handovers": Probe(
        lambda man, _: Call(
            "POST",
            R,
            f"/v1/manifests/{man['id']}/handovers",
            json={"items": [{"returnee_id": man["returnees"][0]["id"], "outcome": "received"}]},
        ),
        dispatched_manifest,
    ),
    "manifest.dispatch_draft": Probe(
        post(R, _manifest("/dispatch")), draft_manifest, shared="manifest.draft"
    ),
    "manifest.handovers_submitted": Probe(
        lambda man, _: Call(
            "POST",
            R,
            f"/v1/manifests/{man['id']}/handovers",
            json={"items": [{"returnee_id": man["returnees"][0]["id"], "outcome": "received"}]},
        ),
        read_manifest,
        shared="manifest",
    ),
    "directory.reception_points": Probe(lambda _, __: Call("GET", R, "/v1/reception-points")),
    # child protection
    "case.open_hn": Probe(open_case_call(m.CHILD_HN)),
    "case.open_gt": Probe(open_case_call(m.CHILD_GT)),
    "case.open_hn_protected": Probe(open_case_call(m.CHILD_HN_PROTECTED)),
    "case.read": Probe(get(CP, _case()), read_case, shared="case"),
    "case.list": Probe(
        lambda case, _: Call("GET", CP, "/v1/cases", {"limit": 200}, target=case["id"]),
        read_case,
        shared="case",
    ),
    "case.sensitive": Probe(
        get(
            CP,
            _case("/sensitive"),
            headers={"Puebla-Purpose": "access matrix check"},
            step_up=True,
        ),
        read_case,
        shared="case",
    ),
    "case.audit": Probe(get(CP, _case("/audit")), read_case, shared="case"),
    "case.protection_measures": Probe(
        post(CP, _case("/protection-measures"), {"kind": "shelter", "description": "DIF shelter"}),
        opened_case,
    ),
    "case.interviews": Probe(
        post(CP, _case("/interviews"), {"language": "es", "notes": "Calm; wants his mother."}),
        opened_case,
    ),
    "case.family_tracing": Probe(
        post(
            CP,
            _case("/family-tracing"),
            {
                "actions": ["Called the mother's number"],
                "contacts": [{"name": "Rosa Reyes", "relationship": "mother"}],
            },
        ),
        opened_case,
    ),
    "case.bia": Probe(put(CP, _case("/bia"), BIA_COMPLETE), opened_case),
    "case.origin_assessment": Probe(
        put(CP, _case("/origin-assessment"), ORIGIN_COMPLETE), opened_case
    ),
    "case.notifications": Probe(
        post(CP, _case("/notifications"), {"authority": "Procuraduría Federal de Protección"}),
        opened_case,
    ),
    "case.screenings": Probe(
        post(
            CP,
            _case("/screenings"),
            {"protection_need": False, "trafficking_indicator": False, "notes": "No fear stated."},
        ),
        opened_case,
    ),
    "case.risk_assessment": Probe(
        put(CP, _case("/risk-assessment"), {"findings": "No recruiter.", "mitigation": "Visits."}),
        opened_case,
    ),
    "case.bid": Probe(bid_call, assessed_case),
    "case.bid_unassessed": Probe(bid_call, read_case, shared="case"),
    "case.reception_unplanned": Probe(reception_call, read_case, shared="case"),
    "case.follow_up_unreceived": Probe(
        post(CP, _case("/follow-ups"), {"notes": "Visited the family."}), read_case, shared="case"
    ),
    "case.bid_review": Probe(
        post(CP, _case("/bid-review"), {"reasons": "New information from the family."}),
        determined_case,
    ),
    "case.return_plan": Probe(
        lambda case, record: Call(
            "POST",
            CP,
            f"/v1/cases/{case['id']}/return-plan",
            json={
                "reception_point": CHILDREN[record].reception_point,
                "scheduled_at": now(48),
                "escort": "Lic. Pedro Gómez (DIF)",
            },
        ),
        determined_case,
    ),
    "case.reception": Probe(reception_call, return_planned_case),
    "case.follow_up": Probe(
        post(CP, _case("/follow-ups"), {"notes": "Back at school; mother coping."}), received_case
    ),
    "case.protection_decision": Probe(
        post(
            CP,
            _case("/protection-decision"),
            {"clear_block": False, "reasons": "Asylum claim pending; keep the consulate out."},
        ),
        opened_case,
    ),
    # Reserve Fund
    "application.create_sv": Probe(create_application_call(m.APPLICATION_SV)),
    "application.create_gt": Probe(create_application_call(m.APPLICATION_GT)),
    "application.read": Probe(get(F, _application()), read_application, shared="application"),
    "application.list": Probe(application_list, read_application, shared="application"),
    "application.submit": Probe(post(F, _application("/submit")), draft_application),
    "application.review": Probe(
        post(F, _application("/review"), {"recommendation": "approve", "note": "Eligible."}),
        submitted_application,
    ),
    "application.request_info": Probe(
        post(F, _application("/request-info"), {"question": "Ticket quote?"}),
        submitted_application,
    ),
    "application.provide_information": Probe(
        post(F, _application("/provide-information"), {"answer": "USD 180, bus to the capital."}),
        info_requested_application,
    ),
    "application.second_approval": Probe(
        post(F, _application("/approve"), {"note": "Second approval."}),
        once_approved_large_application,
    ),
    "application.approve": Probe(
        post(F, _application("/approve"), {"note": "Approved."}), approvable_application
    ),
    "application.reject": Probe(
        post(F, _application("/reject"), {"reason": "Family cannot be located."}),
        approvable_application,
    ),
    "application.disburse": Probe(
        post(F, _application("/disbursements"), {"amount": AMOUNT, "purpose": "Bus ticket"}),
        approved_application,
    ),
    "application.complete": Probe(post(F, _application("/complete")), disbursed_application),
    "application.approve_unreviewed": Probe(
        post(F, _application("/approve"), {"note": "Approved."}),
        read_application,
        shared="application",
    ),
    "application.disburse_unapproved": Probe(
        post(F, _application("/disbursements"), {"amount": AMOUNT, "purpose": "Bus ticket"}),
        read_application,
        shared="application",
    ),
    "application.complete_undisbursed": Probe(
        post(F, _application("/complete")), read_application, shared="application"
    ),
    "budget.set": Probe(
        lambda _, __: Call(
            "PUT", F, f"/v1/budgets/{FUTURE_BUDGET_YEAR}", json={"allocated": "25000.00"}
        )
    ),
    "budget.read": Probe(lambda _, __: Call("GET", F, f"/v1/budgets/{this_year()}")),
    "report.read": Probe(lambda _, __: Call("GET", F, f"/v1/reports/{this_year()}")),
    # consular
    "notification.report_mx": Probe(report_call("notification.report_mx")),
    "notification.report_gt": Probe(report_call("notification.report_gt")),
    "notification.read": Probe(
        get(C, lambda n: f"/v1/notifications/{n['id']}"), notification, shared="notification"
    ),
    "notification.list": Probe(notification_list, notification, shared="notification"),
    # A second acknowledgement changes nothing: one notice serves every caller.
    "notification.acknowledge": Probe(
        post(C, lambda n: f"/v1/notifications/{n['id']}/acknowledge"),
        notification,
        shared="notification",
    ),
    # Each allowed call adds one action (at the notice's own trigger time, never before it nor
    # ahead); nothing the other probes of the notice answer depends on its actions.
    "notification.record_action": Probe(
        lambda n, _: Call(
            "POST",
            C,
            f"/v1/notifications/{n['id']}/actions",
            json={"kind": "visit", "at": n["occurred_at"], "notes": "Estación migratoria"},
        ),
        notification,
        shared="notification",
    ),
    "verification.read": Probe(
        get(C, lambda v: f"/v1/verifications/{v['id']}"), verification, shared="verification"
    ),
    "verification.list": Probe(verification_list, verification, shared="verification"),
    "verification.decide": Probe(
        post(C, lambda v: f"/v1/verifications/{v['id']}/decision", {"decision": "confirmed"}),
        verification,
    ),
    "verification.decide_again": Probe(
        post(
            C,
            lambda v: f"/v1/verifications/{v['id']}/decision",
            {"decision": "rejected", "reason": "Birth certificate from another country"},
        ),
        decided_verification,
        shared="verification.decided",
    ),
    "directory.consular_posts": Probe(lambda _, __: Call("GET", C, "/v1/consular-posts")),
    # every service: the rule names the service
    "me": Probe(lambda _, __: Call("GET", "", "/v1/me")),
    "statistics.read": Probe(
        lambda _, __: Call("GET", "", "/v1/statistics", params={"year": this_year()})
    ),
}


# --- the order of the checks: the same calls with a body the allowed caller is refused -------

# The field of each dated act (API.md: an act is not recorded in the future).
DATE_FIELDS = {
    "case.protection_measures": "taken_at",
    "case.interviews": "conducted_at",
    "case.family_tracing": "traced_at",
    "case.notifications": "notified_at",
    "case.screenings": "screened_at",
    "case.risk_assessment": "assessed_at",
    "case.reception": "received_at",
    "case.follow_up": "visited_at",
}


def _with_body(request: Request, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Request:
    def changed(instance: Any, record: str) -> Call:
        call = request(instance, record)
        return replace(call, json=change(dict(call.json or {})))

    return changed


def _dated_in_future(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda body: {**body, name: now(24 * 30)}


def _variants() -> dict[str, Probe]:
    variants: dict[str, Probe] = {}
    for action in m.WITH_BODY:
        probe = PROBES[action]
        variants[action + m.INVALID] = Probe(
            _with_body(probe.request, lambda body: {**body, "unexpected_field": True}),
            probe.setup,
            shared=probe.shared or action,  # the instance the denied callers of `action` use
        )
    for action in m.DATED:
        probe = PROBES[action]
        variants[action + m.FUTURE] = Probe(
            _with_body(probe.request, _dated_in_future(DATE_FIELDS[action])),
            probe.setup,
            shared=probe.shared or action,
        )
    return variants


PROBES.update(_variants())
