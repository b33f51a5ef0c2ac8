"""Migrations that change what existing rows mean, run over rows written before them.

`0003_deadlines_identified_at`: deadlines count from the identification, so every case's
`next_deadline_at` (the scheduler's) moves, and `overdue_after` (the lists') is filled in. The
test goes back to 0002 (whose downgrade restores the due times counted from the opening), checks
that, and comes forward again. The default case is identified at 13:30 and opened at 15:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from child_protection.config import SERVICE_DIR
from child_protection.domain import commands as c
from child_protection.service_layer import handlers
from puebla.db.migrations import alembic_config

from .conftest import DIF, SYSTEM


async def _migrate(runtime, revision: str, *, down: bool = False) -> None:
    engine = runtime.engine
    cfg = alembic_config(SERVICE_DIR, engine.url.render_as_string(hide_password=False))

    def run(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestDeadlinesFromIdentification:
    async def test_existing_cases_are_recomputed(self, fresh_cases) -> None:
        cases, clock = fresh_cases, fresh_cases.clock
        nothing_done = await cases.open()
        notified = await cases.open()
        await cases.notify(notified)
        closed = await cases.open()
        await cases.close_in_host(closed)  # no notification, no interview
        clock.now = _utc(2026, 12, 5)
        await handlers.check_all_deadlines(cases.uow(SYSTEM))  # the interview reported overdue
        query = "SELECT next_deadline_at, overdue_after FROM child_case WHERE id = :id"

        await _migrate(cases.runtime, "0002_child_cases", down=True)
        old = "SELECT next_deadline_at FROM child_case WHERE id = :id"
        # counted from the opening (15:00), as before: the BIA is the next stage to check
        assert (await cases.row(old, id=nothing_done))["next_deadline_at"] == _utc(2026, 12, 16, 15)
        assert (await cases.row(old, id=notified))["next_deadline_at"] == _utc(2026, 12, 16, 15)
        await _migrate(cases.runtime, "head")

        rows = {
            name: dict(await cases.row(query, id=case_id))
            for name, case_id in (
                ("nothing_done", nothing_done),
                ("notified", notified),
                ("closed", closed),
            )
        }
        assert rows == {
            # notification and interview reported overdue; BIA and BID are 15 and 30 days on
            "nothing_done": {
                "next_deadline_at": _utc(2026, 12, 16, 13, 30),
                "overdue_after": _utc(2026, 12, 2, 13, 30),
            },
            "notified": {
                "next_deadline_at": _utc(2026, 12, 16, 13, 30),
                "overdue_after": _utc(2026, 12, 4, 13, 30),
            },
            "closed": {"next_deadline_at": None, "overdue_after": _utc(2026, 12, 2, 13, 30)},
        }

    async def test_a_case_written_by_the_new_code_needs_no_recomputing(self, fresh_cases) -> None:
        cases = fresh_cases
        case_id = await cases.open(identified_at=cases.clock() - timedelta(days=2))
        await handlers.record_interview(
            c.RecordInterview(
                case_id=case_id, conducted_at=cases.clock(), language="es", notes="-"
            ),
            cases.uow(DIF),
        )
        query = "SELECT next_deadline_at, overdue_after FROM child_case WHERE id = :id"
        written = dict(await cases.row(query, id=case_id))

        await _migrate(cases.runtime, "0002_child_cases", down=True)
        await _migrate(cases.runtime, "head")

        assert (
            dict(await cases.row(query, id=case_id))
            == written
            == {
                "next_deadline_at": _utc(
                    2026, 11, 30, 15
                ),  # the notification, 24 h after 11-29 15:00
                "overdue_after": _utc(2026, 11, 30, 15),
            }
        )
        async with cases.runtime.sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM child_case"))).scalar() == 1
