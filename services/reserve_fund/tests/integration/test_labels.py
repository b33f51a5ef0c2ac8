"""While an application's child case is blocked for the consulate, every event written about the
application leaves the child's nationality off its `access` label — read back from the outbox
rows the relay publishes as they are, on the real database, with the child events fed through
the worker's own consumers. The child's own state learns nothing from the bus either."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla_dev.testing.waiting import wait_until
from reserve_fund.domain import (
    Recommendation,
)
from reserve_fund.domain import commands as c

from .conftest import for_a_child_case

HN_CONSUL = Principal(
    subject="test-consul.hn.tapachula",
    username="consul.hn.tapachula",
    roles=frozenset({"consular_officer"}),
    country="HN",
)


async def labels(fund: Any, app_id: uuid.UUID) -> list[tuple[str, list[str]]]:
    """(type, access sorted) of the application's outbox rows, oldest first."""
    async with fund.runtime.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT type, payload -> 'access' AS access FROM outbox"
                " WHERE aggregateid = :a ORDER BY id"
            ),
            {"a": str(app_id)},
        )
        return [(row.type, sorted(row.access)) for row in rows]


async def reviewed_for(fund: Any, case_id: uuid.UUID, by: Principal) -> uuid.UUID:
    """A Honduran in Mexico, linked to his child case (the clock runs in a budget year of the
    test's own, centuries ahead: grown up by then — the link does not depend on age), filed by
    `by`, submitted and reviewed."""
    app_id: uuid.UUID = await fund.handle(for_a_child_case(case_id), by)
    await fund.handle(c.SubmitApplication(application_id=app_id), by)
    await fund.handle(
        c.ReviewApplication(
            application_id=app_id,
            recommendation=Recommendation.APPROVE,
            note="Eligible.",
        ),
        fund.officer,
    )
    return app_id


class TestLabelsWhileTheChildCaseIsBlocked:
    async def test_a_return_cancelled_after_the_block_is_labelled_for_iom_and_the_host(
        self, fund, child_cases
    ):
        await fund.set_budget("1000.00")
        case_id = await child_cases.for_return()
        app_id = await reviewed_for(fund, case_id, fund.inm_mx)
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)
        await child_cases.blocked(case_id)
        await fund.handle(
            c.CancelApplication(application_id=app_id, reason="Case blocked"),
            fund.officer,
        )
        assert await labels(fund, app_id) == [
            ("fund.application.submitted.v1", ["HN", "IOM", "MX"]),
            ("fund.application.approved.v1", ["HN", "IOM", "MX"]),
            ("fund.application.cancelled.v1", ["IOM", "MX"]),
        ]

    async def test_filed_by_the_childs_own_consul_only_iom_is_left(self, fund, child_cases):
        case_id = await child_cases.for_return()
        app_id = await reviewed_for(fund, case_id, HN_CONSUL)
        await child_cases.blocked(case_id)
        await fund.handle(
            c.RejectApplication(application_id=app_id, reason="Not now."),
            fund.approver,
        )
        assert await labels(fund, app_id) == [
            ("fund.application.submitted.v1", ["HN", "IOM"]),
            ("fund.application.rejected.v1", ["IOM"]),
        ]

    async def test_once_the_block_is_cleared_the_nationality_is_back_on_the_label(
        self, fund, child_cases
    ):
        await fund.set_budget("1000.00")
        case_id = await child_cases.for_return()
        app_id = await reviewed_for(fund, case_id, fund.inm_mx)
        await child_cases.blocked(case_id)
        await child_cases.cleared(case_id)
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)
        assert (await labels(fund, app_id))[-1] == (
            "fund.application.approved.v1",
            ["HN", "IOM", "MX"],
        )

    async def test_a_block_being_recorded_meanwhile_is_waited_for_and_then_holds(
        self, fund, child_cases
    ):
        """The label is decided under a shared lock on the child case: a cancellation that
        commits while the block's transaction is still open waits for it, then labels without
        the nationality (a plain read would have seen the old row and labelled it for HN)."""
        await fund.set_budget("1000.00")
        case_id = await child_cases.for_return()
        app_id = await reviewed_for(fund, case_id, fund.inm_mx)
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)
        cancel = c.CancelApplication(application_id=app_id, reason="Withdrawn")
        async with fund.runtime.engine.connect() as block:
            # what the block consumer's transaction does, held open
            await block.execute(
                text("SELECT case_id FROM child_case WHERE case_id = :c FOR UPDATE"),
                {"c": case_id},
            )
            await block.execute(
                text(
                    "UPDATE child_case SET blocked_for_consulate = true, block_version = 10"
                    " WHERE case_id = :c"
                ),
                {"c": case_id},
            )
            cancelling = asyncio.create_task(fund.handle(cancel, fund.officer))

            async def waiting_for_the_block() -> bool:
                async with fund.runtime.sessions() as session:
                    waiting = await session.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                            " current_database() AND wait_event_type = 'Lock'"
                            " AND query LIKE '%FROM child_case%FOR SHARE%'"
                        )
                    )
                    return bool(waiting.scalar_one()) or cancelling.done()

            await wait_until(waiting_for_the_block, timeout=10, what="the cancellation waiting")
            assert not cancelling.done()
            await block.commit()
        await asyncio.wait_for(cancelling, timeout=10)
        assert (await labels(fund, app_id))[-1] == ("fund.application.cancelled.v1", ["IOM", "MX"])
