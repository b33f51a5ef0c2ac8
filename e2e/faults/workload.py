"""The mixed workload the fault tests run, over HTTP with real tokens, and how each of its
intended effects is counted afterwards in the services' own databases.

Three kinds of journeys run side by side:

- a manifest (Mexico → Guatemala, Tecún Umán): create, submit; the consular service makes a
  `repatriation_notice` and one nationality verification request per returnee; the consul
  confirms each; repatriation applies the decisions; dispatch; a hand-over per returnee;
- a child case opened in Mexico for a Guatemalan child; the consular service makes a
  `child_case` notice;
- a Reserve Fund application: created, submitted, reviewed, approved (two approvers above
  USD 500); the budget reserves the amount; the consular service makes a
  `reserve_fund_return` notice.

Every write carries an `Idempotency-Key` and is retried with the same key on a connection
error, a 5xx or "still being processed", until a definitive answer or the deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from e2e.bodies import arrival_slot, returnee
from e2e.faults.harness import FaultStack, Intent, Ledger
from puebla_dev.testing.keycloak import KeycloakTokens

T = TypeVar("T")
GUATEMALA = ZoneInfo("America/Guatemala")
IN_PROGRESS = "still being processed"
ANSWER_LOST = "idempotency-answer-lost"


def answer_lost(response: httpx.Response) -> bool:
    """The service says: applied, but the answer was lost (the request died after its commit)."""
    return response.status_code == 409 and ANSWER_LOST in response.text


def applied(response: httpx.Response) -> bool:
    return response.is_success or answer_lost(response)


@dataclass(frozen=True)
class Scale:
    """Journeys start at a steady pace for `window` seconds (the faults run as long), in turn
    a manifest, a child case and a fund application; those in flight then finish."""

    window: float = 25.0
    pace: float = 1.0  # seconds between two journeys
    returnees: int = 2


class GaveUp(Exception):
    """No definitive answer before the deadline: the rest of that journey is not attempted."""


class AnswerLost(Exception):
    """Applied, but without the answer the next step needs (e.g. the id of what was created)."""


@dataclass
class Api:
    """The services of the fault stack over HTTP, as the demo users."""

    http: httpx.AsyncClient
    tokens: KeycloakTokens
    stack: FaultStack
    deadline: float  # time.monotonic() after which nothing is retried any more
    stats: Counter[str] = field(default_factory=Counter)
    # Definitive answers other than success: none is expected in this workload.
    refusals: list[str] = field(default_factory=list)

    def _headers(self, user: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens.get(user)}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def _backoff(self, attempt: int, what: str) -> None:
        if time.monotonic() > self.deadline:
            raise GaveUp(what)
        # A client's retry policy (the faults last about a second or two), not a wait for a
        # condition.
        await asyncio.sleep(min(0.2 * 2**attempt, 2.0))

    async def write(
        self, method: str, service: str, path: str, user: str, body: Any = None
    ) -> httpx.Response:
        """The first definitive answer; raises GaveUp if none came in time."""
        key = f"fault-{uuid.uuid4()}"
        url = self.stack.url(service) + path
        attempt = 0
        last = ""
        while True:
            try:
                response = await self.http.request(
                    method, url, json=body, headers=self._headers(user, key)
                )
            except httpx.TransportError as exc:
                self.stats["write: no answer"] += 1
                last = type(exc).__name__
            else:
                last = f"{response.status_code} {response.text[:200]}"
                if response.status_code >= 500:
                    self.stats[f"write: {response.status_code}"] += 1
                elif response.status_code == 409 and IN_PROGRESS in response.text:
                    self.stats["write: key in progress"] += 1
                else:
                    self.stats["writes"] += 1
                    if response.headers.get("Idempotent-Replayed") == "true":
                        self.stats["write: replayed"] += 1
                    if answer_lost(response):
                        self.stats["write: applied, answer lost"] += 1
                    elif response.status_code >= 300:
                        self.refusals.append(
                            f"{method} {service}{path} as {user}: {response.status_code}"
                            f" {response.text[:300]}"
                        )
                    return response
            attempt += 1
            await self._backoff(attempt, f"{method} {service}{path} (key {key}): last {last}")

    async def read(self, service: str, path: str, user: str, **params: Any) -> Any:
        url = self.stack.url(service) + path
        attempt = 0
        last = ""
        while True:
            try:
                response = await self.http.get(url, headers=self._headers(user), params=params)
            except httpx.TransportError as exc:
                last = type(exc).__name__
            else:
                if response.status_code == 200:
                    return response.json()
                if response.status_code < 500:
                    raise AssertionError(f"GET {service}{path}: {response.text[:300]}")
                last = f"{response.status_code} {response.text[:200]}"
            attempt += 1
            await self._backoff(attempt, f"GET {service}{path}: last {last}")

    async def eventually(self, probe: Callable[[], Awaitable[T | None]], what: str) -> T:
        """Polls `probe` (which reads through the API) until it answers; GaveUp at the deadline."""
        attempt = 0
        while True:
            found = await probe()
            if found:
                return found
            attempt = min(attempt + 1, 3)
            await self._backoff(attempt, f"waiting for {what}")


class Databases:
    """Read-only counting in the fault stack's service databases (reconnects after a crash)."""

    def __init__(self, stack: FaultStack) -> None:
        self.stack = stack

    async def fetch(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.stack.database_url(service), timeout=10)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def value(self, service: str, sql: str, *args: Any) -> Any:
        rows = await self.fetch(service, sql, *args)
        return rows[0][0] if rows else None

    async def count(self, service: str, sql: str, *args: Any) -> int:
        return int(await self.value(service, sql, *args) or 0)


