"""The child-case statistics (`GET /v1/statistics`): SQL aggregates over `child_case`.

Who reads them (POLICY.md "Statistics"): the `secretariat`, every host country's cases
(optionally one country's: cases it hosts or about its nationals); a
`child_protection_supervisor`, only the cases their own country hosts — never the figures of
another host about their nationals, so a case blocked for the child's own state (the protection
exception) does not surface there even as a count. Caseworkers (`child_protection_officer`),
consuls and everyone else get a 403.

A case counts in the year the child was identified (UTC). Deadlines are each stage's with one
(notification, interview, BIA, BID): met (the act recorded by the due time), late (recorded
after it) or missed (still missing after it, at the closing time for a closed case); a stage
still running is not counted. Only group keys and counts leave the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Integer, case, cast, extract, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from child_protection.adapters.orm import child_case
from child_protection.domain.actors import CHILD_PROTECTION_SUPERVISOR
from puebla.auth.principal import Principal
from puebla.service import Service
from puebla.statistics import (
    StatisticsRead,
    StatisticsTable,
    cell,
    statistics_country,
    table,
)

c = child_case.c

# Each stage with a deadline: its milestone in `reached`, its allowance in `deadline_rule`.
DEADLINES = (
    ("notified", "notification_seconds"),
    ("interviewed", "interview_seconds"),
    ("assessed", "bia_seconds"),
    ("determined", "bid_seconds"),
)
KEYS: dict[str, ColumnElement[Any]] = {
    "by_stage": c.stage,
    "by_nationality": c.nationality,
    "by_host_country": c.host_country,
    "by_bid_decision": c.bid_decision,
}


def deadline_outcome(milestone: str, allowance: str) -> ColumnElement[Any]:
    due = c.identified_at + func.make_interval(
        0, 0, 0, 0, 0, 0, cast(c.deadline_rule[allowance].astext, Integer)
    )
    met_at = cast(c.reached[milestone].astext, DateTime(timezone=True))
    until = func.coalesce(c.closed_at, func.now())
    return case(
        (met_at <= due, literal("met")),
        (met_at.is_not(None), literal("late")),
        (until > due, literal("missed")),
        else_=literal(None),
    )


def reader_country(caller: Principal, requested: str | None) -> str | None:
    return statistics_country(
        caller,
        requested,
        country_roles=(CHILD_PROTECTION_SUPERVISOR,),
        what="Child-protection statistics",
    )


async def statistics(
    svc: Service[Any],
    caller: Principal,
    *,
    year: int,
    country: str | None,
    threshold: int,
) -> StatisticsRead:
    narrowed = reader_country(caller, country)
    where: list[ColumnElement[bool]] = [extract("year", c.identified_at) == year]
    if narrowed is not None:
        where.append(
            c.host_country == narrowed
            if not caller.has_role("secretariat")
            else or_(c.host_country == narrowed, c.nationality == narrowed)
        )
    tables: list[StatisticsTable] = []
    async with svc.sessions() as session:
        total = await session.execute(select(func.count()).select_from(child_case).where(*where))
        total_count = int(total.scalar_one())
        for name, key in KEYS.items():
            rows = await session.execute(
                select(key, func.count()).where(*where).group_by(key).order_by(key)
            )
            tables.append(table(name, rows.all(), threshold))
        deadline_rows: list[tuple[str, int]] = []
        for milestone, allowance in DEADLINES:
            outcome = deadline_outcome(milestone, allowance).label("outcome")
            rows = await session.execute(
                select(outcome, func.count()).where(*where).group_by(outcome).order_by(outcome)
            )
            deadline_rows += [(f"{milestone}:{key}", n) for key, n in rows.all() if key is not None]
    tables.append(table("by_deadline", deadline_rows, threshold))
    return StatisticsRead(
        service="child_protection",
        year=year,
        country=narrowed,
        small_cell=threshold,
        total=cell(total_count, threshold),
        tables=tables,
    )
