"""Concurrent approvals against the real PostgreSQL: the budget is never overspent.

All approvals of a race are sent at once (in-process HTTP with real tokens, each request in its
own database transaction). While they run, a separate connection samples the year's available
amount as fast as it can: every committed state it sees must be one of the legal amounts, and
none below zero. Without the budget row lock the losers would fail on the version check (409
`concurrent_change`) or, worse, overspend; the tests demand exactly the budget's answer.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

from sqlalchemy import text

from puebla.db.engine import make_engine


class Sampler:
    """Reads allocated - reserved - disbursed on its own connection until stopped."""

    def __init__(self, url: str, year: int) -> None:
        self.engine = make_engine(url, pool_size=1, max_overflow=0)
        self.year = year
        self.values: list[Decimal] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        async with self.engine.connect() as conn:
            while not self._stop.is_set():
                value = (
                    await conn.execute(
                        text("SELECT allocated - reserved - disbursed FROM budget WHERE year = :y"),
                        {"y": self.year},
                    )
                ).scalar_one()
                await conn.commit()
                self.values.append(value)

    async def around(self, work):
        task = asyncio.create_task(self.run())
        try:
            return await work
        finally:
            self._stop.set()
            await task
            await self.engine.dispose()


async def prepared(desk, count: int, amount: str) -> list[str]:
    for user in ("consul.gt.tapachula", "iom.officer", "iom.approver", "iom.approver2"):
        desk.tokens.get(user)  # fetch every token before the race, not during it
    items = [{"kind": "transport", "amount": amount}]
    return list(await asyncio.gather(*(desk.reviewed(items=items) for _ in range(count))))


class TestConcurrentApprovals:
    async def test_twenty_approvals_of_300_against_2100(self, desk, runtime):
        assert (await desk.set_budget("2100.00")).status_code == 200
        ids = await prepared(desk, 20, "300.00")
        sampler = Sampler(runtime.definition.database_url, desk.year)

        responses = await sampler.around(asyncio.gather(*(desk.approve(app_id) for app_id in ids)))

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [409] * 13
        for refused in (r for r in responses if r.status_code == 409):
            body = refused.json()
            assert body["rule"] == "budget.exhausted"
            assert body["requested"] == "300.00"
            assert body["available"] == "0.00"
            assert body["detail"] == (
                f"the {desk.year} budget has USD 0.00 available; this approval needs USD 300.00"
            )
        budget = await desk.budget()
        assert (budget["allocated"], budget["reserved"], budget["available"]) == (
            "2100.00",
            "2100.00",
            "0.00",
        )
        legal = {Decimal(f"{300 * n}.00") for n in range(8)}
        assert sampler.values, "the sampler never ran"
        assert set(sampler.values) <= legal
        assert min(sampler.values) >= 0
        approved = [r.json()["id"] for r in responses if r.status_code == 200]
        async with runtime.engine.connect() as conn:
            stored = (
                await conn.execute(
                    text(
                        "SELECT status, count(*), sum(approved_total)::text FROM application"
                        " WHERE id = ANY(:ids) GROUP BY status ORDER BY status"
                    ),
                    {"ids": [uuid.UUID(i) for i in ids]},
                )
            ).all()
        assert [tuple(row) for row in stored] == [
            ("approved", 7, "2100.00"),
            ("under_review", 13, "0.00"),
        ]
        assert len(set(approved)) == 7

    async def test_second_approvals_race_above_the_threshold(self, desk, runtime):
        assert (await desk.set_budget("2100.00")).status_code == 200
        ids = await prepared(desk, 20, "700.00")
        calls = [(app_id, user) for app_id in ids for user in ("iom.approver", "iom.approver2")]
        random.shuffle(calls)
        sampler = Sampler(runtime.definition.database_url, desk.year)

        responses = await sampler.around(
            asyncio.gather(*(desk.approve(app_id, user) for app_id, user in calls))
        )

        per_app: dict[str, list[int]] = {app_id: [] for app_id in ids}
        for (app_id, _), response in zip(calls, responses, strict=True):
            per_app[app_id].append(response.status_code)
            if response.status_code == 409:
                assert response.json()["rule"] == "budget.exhausted"
                assert response.json()["requested"] == "700.00"
        # Every application got its first approval; exactly three got the second, final one.
        assert sorted(sorted(codes) for codes in per_app.values()) == (
            [[200, 200]] * 3 + [[200, 409]] * 17
        )
        budget = await desk.budget()
        assert (budget["reserved"], budget["available"]) == ("2100.00", "0.00")
        assert set(sampler.values) <= {Decimal(v) for v in ("2100.00", "1400.00", "700.00", "0")}
        assert min(sampler.values) >= 0
        reads = [(await desk.read(app_id)).json() for app_id in ids]
        approved = [r for r in reads if r["status"] == "approved"]
        assert len(approved) == 3
        for read in approved:
            assert sorted(a["by"] for a in read["approvals"]) == ["iom.approver", "iom.approver2"]
        for read in (r for r in reads if r["status"] != "approved"):
            assert read["status"] == "under_review"
            assert len(read["approvals"]) == 1

    async def test_the_same_approver_twice_at_once_counts_once(self, desk):
        assert (await desk.set_budget("2100.00")).status_code == 200
        ids = await prepared(desk, 3, "700.00")
        calls = [
            (app_id, user)
            for app_id in ids
            for user in ("iom.approver", "iom.approver", "iom.approver2")
        ]
        random.shuffle(calls)

        responses = await asyncio.gather(*(desk.approve(app_id, user) for app_id, user in calls))

        for app_id in ids:
            codes = sorted(
                r.status_code for (a, _), r in zip(calls, responses, strict=True) if a == app_id
            )
            assert codes == [200, 200, 409]
        for (_, _), response in zip(calls, responses, strict=True):
            if response.status_code == 409:
                # Refused as a repeat, or because the application was already approved.
                assert response.json()["rule"] in {
                    "approval.same_approver_twice",
                    "lifecycle.invalid_transition",
                }
        for app_id in ids:
            read = (await desk.read(app_id)).json()
            assert read["status"] == "approved"
            assert sorted(a["by"] for a in read["approvals"]) == ["iom.approver", "iom.approver2"]
        assert (await desk.budget())["available"] == "0.00"
