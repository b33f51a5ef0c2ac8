"""A cancelled application reaches the FUND stream through the outbox relay with what the
consular service needs to withdraw the return notice it sent on approval — and what arrives
validates against the checked-in schemas (envelope and data).

On a scratch database of its own (`reserve_fund_bus_…`, dropped afterwards), so that the relay
run here publishes only what this module wrote, never the other tests' events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest_asyncio
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.messaging.relay import OutboxRelay
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.service import service_runtime
from puebla_dev.testing.waiting import wait_until
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

from .conftest import Fund, claim_year, for_a_child_case

EVENTS = Path(__file__).resolve().parents[4] / "contracts" / "events"
CANCELLED = "fund.application.cancelled.v1"


def schema(name: str) -> dict[str, Any]:
    path = EVENTS / "envelope.schema.json" if name == "envelope" else EVENTS / "fund" / name
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def validate(schema_: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft202012Validator(
        schema_, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


class Who:
    """The principals, as the API builds them from verified tokens."""

    consul = Principal(
        subject="t-gt",
        username="consul.gt.tapachula",
        roles=frozenset({"consular_officer"}),
        country="GT",
    )
    officer = Principal(subject="t-o", username="iom.officer", roles=frozenset({"fund_officer"}))
    approver = Principal(subject="t-a", username="iom.approver", roles=frozenset({"fund_approver"}))


class YearClock:
    """Real time, moved to `year`: the approval is charged to a budget of this test's own."""

    def __init__(self, year: int) -> None:
        self.year = year

    def __call__(self) -> datetime:
        now = datetime.now(UTC)
        return now.replace(year=self.year, day=min(now.day, 28))


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def bus_runtime(infra: Infra) -> AsyncIterator[Runtime]:
    async with scratch_database(infra, "reserve_fund_bus", SERVICE_DIR) as db:
        rt = await service_runtime(infra, definition(), database=db.name)
        try:
            yield rt
        finally:
            await rt.close()


async def relay_until_published(runtime: Runtime, application_id: str) -> None:
    assert runtime.js is not None
    relay = OutboxRelay(runtime.engine, runtime.sessions, runtime.js, poll_interval=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))

    async def published() -> bool:
        async with runtime.sessions() as session:
            left = await session.execute(
                text("SELECT count(*) FROM outbox WHERE aggregateid = :a AND published_at IS NULL"),
                {"a": application_id},
            )
            return int(left.scalar_one()) == 0

    try:
        await wait_until(published, timeout=20, what="the application's events published")
    finally:
        stop.set()
        await task


class TestCancelledReachesTheStream:
    async def test_cancelling_an_approved_application_publishes_what_consular_needs(
        self, bus_runtime, js
    ):
        year = await claim_year(bus_runtime)
        app = Fund(bus_runtime, year, FundService(bus_runtime, clock=YearClock(year)))
        await app.handle(
            c.SetBudget(year=year, allocated=Money.parse("1000.00")),
            Who.approver,
        )
        app_id = await app.handle(
            c.CreateApplication(
                beneficiary=Beneficiary(
                    "Ana María", "López Pérez", Sex.FEMALE, date(1990, 3, 1), "GT", False
                ),
                current_country="MX",
                categories=frozenset({Category.INJURY_OR_ILLNESS}),
                voluntary_consent=Consent(
                    True, ConsentGiver.BENEFICIARY, datetime(2026, 1, 10, tzinfo=UTC)
                ),
                items=(CostItem(CostKind.TRANSPORT, Money.parse("300.00")),),
                justification="Needs treatment at home.",
            ),
            Who.consul,
        )
        await app.handle(
            c.SubmitApplication(application_id=app_id),
            Who.consul,
        )
        await app.handle(
            c.ReviewApplication(
                application_id=app_id,
                recommendation=Recommendation.APPROVE,
                note="Eligible.",
            ),
            Who.officer,
        )
        await app.handle(c.ApproveApplication(application_id=app_id), Who.approver)

        durable = f"test-fund-cancelled-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "FUND",
            ConsumerConfig(
                durable_name=durable, deliver_policy=DeliverPolicy.NEW, filter_subject=CANCELLED
            ),
        )
        try:
            await app.handle(
                c.CancelApplication(application_id=app_id, reason="Consent withdrawn"),
                Who.officer,
            )
            await relay_until_published(bus_runtime, str(app_id))
            psub = await js.pull_subscribe_bind(durable=durable, stream="FUND")
            found: list[Any] = []

            async def arrived() -> bool:
                try:
                    msgs = await psub.fetch(10, timeout=1)
                except TimeoutError:
                    msgs = []
                for msg in msgs:
                    await msg.ack()
                    if json.loads(msg.data)["subject"] == str(app_id):
                        found.append(msg)
                return bool(found)

            await wait_until(arrived, timeout=20, what="fund.application.cancelled.v1 on FUND")
            await psub.unsubscribe()
        finally:
            await js.delete_consumer("FUND", durable)

        (msg,) = found
        envelope = json.loads(msg.data)
        validate(schema("envelope"), envelope)
        validate(schema(f"{CANCELLED}.schema.json"), envelope["data"])
        assert msg.subject == CANCELLED
        assert msg.headers["Nats-Msg-Id"] == envelope["id"]
        assert (envelope["type"], envelope["source"]) == (CANCELLED, "puebla/reserve_fund")
        # The beneficiary's consulate (GT) is among those allowed to see it: the consular
        # service withdraws, for that post, the return notice the approval opened.
        assert sorted(envelope["access"]) == ["GT", "IOM"]
        data = envelope["data"]
        assert data["application_id"] == str(app_id)
        assert (data["beneficiary_nationality"], data["current_country"]) == ("GT", "MX")
        assert (data["was_approved"], data["released"], data["budget_year"]) == (
            True,
            "300.00",
            year,
        )
        assert data["cancelled_by"] == "iom.officer"
        assert data["version"] == 5
        # No personal data outside the approved event.
        assert "López" not in msg.data.decode()
        assert "1990-03-01" not in msg.data.decode()


