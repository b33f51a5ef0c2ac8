"""The hand-over statistics (`GET /v1/statistics`): SQL aggregates over the hand-over records.

Counted from `returnee` rows with a hand-over outcome (received, not presented, refused) and
the people who arrived without being listed (`unlisted_arrival`, outcome `arrived_not_listed`;
no vulnerability flags: nobody assessed them), one per person, so the sending and the
receiving country publish the same number: both read the same record. `by_record_signing`
counts the closed manifests' records by how they stand signed (`signed` by both sides,
`disputed`, `signed_by_one_side`, `unsigned`), by the year they closed.

The month is the hand-over's in the reception point's own time zone; the age band
is the person's age on that local day. Only group keys and counts leave the database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement

from puebla.auth.principal import Principal
from puebla.service import Service
from puebla.statistics import StatisticsRead, StatisticsRow, StatisticsTable, cell, table
from repatriation.adapters.orm import handover_signature, manifest, returnee, unlisted_arrival
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
u = unlisted_arrival.c
NO_FLAG = cast(null(), Boolean)  # nobody assessed a person who was not listed: not "none"

# Everyone with an outcome at the post, one row per person: the listed people with theirs, and
# those who arrived without being listed (outcome `arrived_not_listed`).
HANDED = union_all(
    select(
        m.sending_country,
        m.receiving_country,
        m.reception_point,
        func.timezone(m.reception_time_zone, r.handed_over_at).label("local_time"),
        r.sex,
        r.date_of_birth,
        r.handover_outcome.label("outcome"),
        *(r[flag] for flag in VULNERABILITIES),
    )
    .select_from(returnee.join(manifest, m.id == r.manifest_id))
    .where(r.handover_outcome.is_not(None)),
    select(
        m.sending_country,
        m.receiving_country,
        m.reception_point,
        func.timezone(m.reception_time_zone, u.recorded_at).label("local_time"),
        u.sex,
        u.date_of_birth,
        literal("arrived_not_listed").label("outcome"),
        *(NO_FLAG.label(flag) for flag in VULNERABILITIES),
    ).select_from(unlisted_arrival.join(manifest, m.id == u.manifest_id)),
).subquery("handed")
h = HANDED.c
LOCAL_DAY = cast(h.local_time, Date)
AGE = extract("year", func.age(LOCAL_DAY, h.date_of_birth))
AGE_BAND = case(
    (AGE < 12, literal("0-11")),
    (AGE < 18, literal("12-17")),
    (AGE < 60, literal("18-59")),
    else_=literal("60+"),
)
KEYS: dict[str, ColumnElement[Any]] = {
    "by_month": func.to_char(h.local_time, "YYYY-MM"),
    "by_corridor": h.sending_country + literal("-") + h.receiving_country,
    "by_reception_point": h.reception_point,
    "by_sex": h.sex,
    "by_age_band": AGE_BAND,
    "by_outcome": h.outcome,
}

# How each closed manifest's record stands signed (counted by the year it closed, on the
# point's clock): a side signs only the record as it stands, and nothing is added once one
# has, so two signatures of one digest are the record signed by both.
g = handover_signature.c
SIGNING = (
    select(
        case(
            (func.bool_or(func.jsonb_array_length(g.objections) > 0), literal("disputed")),
            (
                and_(func.count(g.side) == 2, func.count(func.distinct(g.digest)) == 1),
                literal("signed"),
            ),
            (func.count(g.side) > 0, literal("signed_by_one_side")),
            else_=literal("unsigned"),
        ).label("signing")
    )
    .select_from(manifest.outerjoin(handover_signature, g.manifest_id == m.id))
    .where(m.status == "closed")
)
CLOSED_YEAR = extract("year", func.timezone(m.reception_time_zone, m.closed_at))


async def statistics(
    svc: Service[Any],
    caller: Principal,
    *,
    year: int,
    country: str | None,
    threshold: int,
) -> StatisticsRead:
    narrowed = access.statistics_country(caller, country)
    where = [extract("year", h.local_time) == year]
    if narrowed is not None:
        where.append(or_(h.sending_country == narrowed, h.receiving_country == narrowed))
    signing = SIGNING.where(literal(year) == CLOSED_YEAR).group_by(m.id)
    if narrowed is not None:
        signing = signing.where(or_(m.sending_country == narrowed, m.receiving_country == narrowed))
    records = signing.subquery("records")
    tables: list[StatisticsTable] = []
    async with svc.sessions() as session:
        total = await session.execute(select(func.count()).select_from(HANDED).where(*where))
        total_count = int(total.scalar_one())
        for name, key in KEYS.items():
            rows = await session.execute(
                select(key.label("key"), func.count())
                .select_from(HANDED)
                .where(*where)
                .group_by(key)
                .order_by(key)
            )
            tables.append(table(name, rows.all(), threshold))
        flags = (
            await session.execute(
                select(
                    *(func.count().filter(h[flag]) for flag in VULNERABILITIES),
                    func.count().filter(*(~h[flag] for flag in VULNERABILITIES)),
                )
                .select_from(HANDED)
                .where(*where)
            )
        ).one()
        signed = await session.execute(
            select(records.c.signing, func.count())
            .group_by(records.c.signing)
            .order_by(records.c.signing)
        )
        signing_table = table("by_record_signing", signed.all(), threshold)
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
        tables=[*tables, signing_table],
    )
