"""Stage deadlines on a controllable clock: shown on the case, `child.stage.overdue.v1` once per
stage, from the worker's scheduler. No sleeps: the clock moves when the test says so.

Each test has a database of its own (`fresh_cases`): a scheduler pass looks at every case.
The default case is identified 2026-12-01 13:30 UTC and opened at 15:00 in Mexico, whose seeded
rule is DOMAIN.md's, counted from the identification: notification due 2026-12-02 13:30,
interview 2026-12-04 13:30, BIA 2026-12-16 13:30, BID 2026-12-31 13:30.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from child_protection.entrypoints.worker import deadlines_job
from child_protection.service_layer import handlers, queries
from puebla_dev.testing.waiting import wait_until

from .conftest import DIF, SYSTEM


def _overdue(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "child.stage.overdue.v1"]


async def _tick(cases) -> int:
    return await handlers.check_all_deadlines(cases.uow(SYSTEM))


class TestOverdueEvent:
    async def test_emitted_once_per_stage_strictly_after_the_due_time(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()

        clock.advance(timedelta(hours=22, minutes=30))  # exactly due: "within 24 h" of the
        assert await _tick(cases) == 0  # identification includes the 24th hour
        clock.advance(timedelta(seconds=1))
        assert await _tick(cases) == 1
        assert await _tick(cases) == 0
        clock.advance(timedelta(hours=1))
        assert await _tick(cases) == 0

        (event,) = _overdue(await cases.outbox(case_id))
        assert event["subject"] == str(case_id)
        assert event["access"] == ["HN", "MX"]
        assert event["data"]["overdue_stage"] == "notified"
        assert event["data"]["due_at"] == "2026-12-02T13:30:00Z"
        assert event["data"]["detected_at"] == "2026-12-02T13:30:01Z"
        assert event["data"]["stage"] == "identified"
        assert event["data"]["version"] == 2

    async def test_each_stage_in_turn(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()

        clock.now = datetime(2026, 12, 4, 15, 0, 1, tzinfo=UTC)
        assert await _tick(cases) == 2  # notification and interview, in one pass
        clock.now = datetime(2027, 1, 1, tzinfo=UTC)
        assert await _tick(cases) == 2  # BIA and BID
        clock.advance(timedelta(days=365))
        assert await _tick(cases) == 0

        overdue = [e["data"]["overdue_stage"] for e in _overdue(await cases.outbox(case_id))]
        assert overdue == ["notified", "interviewed", "assessed", "determined"]

    async def test_a_stage_met_in_time_never_goes_overdue(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()
        clock.advance(timedelta(hours=2))
        await cases.notify(case_id)
        await cases.interview(case_id)

        clock.advance(timedelta(days=3))
        assert await _tick(cases) == 0

        summary = await queries.case_summary(cases.services, DIF, case_id)
        shown = {d.stage.value: (d.overdue, d.met_at) for d in summary.deadlines}
        met = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
        assert shown["notified"] == (False, met)
        assert shown["interviewed"] == (False, met)
        assert shown["assessed"] == (False, None)

    async def test_the_case_shows_what_is_overdue_and_a_late_act_clears_it(
        self, fresh_cases
    ) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()
        clock.advance(timedelta(hours=30))

        before = await queries.case_summary(cases.services, DIF, case_id)
        assert [(d.stage.value, d.overdue) for d in before.deadlines] == [
            ("notified", True),
            ("interviewed", False),
            ("assessed", False),
            ("determined", False),
        ]
        assert await _tick(cases) == 1
        await cases.notify(case_id)  # late

        after = await queries.case_summary(cases.services, DIF, case_id)
        assert after.deadlines[0].overdue is False
        assert after.deadlines[0].late is True
        assert await _tick(cases) == 0

    async def test_while_blocked_the_event_is_for_the_host_only(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open(protection_need=True)
        clock.advance(timedelta(hours=25))

        await _tick(cases)

        (event,) = _overdue(await cases.outbox(case_id))
        assert event["access"] == ["MX"]

    async def test_a_closed_case_never_goes_overdue(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()
        clock.advance(timedelta(hours=1))
        await cases.close_in_host(case_id)

        clock.advance(timedelta(days=90))
        assert await _tick(cases) == 0

        assert _overdue(await cases.outbox(case_id)) == []
        row = await cases.row(
            "SELECT stage, next_deadline_at FROM child_case WHERE id = :id", id=case_id
        )
        assert (row["stage"], row["next_deadline_at"]) == ("closed", None)

    async def test_concurrent_passes_emit_once(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        ids = [await cases.open() for _ in range(5)]
        clock.advance(timedelta(hours=25))

        emitted = await asyncio.gather(*(_tick(cases) for _ in range(4)))

        assert sum(emitted) == 5
        for case_id in ids:
            assert len(_overdue(await cases.outbox(case_id))) == 1

    async def test_the_next_due_time_is_kept_on_the_row(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()
        query = "SELECT next_deadline_at FROM child_case WHERE id = :id"
        assert (await cases.row(query, id=case_id))["next_deadline_at"] == datetime(
            2026, 12, 2, 13, 30, tzinfo=UTC
        )

        clock.advance(timedelta(hours=25))
        await _tick(cases)

        assert (await cases.row(query, id=case_id))["next_deadline_at"] == datetime(
            2026, 12, 4, 13, 30, tzinfo=UTC
        )

    async def test_a_case_opened_late_is_overdue_at_once(self, fresh_cases) -> None:
        # Identified three days before anyone typed the case in: its 24 h ran out long ago.
        cases = fresh_cases
        case_id = await cases.open(identified_at=cases.clock() - timedelta(days=3))

        assert await _tick(cases) == 1

        (event,) = _overdue(await cases.outbox(case_id))
        assert event["data"]["overdue_stage"] == "notified"
        assert event["data"]["due_at"] == "2026-11-29T15:00:00Z"


class TestDeadlinesJob:
    async def test_the_worker_job_checks_on_its_clock_until_stopped(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        case_id = await cases.open()
        clock.advance(timedelta(hours=25))
        job = deadlines_job(lambda _: cases.services, seconds=3600)
        stop = asyncio.Event()

        task = asyncio.create_task(job(cases.runtime, stop))
        events = await wait_until(
            lambda: _overdue_of(cases, case_id), what="the overdue event in the outbox"
        )
        stop.set()
        await asyncio.wait_for(task, timeout=5)

        assert [e["data"]["overdue_stage"] for e in events] == ["notified"]
        entry = await cases.row(
            "SELECT actor FROM audit WHERE entity_id = :id AND action = 'child_case.stage_overdue'",
            id=str(case_id),
        )
        assert entry["actor"] == "system"

    async def test_a_failing_round_does_not_stop_the_job(self, fresh_cases, monkeypatch) -> None:
        cases = fresh_cases
        job = deadlines_job(lambda _: cases.services, seconds=0)
        calls = 0

        async def flaky(uow, **_: object) -> int:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionError("database restarting")
            return 0

        monkeypatch.setattr(handlers, "check_all_deadlines", flaky)
        stop = asyncio.Event()
        task = asyncio.create_task(job(cases.runtime, stop))
        await wait_until(lambda: _at_least(lambda: calls, 3), what="three rounds")
        stop.set()
        await asyncio.wait_for(task, timeout=5)

        assert calls >= 3  # the first round failed, the job went on


async def _overdue_of(cases, case_id) -> list[dict[str, Any]]:
    return _overdue(await cases.outbox(case_id))


async def _at_least(value, n: int) -> bool:
    return bool(value() >= n)
