"""The consular figures an operator watches, read at each scrape (`puebla.monitoring`): the
notices still open by the consulate's nationality (pending an acknowledgment, or unroutable
for want of a post in the directory), how many of the pending ones are overdue now (the rule
the list's `status=overdue` applies), and the nationality verifications waiting, by how long.
Counts only: no person, no reference."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from consular.adapters import orm
from consular.domain.states import NotificationStatus, VerificationStatus
from consular.service_layer.queries import overdue_now
from puebla.monitoring import age
from puebla.observability.metrics import Reading

OPEN = (NotificationStatus.PENDING.value, NotificationStatus.UNROUTABLE.value)

# How long a verification has waited, as operators speak of it; the last one has no end.
WAITING = (("under_1h", timedelta(hours=1)), ("1h_to_24h", timedelta(hours=24)))
WAITING_LONGEST = ("24h_to_72h", timedelta(hours=72))
WAITING_OVER = "over_72h"


async def readings(session: AsyncSession, now: datetime) -> list[Reading]:
    return [*await _notices(session, now), *await _verifications(session, now)]


async def _notices(session: AsyncSession, now: datetime) -> list[Reading]:
    n = orm.notification.c
    rows = await session.execute(
        select(
            n.nationality,
            n.status,
            func.count().label("total"),
            func.count().filter(overdue_now(now)).label("overdue"),
        )
        .where(n.status.in_(OPEN))
        .group_by(n.nationality, n.status)
    )
    readings: list[Reading] = []
    overdue: dict[str, int] = {}
    for row in rows:
        readings.append(
            Reading(
                "puebla_consular_notices_open",
                "Notices waiting: pending (sent, not yet acknowledged) or unroutable (no post"
                " of the nationality in the host country), by the consulate's nationality.",
                row.total,
                {"nationality": row.nationality, "status": row.status},
            )
        )
        overdue[row.nationality] = overdue.get(row.nationality, 0) + row.overdue
    readings += [
        Reading(
            "puebla_consular_notices_overdue",
            "Pending notices past a deadline now (sending or acknowledgment), by nationality.",
            count,
            {"nationality": nationality},
        )
        for nationality, count in sorted(overdue.items())
    ]
    return readings


async def _verifications(session: AsyncSession, now: datetime) -> list[Reading]:
    v = orm.verification.c
    buckets = [
        func.count().filter(v.requested_at > now - limit).label(name)
        for name, limit in (*WAITING, WAITING_LONGEST)
    ]
    rows = await session.execute(
        select(
            v.claimed_nationality,
            func.count().label("total"),
            func.min(v.requested_at).label("oldest"),
            *buckets,
        )
        .where(v.status == VerificationStatus.PENDING.value)
        .group_by(v.claimed_nationality)
    )
    readings: list[Reading] = []
    for row in rows:
        below = 0
        by_wait: list[tuple[str, int]] = []
        for name, _ in (*WAITING, WAITING_LONGEST):
            within = getattr(row, name)
            by_wait.append((name, within - below))
            below = within
        by_wait.append((WAITING_OVER, row.total - below))
        readings += [
            Reading(
                "puebla_consular_verifications_pending",
                "Nationality verifications waiting for the consulate's decision, by the claimed"
                " nationality and how long they have waited.",
                count,
                {"nationality": row.claimed_nationality, "waiting": name},
            )
            for name, count in by_wait
        ]
        readings.append(
            Reading(
                "puebla_consular_verification_oldest_pending_age_seconds",
                "How long the oldest pending verification of the nationality has waited.",
                age(now, row.oldest),
                {"nationality": row.claimed_nationality},
            )
        )
    return readings
