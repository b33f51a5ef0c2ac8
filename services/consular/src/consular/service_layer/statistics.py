"""The consular-notification statistics (`GET /v1/statistics`): SQL aggregates over
`notification`.

Who reads them (POLICY.md "Statistics"): the `secretariat`, every country's notices (optionally
one country's: those it sent as host or that concern its nationals); an `immigration_officer`,
only the notices that concern their own country, as host or as the person's nationality.
Consular officers (caseworkers: their inbox is their figures) and everyone else get a 403.
A withdrawn notice (taken back under the protection exception) is never counted: not even its
number may reach the nationality country.

A notice counts in the year, and the month, it occurred in the host's own time zone. Sending:
on time (sent by `due_at`), late (sent after it), not sent (routed, never sent), suppressed
(the person declined it), unroutable. Acknowledgement: within the deadline (`ack_due_at`),
late, overdue (none yet and the deadline past), waiting. Only group keys and counts leave the
database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, extract, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from consular.adapters.orm import notification
from puebla.auth.principal import Principal
from puebla.service import Service
from puebla.statistics import (
    StatisticsRead,
    StatisticsTable,
    cell,
    statistics_country,
    table,
)

IMMIGRATION = "immigration_officer"

n = notification.c
LOCAL_TIME = func.timezone(n.time_zone, n.occurred_at)
SENDING = case(
    (n.status == "suppressed", literal("suppressed")),
    (n.status == "unroutable", literal("unroutable")),
    (n.sent_at <= n.due_at, literal("on_time")),
    (n.sent_at.is_not(None), literal("late")),
    else_=literal("not_sent"),
)
ACKNOWLEDGEMENT = case(
    (n.ack_due_at.is_(None), literal(None)),
    (n.acknowledged_at <= n.ack_due_at, literal("within_deadline")),
    (n.acknowledged_at.is_not(None), literal("late")),
    (n.ack_due_at < func.now(), literal("overdue")),
    else_=literal("waiting"),
)
KEYS: dict[str, ColumnElement[Any]] = {
    "by_month": func.to_char(LOCAL_TIME, "YYYY-MM"),
    "by_kind": n.kind,
    "by_host_country": n.host_country,
    "by_nationality": n.nationality,
    "by_sending": SENDING,
    "by_acknowledgement": ACKNOWLEDGEMENT,
}


def reader_country(caller: Principal, requested: str | None) -> str | None:
    return statistics_country(
        caller, requested, country_roles=(IMMIGRATION,), what="Consular statistics"
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
    where: list[ColumnElement[bool]] = [
        n.status != "withdrawn",
        extract("year", LOCAL_TIME) == year,
    ]
    if narrowed is not None:
        where.append(or_(n.host_country == narrowed, n.nationality == narrowed))
    tables: list[StatisticsTable] = []
    async with svc.sessions() as session:
        total = await session.execute(select(func.count()).select_from(notification).where(*where))
        total_count = int(total.scalar_one())
        for name, key in KEYS.items():
            grouped = key.label("key")
            rows = await session.execute(
                select(grouped, func.count()).where(*where).group_by(grouped).order_by(grouped)
            )
            tables.append(table(name, rows.all(), threshold))
    return StatisticsRead(
        service="consular",
        year=year,
        country=narrowed,
        small_cell=threshold,
        total=cell(total_count, threshold),
        tables=tables,
    )
