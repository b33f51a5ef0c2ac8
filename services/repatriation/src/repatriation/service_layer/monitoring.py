"""What a border post has waiting, read at each scrape (`puebla.monitoring`): the manifests on
the road or arrived at each reception point, the people on them still without a hand-over
outcome, and how long the oldest has been on its way. Counts only: no person, no reference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.monitoring import age
from puebla.observability.metrics import Reading
from repatriation.adapters import orm
from repatriation.domain.status import ManifestStatus

AWAITING = (ManifestStatus.DISPATCHED.value, ManifestStatus.ARRIVED.value)


async def readings(session: AsyncSession, now: datetime) -> list[Reading]:
    m, r = orm.manifest.c, orm.returnee.c
    rows = await session.execute(
        select(
            m.reception_point,
            m.status,
            func.count(func.distinct(m.id)).label("manifests"),
            func.count(r.id).filter(r.handover_outcome.is_(None)).label("people"),
            func.min(m.dispatched_at).label("oldest"),
        )
        # Through ix_manifest_status, then each manifest's own people (its position index).
        .select_from(orm.manifest.outerjoin(orm.returnee, r.manifest_id == m.id))
        .where(m.status.in_(AWAITING))
        .group_by(m.reception_point, m.status)
    )
    readings: list[Reading] = []
    for row in rows:
        at = {"reception_point": row.reception_point, "status": row.status}
        readings += [
            Reading(
                "puebla_repatriation_manifests_awaiting_handover",
                "Manifests dispatched (on the road) or arrived and not yet closed, by reception"
                " point.",
                row.manifests,
                at,
            ),
            Reading(
                "puebla_repatriation_people_awaiting_handover",
                "People on those manifests without a hand-over outcome yet, by reception point.",
                float(row.people),
                at,
            ),
            Reading(
                "puebla_repatriation_oldest_dispatch_age_seconds",
                "How long the oldest of those manifests has been on its way since dispatch.",
                age(now, row.oldest),
                at,
            ),
        ]
    return readings
