"""The Reserve Fund's figures an operator watches, read at each scrape (`puebla.monitoring`):
each year's budget, what is still available and what is committed, in USD."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.observability.metrics import Reading
from reserve_fund.adapters import orm


async def readings(session: AsyncSession, now: datetime) -> list[Reading]:
    b = orm.budget.c
    rows = await session.execute(select(b.year, b.allocated, b.reserved, b.disbursed))
    readings: list[Reading] = []
    for row in rows:
        year = {"year": str(row.year)}
        readings += [
            Reading(
                "puebla_fund_budget_allocated_usd",
                "The year's budget as allocated.",
                float(row.allocated),
                year,
            ),
            Reading(
                "puebla_fund_budget_available_usd",
                "What is left of the year's budget: allocated less reserved less disbursed.",
                float(row.allocated - row.reserved - row.disbursed),
                year,
            ),
            Reading(
                "puebla_fund_budget_committed_usd",
                "Reserved for approved applications plus disbursed, in the year.",
                float(row.reserved + row.disbursed),
                year,
            ),
        ]
    return readings
