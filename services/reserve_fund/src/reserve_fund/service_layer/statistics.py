"""The Reserve Fund statistics (`GET /v1/statistics`): SQL aggregates over `application`.

The year's applications are those submitted in it (UTC), so rejections count too: per month of
submission, decision (funded, rejected, cancelled, open), requesting country, nationality,
category (an application with several counts under each), sex and age band (the beneficiary's
age on the day it was submitted). `figures` adds the existing report's amounts: the amount
approved for the year's funded applications and — for the region only, never narrowed to a
country — the year's budget (allocated, reserved, disbursed, available); and the turnaround,
the median days from submission to the decision (the last approval, or the rejection), written
`<5` when fewer decisions than the small-cell threshold were taken. Only group keys, counts and
sums leave the database.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Date, case, cast, extract, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from puebla.auth.principal import Principal
from puebla.service import Service
from puebla.statistics import StatisticsRead, StatisticsTable, cell, table
from reserve_fund.adapters import orm
from reserve_fund.domain.lifecycle import FUNDED, Status
from reserve_fund.service_layer import access

a = orm.application.c
approval = orm.application_approval.c
FUNDED_STATUSES = sorted(s.value for s in FUNDED)
AGE = extract("year", func.age(cast(a.submitted_at, Date), a.beneficiary_date_of_birth))
AGE_BAND = case(
    (AGE < 12, literal("0-11")),
    (AGE < 18, literal("12-17")),
    (AGE < 60, literal("18-59")),
    else_=literal("60+"),
)
DECISION = case(
    (a.status.in_(FUNDED_STATUSES), literal("funded")),
    (a.status == Status.REJECTED.value, literal("rejected")),
    (a.status == Status.CANCELLED.value, literal("cancelled")),
    else_=literal("open"),
)
KEYS: dict[str, ColumnElement[Any]] = {
    "by_month": func.to_char(func.timezone("UTC", a.submitted_at), "YYYY-MM"),
    "by_decision": DECISION,
    "by_requesting_country": a.requesting_country,
    "by_nationality": a.beneficiary_nationality,
    "by_sex": a.beneficiary_sex,
    "by_age_band": AGE_BAND,
}


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


async def statistics(
    svc: Service[Any],
    caller: Principal,
    *,
    year: int,
    country: str | None,
    threshold: int,
) -> StatisticsRead:
    narrowed = access.statistics_country(caller, country)
    where: list[ColumnElement[bool]] = [
        a.submitted_at.is_not(None),
        extract("year", func.timezone("UTC", a.submitted_at)) == year,
    ]
    if narrowed is not None:
        where.append(or_(a.requesting_country == narrowed, a.beneficiary_nationality == narrowed))
    tables: list[StatisticsTable] = []
    figures: dict[str, str] = {}
    async with svc.sessions() as session:
        total = await session.execute(
            select(func.count()).select_from(orm.application).where(*where)
        )
        total_count = int(total.scalar_one())
        for name, key in KEYS.items():
            grouped = key.label("key")
            rows = await session.execute(
                select(grouped, func.count()).where(*where).group_by(grouped).order_by(grouped)
            )
            tables.append(table(name, rows.all(), threshold))
        category = func.unnest(a.categories).label("key")
        listed = select(category).where(*where).subquery()
        rows = await session.execute(
            select(listed.c.key, func.count()).group_by(listed.c.key).order_by(listed.c.key)
        )
        tables.append(table("by_category", rows.all(), threshold))

        approved = await session.execute(
            select(func.sum(a.approved_total)).where(*where, a.status.in_(FUNDED_STATUSES))
        )
        figures["approved"] = money(approved.scalar_one())

        last_approval = (
            select(func.max(approval.at)).where(approval.application_id == a.id).scalar_subquery()
        )
        decided_at = case(
            (a.status == Status.REJECTED.value, a.updated_at),
            (a.status.in_(FUNDED_STATUSES), last_approval),
            else_=literal(None),
        )
        days = extract("epoch", decided_at - a.submitted_at) / 86400
        decided, median = (
            await session.execute(
                select(
                    func.count(decided_at),
                    func.percentile_cont(0.5).within_group(days),
                ).where(*where)
            )
        ).one()
        figures["decisions"] = str(cell(int(decided), threshold))
        figures["turnaround_median_days"] = (
            f"{median:.1f}"
            if median is not None and decided >= threshold
            else (f"<{threshold}" if decided else "")
        )
        if narrowed is None:
            budget = (
                await session.execute(
                    select(
                        orm.budget.c.allocated, orm.budget.c.reserved, orm.budget.c.disbursed
                    ).where(orm.budget.c.year == year)
                )
            ).first()
            allocated, reserved, paid = budget or (Decimal(0), Decimal(0), Decimal(0))
            figures |= {
                "allocated": money(allocated),
                "reserved": money(reserved),
                "disbursed": money(paid),
                "available": money(allocated - reserved - paid),
            }
    return StatisticsRead(
        service="reserve_fund",
        year=year,
        country=narrowed,
        small_cell=threshold,
        total=cell(total_count, threshold),
        tables=tables,
        figures=figures,
    )
