"""The Fund's service layer on its own test database (real PostgreSQL), driven through the
message bus with principals built in the test — as the API builds them from verified tokens.

Each test gets a budget year of its own (claimed by inserting its row) and a clock in it, so
approvals are charged to a budget no other test touches.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest_asyncio
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.service import service_runtime
from reserve_fund import bootstrap
from reserve_fund.config import definition
from reserve_fund.domain import (
    Beneficiary,
    Category,
    Consent,
    ConsentGiver,
    CostItem,
    CostKind,
    Money,
    Recommendation,
    Sex,
)
from reserve_fund.domain import commands as c
from reserve_fund.service_layer import access


def for_a_child_case(by: Principal, case_id: uuid.UUID) -> c.CreateApplication:
    """A Honduran in Mexico linked to his child case, filed by `by` (born 1990: grown up in the
    tests' far budget years — the link does not depend on age)."""
    return c.CreateApplication(
        requested_by=access.applicant(by),
        beneficiary=Beneficiary(
            "Kevin Josué", "Martínez Reyes", Sex.MALE, date(1990, 4, 9), "HN", False
        ),
        current_country="MX",
        categories=frozenset({Category.INJURY_OR_ILLNESS}),
        voluntary_consent=Consent(
            True, ConsentGiver.BENEFICIARY, datetime(2026, 1, 10, tzinfo=UTC)
        ),
        items=(CostItem(CostKind.TRANSPORT, Money.parse("300.00")),),
        justification="Needs treatment at home.",
        child_case_id=case_id,
    )


def person(username: str, *roles: str, country: str | None = None) -> Principal:
    return Principal(
        subject=f"test-{username}", username=username, roles=frozenset(roles), country=country
    )


GT_CONSUL = person("consul.gt.tapachula", "consular_officer", country="GT")
MX_INM = person("inm.mx", "immigration_officer", country="MX")
OFFICER = person("iom.officer", "fund_officer")
APPROVER = person("iom.approver", "fund_approver")
APPROVER2 = person("iom.approver2", "fund_approver")
# No demo user holds both IOM roles; this one does, to show the domain rule on its own.
DUAL = person("iom.dual", "fund_officer", "fund_approver")


class YearClock:
    def __init__(self, year: int) -> None:
        self.year = year

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        try:
            return now.replace(year=self.year)
        except ValueError:
            return now.replace(year=self.year, day=28)


@dataclass
class Fund:
    runtime: Runtime
    year: int
    app: bootstrap.Fund

    # the principals, for tests (conftest modules are not importable)
    consul = GT_CONSUL
    inm_mx = MX_INM
    officer = OFFICER
    approver = APPROVER
    approver2 = APPROVER2
    dual = DUAL

    async def handle(self, command: Any, caller: Principal) -> Any:
        return await self.app.bus.handle(command, caller)

    def uow(self) -> Any:
        return self.app.bus.uow_factory()

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return (await session.execute(text(sql), params)).scalar_one()

    async def create(self, by: Principal = GT_CONSUL, *amounts: str) -> Any:
        return await self.handle(
            c.CreateApplication(
                requested_by=access.applicant(by),
                beneficiary=Beneficiary(
                    "Ana María", "López Pérez", Sex.FEMALE, date(1990, 3, 1), "GT", False
                ),
                current_country="MX",
                categories=frozenset({Category.INJURY_OR_ILLNESS}),
                voluntary_consent=Consent(
                    True, ConsentGiver.BENEFICIARY, datetime(2026, 1, 10, tzinfo=UTC)
                ),
                items=tuple(
                    CostItem(CostKind.TRANSPORT, Money.parse(a)) for a in (amounts or ("300.00",))
                ),
                justification="Needs treatment at home.",
            ),
            by,
        )

    async def reviewed(
        self, by: Principal = GT_CONSUL, *amounts: str, reviewer: Principal = OFFICER
    ) -> Any:
        app_id = await self.create(by, *amounts)
        await self.handle(c.SubmitApplication(application_id=app_id, by=access.applicant(by)), by)
        await self.handle(
            c.ReviewApplication(
                application_id=app_id,
                recommendation=Recommendation.APPROVE,
                note="Eligible.",
                by=reviewer.username,
            ),
            reviewer,
        )
        return app_id

    async def set_budget(self, allocated: str) -> None:
        await self.handle(
            c.SetBudget(year=self.year, allocated=Money.parse(allocated), by=APPROVER.username),
            APPROVER,
        )


async def claim_year(runtime: Runtime) -> int:
    """A budget year nobody has used: its row is inserted here, so no other test gets it.
    Each full run claims about 60 of the 7,899 years; when they run out, say so."""
    async with runtime.sessions() as session:
        for _ in range(500):
            year = random.randint(2100, 9998)  # the year after stays a valid datetime year
            claimed = await session.execute(
                text("INSERT INTO budget (year) VALUES (:y) ON CONFLICT DO NOTHING RETURNING year"),
                {"y": year},
            )
            if claimed.first() is not None:
                await session.commit()
                return year
    raise AssertionError(
        "the reserve_fund_test database has used up its test budget years: drop it"
        " (dropdb -h 127.0.0.1 -U postgres reserve_fund_test); the next run recreates it"
    )


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition())
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session")
async def fund(runtime: Runtime) -> Fund:
    year = await claim_year(runtime)
    return Fund(runtime, year, bootstrap.build(runtime, YearClock(year)))
