"""What PostgreSQL itself refuses, behind the row locks: an overspent year, a repeated approver.

Also: when such a constraint fires under a real unit of work, the change is answered as a
conflict (409) and nothing of it is applied.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from puebla.refusals import ConcurrentChange
from reserve_fund.domain import approve, budget_year_of


async def refused(fund, sql: str, **params) -> str:
    """Runs `sql`, expecting a constraint violation; returns the constraint's name."""
    async with fund.runtime.engine.connect() as conn:
        with pytest.raises(IntegrityError) as caught:
            await conn.execute(text(sql), params)
        await conn.rollback()
    cause: Any = caught.value.orig.__cause__ if caught.value.orig is not None else None
    return str(cause.constraint_name)


class TestBudgetConstraints:
    async def test_available_can_never_go_below_zero(self, fund):
        await fund.set_budget("100.00")
        name = await refused(
            fund, "UPDATE budget SET reserved = 100.01 WHERE year = :y", y=fund.year
        )
        assert name == "ck_budget_available_not_negative"
        name = await refused(
            fund,
            "UPDATE budget SET reserved = 60.00, disbursed = 40.01 WHERE year = :y",
            y=fund.year,
        )
        assert name == "ck_budget_available_not_negative"

    async def test_no_figure_is_negative(self, fund):
        for column, constraint in (
            ("allocated", "ck_budget_allocated_not_negative"),
            ("reserved", "ck_budget_reserved_not_negative"),
            ("disbursed", "ck_budget_disbursed_not_negative"),
        ):
            name = await refused(
                fund, f"UPDATE budget SET {column} = -0.01 WHERE year = :y", y=fund.year
            )
            assert name == constraint

    async def test_money_columns_are_exact_decimals(self, fund):
        async with fund.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT table_name, column_name, data_type, numeric_precision,"
                        " numeric_scale FROM information_schema.columns WHERE column_name IN"
                        " ('allocated', 'reserved', 'disbursed', 'amount', 'threshold',"
                        " 'requested_total', 'approved_total', 'released_total')"
                        " AND table_schema = 'public' ORDER BY table_name, column_name"
                    )
                )
            ).all()
        assert {(r.data_type, r.numeric_precision, r.numeric_scale) for r in rows} == {
            ("numeric", 12, 2)
        }
        assert len(rows) == 10  # 3 budget, 3 application, item, disbursement, 2 rules


class TestApprovalConstraint:
    async def test_one_approval_per_person_per_application(self, fund):
        app_id = await fund.reviewed()
        insert = (
            "INSERT INTO application_approval (application_id, approver, at)"
            " VALUES (:a, 'iom.approver', now())"
        )
        async with fund.runtime.engine.begin() as conn:
            await conn.execute(text(insert), {"a": app_id})
        assert await refused(fund, insert, a=app_id) == "uq_application_approval_approver"

    async def test_a_racing_duplicate_is_a_conflict_and_applies_nothing(self, fund):
        """A writer that slipped past the row lock (here: a raw INSERT while the unit of work
        holds it) makes the commit fail on the unique constraint: 409, nothing half-applied."""
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(fund.consul, "700.00")  # needs two approvers
        uow = fund.uow()

        async def approve_while_someone_slips_in() -> None:
            async with uow:
                application = await uow.applications.get_for_update(app_id)
                budget = await uow.budgets.get_for_update(budget_year_of(uow.clock()))
                approve(application, budget, approver="iom.approver", now=uow.clock())
                async with fund.runtime.engine.begin() as racer:
                    await racer.execute(
                        text(
                            "INSERT INTO application_approval (application_id, approver, at)"
                            " VALUES (:a, 'iom.approver', now())"
                        ),
                        {"a": app_id},
                    )
                await uow.commit()

        with pytest.raises(ConcurrentChange) as caught:
            await approve_while_someone_slips_in()
        assert caught.value.kind == "conflict"
        assert caught.value.rule == "concurrent_change"
        # Which constraint stopped it stays in the cause (and the log), not in the answer.
        assert "uq_application_approval_approver" in str(caught.value.__cause__)
        assert await fund.scalar("SELECT version FROM application WHERE id = :i", i=app_id) == 3
        assert (
            await fund.scalar(
                "SELECT count(*) FROM audit WHERE entity_id = :i AND action LIKE '%approv%'",
                i=str(app_id),
            )
            == 0
        )
