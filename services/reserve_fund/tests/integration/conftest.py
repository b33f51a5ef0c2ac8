"""The Fund's service layer on a scratch database of the session's own (real PostgreSQL,
migrated once, dropped at the end), its handlers run as the routers run them — with a unit of
work made for a principal built in the test, as the API builds them from verified tokens.

Each test gets a budget year of its own (`next_year`: 2100, 2101, … — the database is new, so
every one is free) and a clock in it, so approvals are charged to a budget no other test
touches.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest_asyncio
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.db.unit_of_work import Actor
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.service import service_runtime
from reserve_fund.bootstrap import Fund as FundService
from reserve_fund.config import SERVICE_DIR, definition
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
from reserve_fund.service_layer import handlers
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


def for_a_child_case(case_id: uuid.UUID) -> c.CreateApplication:
    """A Honduran in Mexico linked to his child case (born 1990: grown up in the tests' far
    budget years — the link does not depend on age); who files it is the unit of work's."""
    return c.CreateApplication(
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


# Each command's handler, for `Fund.handle` (the routers call them one by one).
HANDLERS: dict[type[Any], Callable[[Any, FundUnitOfWork], Awaitable[Any]]] = {
    c.CreateApplication: handlers.create_application,
    c.SubmitApplication: handlers.submit_application,
    c.RequestInformation: handlers.request_information,
    c.ProvideInformation: handlers.provide_information,
    c.ReviewApplication: handlers.review_application,
    c.ApproveApplication: handlers.approve_application,
    c.RejectApplication: handlers.reject_application,
    c.RecordDisbursement: handlers.record_disbursement_,
    c.CompleteReturn: handlers.complete_return_,
    c.CloseApplication: handlers.close_application,
    c.CancelApplication: handlers.cancel_application,
    c.SetBudget: handlers.set_budget,
}


@dataclass
class Fund:
    runtime: Runtime
    year: int
    service: FundService

    # the principals, for tests (conftest modules are not importable)
    consul = GT_CONSUL
    inm_mx = MX_INM
    officer = OFFICER
    approver = APPROVER
    approver2 = APPROVER2
    dual = DUAL

    async def handle(self, command: Any, caller: Principal) -> Any:
        """The command's handler, with a unit of work made for `caller` (as a router does)."""
        return await HANDLERS[type(command)](command, self.service.uow(actor=caller))

    def uow(self, actor: Actor = "test") -> FundUnitOfWork:
        return self.service.uow(actor=actor)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return (await session.execute(text(sql), params)).scalar_one()

    async def create(self, by: Principal = GT_CONSUL, *amounts: str) -> Any:
        return await self.handle(
            c.CreateApplication(
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
        await self.handle(c.SubmitApplication(application_id=app_id), by)
        await self.handle(
            c.ReviewApplication(
                application_id=app_id,
                recommendation=Recommendation.APPROVE,
                note="Eligible.",
            ),
            reviewer,
        )
        return app_id

    async def set_budget(self, allocated: str) -> None:
        await self.handle(
            c.SetBudget(year=self.year, allocated=Money.parse(allocated)),
            APPROVER,
        )


# The session's database is its own, so no budget year of it was used before: each test takes
# the next one (the year after each stays a valid datetime year).
_YEARS = itertools.count(2100)


def next_year() -> int:
    return next(_YEARS)


async def claim_year(runtime: Runtime) -> int:
    """The next year, with its budget row (allocated 0) as a test of it finds it. The
    database is the session's own, so the row is always new: this cannot run out."""
    year = next_year()
    async with runtime.sessions() as session:
        await session.execute(text("INSERT INTO budget (year) VALUES (:y)"), {"y": year})
        await session.commit()
    return year


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    async with scratch_database(infra, "reserve_fund_it", SERVICE_DIR) as db:
        rt = await service_runtime(infra, definition(), database=db.name)
        try:
            yield rt
        finally:
            await rt.close()


@pytest_asyncio.fixture(loop_scope="session")
async def fund(runtime: Runtime) -> Fund:
    year = await claim_year(runtime)
    return Fund(runtime, year, FundService(runtime, clock=YearClock(year)))
