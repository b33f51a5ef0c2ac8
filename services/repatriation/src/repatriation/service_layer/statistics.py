"""The hand-over statistics (`GET /v1/statistics`): SQL aggregates over the hand-over records.

Counted from `returnee` rows with a hand-over outcome (received, not presented, refused), one
per person, so the sending and the receiving country publish the same number: both read the
same record. The month is the hand-over's in the reception point's own time zone; the age band
is the person's age on that local day. Only group keys and counts leave the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, case, cast, extract, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from puebla.auth.principal import Principal
from puebla.service import Service
from puebla.statistics import StatisticsRead, StatisticsRow, StatisticsTable, cell, table
from repatriation.adapters.orm import manifest, returnee
from repatriation.service_layer import access

AGE_BANDS = ("0-11", "12-17", "18-59", "60+")
VULNERABILITIES = (
    "pregnant",
    "disability",
    "illness_or_injury",
    "trafficking_indicator",
    "age_disputed",
)

m = manifest.c
r = returnee.c
LOCAL_TIME = func.timezone(m.reception_time_zone, r.handed_over_at)
LOCAL_DAY = cast(LOCAL_TIME, Date)
AGE = extract("year", func.age(LOCAL_DAY, r.date_of_birth))
AGE_BAND = case(
    (AGE < 12, literal("0-11")),
    (AGE < 18, literal("12-17")),
    (AGE < 60, literal("18-59")),
    else_=literal("60+"),
)
KEYS: dict[str, ColumnElement[Any]] = {
    "by_month": func.to_char(LOCAL_TIME, "YYYY-MM"),
    "by_corridor": m.sending_country + literal("-") + m.receiving_country,
    "by_reception_point": m.reception_point,
    "by_sex": r.sex,
    "by_age_band": AGE_BAND,
    "by_outcome": r.handover_outcome,
}


async def statistics(
    svc: Service[Any],
    caller: Principal,
    *,
    year: int,
    country: str | None,
    threshold: int,
) -> StatisticsRead:
    narrowed = access.statistics_country(caller, country)
    where = [
        r.handover_outcome.is_not(None),
        extract("year", LOCAL_TIME) == year,
    ]
    if narrowed is not None:
        where.append(or_(m.sending_country == narrowed, m.receiving_country == narrowed))
    joined = returnee.join(manifest, manifest.c.id == returnee.c.manifest_id)
    tables: list[StatisticsTable] = []
    async with svc.sessions() as session:
        total = await session.execute(select(func.count()).select_from(joined).where(*where))
        total_count = int(total.scalar_one())
        for name, key in KEYS.items():
            rows = await session.execute(
                select(key.label("key"), func.count())
                .select_from(joined)
                .where(*where)
                .group_by(key)
                .order_by(key)
            )
            tables.append(table(name, rows.all(), threshold))
        flags = (
            await session.execute(
                select(
                    *(func.count().filter(r[flag]) for flag in VULNERABILITIES),
                    func.count().filter(*(~r[flag] for flag in VULNERABILITIES)),
                )
                .select_from(joined)
                .where(*where)
            )
        ).one()
    tables.append(
        StatisticsTable(
            name="by_vulnerability",
            rows=[
                StatisticsRow(key=key, count=cell(int(n), threshold))
                for key, n in zip((*VULNERABILITIES, "none"), flags, strict=True)
                if n
            ],
        )
    )
    return StatisticsRead(
        service="repatriation",
        year=year,
        country=narrowed,
        small_cell=threshold,
        total=cell(total_count, threshold),
        tables=tables,
    )
