"""Real PostgreSQL, the service's migrations, its handlers, a controllable clock, test keys.

`runtime` is the service's shared test database (`child_protection_test`); `fresh_runtime`
gives a database of its own (for the deadline scheduler, which looks at every case in its
database and must not see other tests' cases). `Cases` drives the handlers the way the API does.
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from child_protection.adapters.crypto import KeyRing
from child_protection.bootstrap import ChildProtection
from child_protection.config import SERVICE_DIR, definition
from child_protection.domain import (
    Accompaniment,
    BidDecision,
    Caregiver,
    Child,
    FamilyContact,
    MeasureKind,
    Place,
    Sex,
)
from child_protection.domain import commands as c
from child_protection.service_layer import handlers
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.auth.principal import Principal
from puebla.clock import FrozenClock
from puebla.db.unit_of_work import Actor
from puebla.ids import new_id
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.service import service_runtime

# Test keys (random per run would do too; fixed ones make failures reproducible).
K1 = bytes(range(32))
K2 = bytes(range(100, 132))
K1_SETTING = f"k1:{base64.b64encode(K1).decode()}"
K2_SETTING = f"k2:{base64.b64encode(K2).decode()}"

OPENED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def person(username: str, role: str, country: str | None) -> Principal:
    """A verified caller as the API would have it from a token (subject = username here)."""
    return Principal(username, username, frozenset({role}), country)


DIF = person("dif.mx", "child_protection_officer", "MX")
SUPERVISOR = person("dif.mx.supervisor", "child_protection_supervisor", "MX")
DINAF = person("dinaf.hn", "child_protection_officer", "HN")
CONSUL = person("consul.hn.tapachula", "consular_officer", "HN")
# Who the worker's deadline checks and key rotation act as.
SYSTEM = "system"


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_runtime(infra: Infra) -> AsyncIterator[Runtime]:
    async with scratch_database(infra, "child_protection_it", SERVICE_DIR) as db:
        service = dataclasses.replace(definition(), database_url=db.url)
        yield Runtime(service, db.engine, db.sessions)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(OPENED)


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing.parse(K1_SETTING)


class Cases:
    """Drives the handlers like the API does, on one clock and key ring."""

    def __init__(self, runtime: Runtime, clock: FrozenClock, keyring: KeyRing) -> None:
        self.clock = clock
        self.services = ChildProtection(runtime, clock=clock, keyring=keyring)
        self.runtime = runtime

    def uow(self, actor: Actor = "test") -> CaseUnitOfWork:
        """A unit of work for `actor` (a handler needs the caller; a plain read does not)."""
        return self.services.uow(actor=actor)

    def with_keyring(self, keyring: KeyRing) -> Cases:
        return Cases(self.runtime, self.clock, keyring)

    async def open(self, actor: Principal = DIF, **overrides: Any) -> uuid.UUID:
        values: dict[str, Any] = {
            "case_id": new_id(),
            "host_country": "MX",
            "nationality": "HN",
            "child": Child(
                "Kevin Josué", "Martínez Reyes", Sex.MALE, date(2012, 4, 9), languages=("es",)
            ),
            "identified_at": self.clock() - timedelta(hours=1, minutes=30),
            "place": Place("MX", "Chiapas", "Tapachula"),
            "accompaniment": Accompaniment.UNACCOMPANIED,
            "age_disputed": False,
            "protection_need": False,
            "trafficking_indicator": False,
            "opened_at": self.clock(),
        }
        values.update(overrides)
        return await handlers.open_case(c.OpenCase(**values), self.uow(actor))

    async def notify(self, case_id: uuid.UUID) -> None:
        await handlers.record_notification(
            c.RecordNotification(case_id=case_id, authority="PFPNNA", notified_at=self.clock()),
            self.uow(DIF),
        )

    async def interview(self, case_id: uuid.UUID, notes: str = "Travelled alone.") -> None:
        await handlers.record_interview(
            c.RecordInterview(
                case_id=case_id,
                conducted_at=self.clock(),
                language="es",
                notes=notes,
            ),
            self.uow(DIF),
        )

    async def trace(self, case_id: uuid.UUID, contact: str = "+504 9999-0000") -> None:
        await handlers.record_family_tracing(
            c.RecordFamilyTracing(
                case_id=case_id,
                traced_at=self.clock(),
                actions=("Called the mother",),
                contacts=(FamilyContact("Rosa Reyes", "mother", contact, "San Pedro Sula"),),
            ),
            self.uow(DIF),
        )

    async def measure(self, case_id: uuid.UUID, description: str) -> None:
        await handlers.record_protection_measure(
            c.RecordProtectionMeasure(
                case_id=case_id,
                kind=MeasureKind.URGENT_CARE,
                description=description,
                taken_at=self.clock(),
            ),
            self.uow(DIF),
        )

    async def bia(self, case_id: uuid.UUID, health: str = "Healthy.") -> None:
        await handlers.write_bia(
            c.WriteBia(
                case_id=case_id,
                safety="No threats known.",
                family="Mother in San Pedro Sula.",
                health=health,
                education="6th grade.",
                child_views="Wants to go home.",
                child_views_absent_reason=None,
                recommendation="Return.",
                complete=True,
                written_at=self.clock(),
            ),
            self.uow(DIF),
        )

    async def origin(self, case_id: uuid.UUID, home: str = "Rented house.") -> None:
        await handlers.write_origin_assessment(
            c.WriteOriginAssessment(
                case_id=case_id,
                family_situation="Mother and two siblings.",
                home_situation=home,
                risks_on_return="None found.",
                caregiver=Caregiver("Rosa Reyes", "mother"),
                caregiver_agrees_and_able=True,
                complete=True,
                written_at=self.clock(),
            ),
            self.uow(DINAF),
        )

    async def decide(self, case_id: uuid.UUID, reasons: str = "Safe family.") -> None:
        await handlers.decide_bid(
            c.DecideBid(
                case_id=case_id,
                decision=BidDecision.RETURN,
                reasons=reasons,
                panel=("Ana Torres",),
                child_views_considered="He wants to return.",
                decided_at=self.clock(),
            ),
            self.uow(SUPERVISOR),
        )

    async def close_in_host(self, case_id: uuid.UUID) -> None:
        """Decide `stay` and close: the shortest path to `closed`."""
        await self.bia(case_id)
        await self.origin(case_id)
        await handlers.decide_bid(
            c.DecideBid(
                case_id=case_id,
                decision=BidDecision.STAY,
                reasons="Protection in Mexico.",
                panel=("Ana Torres",),
                child_views_considered="He wants to stay.",
                decided_at=self.clock(),
            ),
            self.uow(SUPERVISOR),
        )
        await handlers.close_case(
            c.CloseCase(case_id=case_id, reason="Placed in foster care.", closed_at=self.clock()),
            self.uow(DIF),
        )

    async def outbox(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.runtime.sessions() as session:
            rows = await session.execute(
                text("SELECT payload FROM outbox WHERE aggregateid = :id ORDER BY created_at, id"),
                {"id": str(case_id)},
            )
            return [dict(row[0]) for row in rows]

    async def row(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return (await session.execute(text(sql), params)).mappings().first()


@pytest.fixture
def cases(runtime: Runtime, clock: FrozenClock, keyring: KeyRing) -> Cases:
    return Cases(runtime, clock, keyring)


@pytest.fixture
def fresh_cases(fresh_runtime: Runtime, clock: FrozenClock, keyring: KeyRing) -> Cases:
    return Cases(fresh_runtime, clock, keyring)
