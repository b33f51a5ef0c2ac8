"""State, outbox events and audit entries in one transaction — and nothing when refused.

The outbox envelopes are checked against the checked-in contract schemas
(contracts/events/fund/*.schema.json), which is what the consular service's consumer relies on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import text

from reserve_fund.domain import commands as c
from reserve_fund.domain.errors import BudgetExhausted

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "events"


def schema(event_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (CONTRACTS / "fund" / f"{event_type}.schema.json").read_text()
    )
    return loaded


async def outbox(fund, app_id) -> list[dict[str, Any]]:
    async with fund.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox WHERE aggregateid = :a ORDER BY created_at, id"),
            {"a": str(app_id)},
        )
        return [row.payload for row in rows]


async def audit(fund, app_id) -> list[tuple[str, str, dict[str, Any]]]:
    async with fund.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT actor, action, detail FROM audit WHERE entity_id = :a ORDER BY seq"),
            {"a": str(app_id)},
        )
        return [(row.actor, row.action, row.detail) for row in rows]


class TestCommittedChanges:
    async def test_an_approval_writes_state_events_and_audit_together(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed()
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)

        assert (
            await fund.scalar("SELECT status FROM application WHERE id = :i", i=app_id)
            == "approved"
        )
        envelopes = await outbox(fund, app_id)
        assert [e["type"] for e in envelopes] == [
            "fund.application.submitted.v1",
            "fund.application.approved.v1",
        ]
        envelope_schema = json.loads((CONTRACTS / "envelope.schema.json").read_text())
        for envelope in envelopes:
            jsonschema.validate(envelope, envelope_schema)
            jsonschema.validate(envelope["data"], schema(envelope["type"]))
            assert sorted(envelope["access"]) == ["GT", "IOM"]
            assert envelope["source"] == "puebla/reserve_fund"
            assert envelope["subject"] == str(app_id)
        submitted, approved = (e["data"] for e in envelopes)
        assert "Ana" not in json.dumps(submitted)
        assert "1990-03-01" not in json.dumps(submitted)
        assert approved["beneficiary"] == {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-03-01",
            "nationality": "GT",
        }
        assert approved["current_country"] == "MX"
        assert approved["approved_total"] == "300.00"
        assert approved["approvers"] == ["iom.approver"]
        assert approved["budget_year"] == fund.year
        assert approved["version"] == 4

        trail = await audit(fund, app_id)
        assert [(actor, action) for actor, action, _ in trail] == [
            ("consul.gt.tapachula", "fund_application.created"),
            ("consul.gt.tapachula", "fund_application.submitted"),
            ("iom.officer", "fund_application.reviewed"),
            ("iom.approver", "fund_application.approved"),
        ]
        approved_detail = trail[-1][2]
        assert approved_detail["approved_total"] == "300.00"
        assert approved_detail["budget_year"] == fund.year
        assert "Ana" not in json.dumps(trail)  # the trail says who did what, not to whom

    async def test_a_first_of_two_approvals_publishes_nothing(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(fund.consul, "700.00")
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)
        assert [e["type"] for e in await outbox(fund, app_id)] == ["fund.application.submitted.v1"]
        assert (await audit(fund, app_id))[-1][:2] == (
            "iom.approver",
            "fund_application.approval_recorded",
        )
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver2)
        envelopes = await outbox(fund, app_id)
        assert [e["type"] for e in envelopes] == [
            "fund.application.submitted.v1",
            "fund.application.approved.v1",
        ]
        assert envelopes[-1]["data"]["approvers"] == ["iom.approver", "iom.approver2"]
        assert envelopes[-1]["data"]["approved_total"] == "700.00"

    async def test_a_budget_change_is_audited(self, fund):
        await fund.set_budget("1234.56")
        async with fund.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT actor, action, detail FROM audit"
                        " WHERE entity_type = 'fund_budget' AND entity_id = :y"
                    ),
                    {"y": str(fund.year)},
                )
            ).all()
        assert [(r.actor, r.action) for r in rows] == [("iom.approver", "fund_budget.set")]
        assert rows[0].detail["allocated"] == "1234.56"

    async def test_filing_by_the_departure_country_labels_it_for_both(self, fund):
        app_id = await fund.reviewed(fund.inm_mx)
        (envelope,) = await outbox(fund, app_id)
        assert sorted(envelope["access"]) == ["GT", "IOM", "MX"]
        assert envelope["data"]["requesting_country"] == "MX"


class TestRefusedChanges:
    async def test_a_refused_approval_leaves_nothing_behind(self, fund):
        await fund.set_budget("299.99")
        app_id = await fund.reviewed()
        events_before = len(await outbox(fund, app_id))
        audit_before = len(await audit(fund, app_id))
        version_before = await fund.scalar(
            "SELECT version FROM application WHERE id = :i", i=app_id
        )

        with pytest.raises(BudgetExhausted):
            await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)

        assert len(await outbox(fund, app_id)) == events_before
        assert len(await audit(fund, app_id)) == audit_before
        assert (
            await fund.scalar("SELECT version FROM application WHERE id = :i", i=app_id)
            == version_before
        )
        assert (
            await fund.scalar(
                "SELECT count(*) FROM application_approval WHERE application_id = :i", i=app_id
            )
            == 0
        )
        assert (
            await fund.scalar("SELECT reserved::text FROM budget WHERE year = :y", y=fund.year)
            == "0.00"
        )