async def fund_events_of(js: Any, durable: str, application_id: str, count: int) -> list[Any]:
    """The application's envelopes on FUND as a consumer created before they were published
    reads them, in stream order."""
    psub = await js.pull_subscribe_bind(durable=durable, stream="FUND")
    found: list[Any] = []

    async def arrived() -> bool:
        try:
            msgs = await psub.fetch(10, timeout=1)
        except TimeoutError:
            msgs = []
        for msg in msgs:
            await msg.ack()
            envelope = json.loads(msg.data)
            if envelope["subject"] == application_id:
                found.append(envelope)
        return len(found) >= count

    try:
        await wait_until(arrived, timeout=20, what=f"{count} events of {application_id} on FUND")
    finally:
        await psub.unsubscribe()
    return found


class TestABlockedChildsApplicationOnTheStream:
    async def test_its_events_carry_no_nationality_once_the_case_is_blocked(
        self, bus_runtime, js, child_events
    ):
        """A Honduran child's return, filed by Mexico and approved while his case was open
        (the consulate is told), then his case is blocked and IOM cancels: the cancellation
        consular consumes reaches the stream labelled for IOM and Mexico only."""
        child_cases = child_events(bus_runtime)
        case_id = await child_cases.for_return()
        year = await claim_year(bus_runtime)
        app = Fund(bus_runtime, year, FundService(bus_runtime, clock=YearClock(year)))
        await app.handle(
            c.SetBudget(year=year, allocated=Money.parse("1000.00")),
            Who.approver,
        )
        inm_mx = Principal(
            subject="t-mx",
            username="inm.mx",
            roles=frozenset({"immigration_officer"}),
            country="MX",
        )
        durable = f"test-fund-blocked-{uuid.uuid4().hex[:8]}"
        await js.add_consumer(
            "FUND",
            ConsumerConfig(
                durable_name=durable, deliver_policy=DeliverPolicy.NEW, filter_subject="fund.>"
            ),
        )
        try:
            app_id = await app.handle(for_a_child_case(case_id), inm_mx)
            await app.handle(c.SubmitApplication(application_id=app_id), inm_mx)
            await app.handle(
                c.ReviewApplication(
                    application_id=app_id,
                    recommendation=Recommendation.APPROVE,
                    note="Eligible.",
                ),
                Who.officer,
            )
            await app.handle(c.ApproveApplication(application_id=app_id), Who.approver)
            await child_cases.blocked(case_id)
            await app.handle(
                c.CancelApplication(application_id=app_id, reason="Protection need found"),
                Who.officer,
            )
            await relay_until_published(bus_runtime, str(app_id))
            envelopes = await fund_events_of(js, durable, str(app_id), 3)
        finally:
            await js.delete_consumer("FUND", durable)

        for envelope in envelopes:
            validate(schema("envelope"), envelope)
        assert [(e["type"], sorted(e["access"])) for e in envelopes] == [
            ("fund.application.submitted.v1", ["HN", "IOM", "MX"]),
            ("fund.application.approved.v1", ["HN", "IOM", "MX"]),
            (CANCELLED, ["IOM", "MX"]),
        ]
        # what consular needs to withdraw the notice of the approval is there all the same
        cancelled = envelopes[-1]["data"]
        assert (cancelled["application_id"], cancelled["was_approved"]) == (str(app_id), True)