# Requested totals: at most USD 500 needs one approver, above it two (DOMAIN.md §3).
AMOUNTS = ["120.00", "300.00", "480.00", "650.00", "900.00"]


@dataclass
class Workload:
    api: Api
    db: Databases
    ledger: Ledger
    rng: random.Random
    scale: Scale
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    year: int = field(default_factory=lambda: datetime.now(UTC).year)
    reserved_before: Decimal = Decimal("0")
    journeys: Counter[str] = field(default_factory=Counter)
    gave_up: list[str] = field(default_factory=list)

    # -- before the faults --------------------------------------------------------------------

    async def prepare(self) -> None:
        """A budget large enough for every application, and what it had reserved before."""
        answer = await self.api.write(
            "PUT",
            "reserve_fund",
            f"/v1/budgets/{self.year}",
            "iom.approver",
            {"allocated": "100000000.00"},
        )
        assert answer.status_code == 200, answer.text
        self.reserved_before = Decimal(answer.json()["reserved"])

    # -- the journeys -------------------------------------------------------------------------

    async def run_all(self) -> None:
        journeys: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
            ("manifest", self.manifest),
            ("case", self.case),
            ("application", self.application),
        ]
        self.rng.shuffle(journeys)

        async def one(i: int) -> None:
            name, journey = journeys[i % len(journeys)]
            try:
                await journey(i)
                self.journeys[f"{name} completed"] += 1
            except GaveUp as exc:
                self.journeys[f"{name} gave up"] += 1
                self.gave_up.append(str(exc))
            except AnswerLost:
                self.journeys[f"{name} applied, answer lost"] += 1

        loop = asyncio.get_running_loop()
        closes = loop.time() + self.scale.window
        started: list[asyncio.Task[None]] = []
        while loop.time() < closes:
            started.append(asyncio.create_task(one(len(started))))
            await asyncio.sleep(self.scale.pace)  # the arrival rate of new journeys
        await asyncio.gather(*started)

    async def manifest(self, i: int) -> None:
        api, db, add = self.api, self.db, self.ledger.add
        plate = f"F{self.run}-{i}"
        family = f"Fault {self.run} {i}"
        departure, arrival = arrival_slot(3 + i % 3)
        names = ["Rosa", "Marta", "Elena", "Lucía", "Sara", "Juana"][: self.scale.returnees]

        async def manifest_ids() -> list[str]:
            rows = await db.fetch(
                "repatriation", "SELECT id::text FROM manifest WHERE vehicle_plate = $1", plate
            )
            return [r[0] for r in rows]

        async def rows_by_plate() -> int:
            return len(await manifest_ids())

        created = await api.write(
            "POST",
            "repatriation",
            "/v1/manifests",
            "inm.mx",
            {
                "receiving_country": "GT",
                "reception_point": "GT-TECUN-UMAN",
                "scheduled_departure": departure,
                "scheduled_arrival": arrival,
                "vehicle": {"plate": plate, "seats": 40},
                "returnees": [returnee(n, family) for n in names],
            },
        )
        add(Intent("manifest created", plate, rows_by_plate, applied(created)))
        if answer_lost(created):
            raise AnswerLost(f"manifest {plate}")
        if created.status_code != 201:
            return
        manifest_id = created.json()["id"]
        returnee_ids = [r["id"] for r in created.json()["returnees"]]

        submitted = await api.write(
            "POST", "repatriation", f"/v1/manifests/{manifest_id}/submit", "inm.mx"
        )
        ack = applied(submitted)
        add(
            Intent(
                "manifest submitted event",
                plate,
                self._events("repatriation", "repatriation.manifest.submitted.v1", manifest_id),
                ack,
            )
        )
        add(
            Intent(
                "consular repatriation_notice",
                plate,
                self._notices("repatriation_notice", manifest_id),
                ack,
            )
        )
        for rid in returnee_ids:
            add(
                Intent(
                    "consular verification request",
                    rid,
                    self._count(
                        "consular",
                        "SELECT count(*) FROM verification WHERE related_returnee_id = $1",
                        rid,
                    ),
                    ack,
                )
            )
        if not ack:
            return

        async def requests() -> list[dict[str, Any]] | None:
            listed = await api.read(
                "consular", "/v1/verifications", "consul.gt.tapachula", related_id=manifest_id
            )
            items: list[dict[str, Any]] = listed["items"]
            return items if len(items) == len(returnee_ids) else None

        for verification in await api.eventually(requests, f"the verification requests of {plate}"):
            rid = verification["related"]["returnee_id"]
            decided = await api.write(
                "POST",
                "consular",
                f"/v1/verifications/{verification['id']}/decision",
                "consul.gt.tapachula",
                {"decision": "confirmed"},
            )
            ok = applied(decided)
            add(
                Intent(
                    "consul decision event",
                    rid,
                    self._events(
                        "consular", "consular.nationality.confirmed.v1", verification["id"]
                    ),
                    ok,
                )
            )
            add(
                Intent(
                    "decision applied in repatriation",
                    rid,
                    self._audit("manifest.nationality_confirmed", manifest_id, rid),
                    ok,
                )
            )
            if not ok:
                return

        async def confirmed() -> bool:
            read = await api.read("repatriation", f"/v1/manifests/{manifest_id}", "inm.mx")
            return all(r["nationality_status"] == "confirmed" for r in read["returnees"])

        await api.eventually(confirmed, f"the decisions applied to {plate}")
        dispatched = await api.write(
            "POST", "repatriation", f"/v1/manifests/{manifest_id}/dispatch", "inm.mx"
        )
        add(
            Intent(
                "manifest dispatched event",
                plate,
                self._events("repatriation", "repatriation.manifest.dispatched.v1", manifest_id),
                applied(dispatched),
            )
        )
        if not applied(dispatched):
            return
        for rid in returnee_ids:
            handed = await api.write(
                "POST",
                "repatriation",
                f"/v1/manifests/{manifest_id}/handovers",
                "border.gt.tecun",
                {"items": [{"returnee_id": rid, "outcome": "received"}]},
            )
            add(
                Intent(
                    "hand-over recorded",
                    rid,
                    self._audit("manifest.returnee_handed_over", manifest_id, rid),
                    applied(handed),
                )
            )

    async def case(self, i: int) -> None:
        surnames = f"Fault {self.run} {i}"

        async def case_ids() -> list[str]:
            rows = await self.db.fetch(
                "child_protection", "SELECT id::text FROM child_case WHERE surnames = $1", surnames
            )
            return [r[0] for r in rows]

        async def cases() -> int:
            return len(await case_ids())

        async def notices() -> int:
            return await self.db.count(
                "consular",
                "SELECT count(*) FROM notification WHERE kind = 'child_case'"
                " AND related_id = ANY($1::text[])",
                await case_ids(),
            )

        opened = await self.api.write(
            "POST",
            "child_protection",
            "/v1/cases",
            "dif.mx",
            {
                "child": {
                    "given_names": "Kevin",
                    "surnames": surnames,
                    "sex": "M",
                    "date_of_birth": "2012-04-09",
                    "nationality": "GT",
                    "languages": ["es"],
                },
                "identified_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
                "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
                "accompaniment": "unaccompanied",
                "age_disputed": False,
                "protection_need": False,
                "trafficking_indicator": False,
            },
        )
        ack = applied(opened)
        self.ledger.add(Intent("child case opened", surnames, cases, ack))
        self.ledger.add(Intent("consular child_case notice", surnames, notices, ack))

    async def application(self, i: int) -> None:
        api, add = self.api, self.ledger.add
        marker = f"Fault run {self.run} application {i}"
        amount = self.rng.choice(AMOUNTS)

        async def applications() -> int:
            return await self.db.count(
                "reserve_fund", "SELECT count(*) FROM application WHERE justification = $1", marker
            )

        created = await api.write(
            "POST",
            "reserve_fund",
            "/v1/applications",
            "consul.gt.tapachula",
            {
                "beneficiary": {
                    "given_names": "Ana",
                    "surnames": f"Fault {self.run}",
                    "sex": "F",
                    "date_of_birth": "1990-03-01",
                    "nationality": "GT",
                    "protection_need": False,
                },
                "current_country": "MX",
                "categories": ["injury_or_illness"],
                "voluntary_consent": {
                    "given": True,
                    "given_by": "beneficiary",
                    "recorded_at": "2026-01-10T09:00:00+00:00",
                },
                "items": [{"kind": "transport", "amount": amount}],
                "justification": marker,
            },
        )
        add(Intent("fund application created", marker, applications, applied(created)))
        if answer_lost(created):
            raise AnswerLost(f"application {marker}")
        if created.status_code != 201:
            return
        app_id = created.json()["id"]
        path = f"/v1/applications/{app_id}"
        for step, user, body in [
            ("submit", "consul.gt.tapachula", None),
            ("review", "iom.officer", {"recommendation": "approve", "note": "Eligible."}),
        ]:
            if not applied(await api.write("POST", "reserve_fund", f"{path}/{step}", user, body)):
                return
        approvers = ["iom.approver"] + (["iom.approver2"] if Decimal(amount) > 500 else [])
        for approver in approvers:
            approved = await api.write("POST", "reserve_fund", f"{path}/approve", approver, {})
            add(
                Intent(
                    "fund approval recorded",
                    f"{app_id} {approver}",
                    self._count(
                        "reserve_fund",
                        "SELECT count(*) FROM application_approval"
                        " WHERE application_id = $1::uuid AND approver = $2",
                        app_id,
                        approver,
                    ),
                    applied(approved),
                )
            )
            if not applied(approved):
                return
            if approved.is_success and approved.json()["approvals_needed"] != len(approvers):
                api.refusals.append(f"{app_id} for {amount}: {approved.text[:300]}")
        # Every approval it needs was acknowledged: the application is approved.
        ack = True
        add(
            Intent(
                "fund approved event",
                app_id,
                self._events("reserve_fund", "fund.application.approved.v1", app_id),
                ack,
            )
        )
        add(
            Intent(
                "consular reserve_fund_return notice",
                app_id,
                self._notices("reserve_fund_return", app_id),
                ack,
            )
        )

    # -- after the faults ---------------------------------------------------------------------

    def budget_intent(self) -> Intent:
        """The year's reservation grew by exactly the approved totals of this run: 1 if so,
        0 if less was reserved (an approval lost), 2 if more (one reserved twice)."""

        async def reserved_once() -> int:
            approved = Decimal(
                await self.db.value(
                    "reserve_fund",
                    "SELECT coalesce(sum(approved_total), 0) FROM application"
                    " WHERE justification LIKE $1 AND status = 'approved' AND budget_year = $2",
                    f"Fault run {self.run} application %",
                    self.year,
                )
            )
            reserved = Decimal(
                await self.db.value(
                    "reserve_fund", "SELECT reserved FROM budget WHERE year = $1", self.year
                )
            )
            grown = reserved - self.reserved_before
            return 1 if grown == approved else (2 if grown > approved else 0)

        return Intent("budget reserved = approved totals", str(self.year), reserved_once, True)

    # -- counting helpers ---------------------------------------------------------------------

    def _count(self, service: str, sql: str, *args: Any) -> Callable[[], Awaitable[int]]:
        async def count() -> int:
            return await self.db.count(service, sql, *args)

        return count

    def _events(
        self, service: str, event_type: str, aggregate_id: str
    ) -> Callable[[], Awaitable[int]]:
        """How many times the service's outbox holds this event for this aggregate (published
        rows are kept for days, so a second one is a second publication)."""
        return self._count(
            service,
            "SELECT count(*) FROM outbox WHERE type = $1 AND aggregateid = $2",
            event_type,
            aggregate_id,
        )

    def _notices(self, kind: str, related_id: str) -> Callable[[], Awaitable[int]]:
        return self._count(
            "consular",
            "SELECT count(*) FROM notification WHERE kind = $1 AND related_id = $2",
            kind,
            related_id,
        )

    def _audit(
        self, action: str, manifest_id: str, returnee_id: str
    ) -> Callable[[], Awaitable[int]]:
        return self._count(
            "repatriation",
            "SELECT count(*) FROM audit WHERE action = $1 AND entity_id = $2"
            " AND detail->>'returnee_id' = $3",
            action,
            manifest_id,
            returnee_id,
        )
