"""The read side: what a viewer may see, shaped for the API (plain dicts, the read schemas'
fields). Lists filter in SQL with the same rule the aggregates apply one by one
(`Notification.is_visible_to`, `NationalityVerification.is_visible_to`); each row is then
mapped to the aggregate, so the reason for a suppression and the live overdue flag come from
the domain itself. Keyset pagination on (time, id), newest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from consular.adapters import orm
from consular.adapters.repository import (
    notification_from_row,
    post_from_row,
    verification_from_row,
)
from consular.domain.model import NationalityVerification, Notification
from consular.domain.rules import NotificationKind
from consular.domain.states import NotificationStatus, VerificationStatus, WithdrawalReason
from consular.domain.values import (
    AUDITOR,
    CHILD_PROTECTION_ROLES,
    CONSULAR_OFFICER,
    FUND_ROLES,
    IMMIGRATION_OFFICER,
    Actor,
)

Key = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    last: Key | None  # the key of the last item when more may follow


# --- consular posts -----------------------------------------------------------------------------


async def consular_posts(
    session: AsyncSession,
    *,
    on: date,
    country: str | None = None,
    host_country: str | None = None,
) -> list[dict[str, Any]]:
    p = orm.consular_post.c
    stmt = (
        select(orm.consular_post)
        .where(p.valid_from <= on, or_(p.valid_to.is_(None), p.valid_to > on))
        .order_by(p.host_country, p.country, p.kind, p.code)
    )
    if country:
        stmt = stmt.where(p.country == country)
    if host_country:
        stmt = stmt.where(p.host_country == host_country)
    rows = (await session.execute(stmt)).all()
    out = []
    for row in rows:
        post = post_from_row(row)
        out.append(
            {
                "code": post.code,
                "country": post.country,
                "kind": post.kind.value,
                "city": post.city,
                "host_country": post.host_country,
                "jurisdiction": sorted(post.jurisdiction),
                "email": post.email,
                "placeholder": post.placeholder,
                "valid_from": post.valid_from,
                "valid_to": post.valid_to,
            }
        )
    return out


# --- notifications ------------------------------------------------------------------------------


def _notification_scope(viewer: Actor) -> ColumnElement[bool]:
    """`Notification.is_visible_to` in SQL: the reporting side sees every notification it
    answers for (with why it was suppressed) — the host's child-protection officers the child
    cases, IOM's Fund staff the Fund returns, the host's immigration officers the rest; a consul
    of the nationality sees what was sent to their country, never a suppressed one; nobody
    else sees anything. The auditor sees the unroutable ones; a consul never an unroutable one,
    nor one withdrawn for a protection need."""
    n = orm.notification.c
    child, fund = NotificationKind.CHILD_CASE.value, NotificationKind.RESERVE_FUND_RETURN.value
    scope: list[ColumnElement[bool]] = []
    if viewer.country is not None and IMMIGRATION_OFFICER in viewer.roles:
        scope.append(and_(n.host_country == viewer.country, n.kind.not_in([child, fund])))
    if viewer.country is not None and not CHILD_PROTECTION_ROLES.isdisjoint(viewer.roles):
        scope.append(and_(n.host_country == viewer.country, n.kind == child))
    if not FUND_ROLES.isdisjoint(viewer.roles):
        scope.append(n.kind == fund)
    if viewer.country is not None and CONSULAR_OFFICER in viewer.roles:
        sent = [NotificationStatus.PENDING.value, NotificationStatus.ACKNOWLEDGED.value]
        scope.append(
            and_(
                n.nationality == viewer.country,
                or_(
                    n.status.in_(sent),
                    and_(
                        n.status == NotificationStatus.WITHDRAWN.value,
                        n.withdrawn_reason != WithdrawalReason.PROTECTION.value,
                    ),
                ),
            )
        )
    if AUDITOR in viewer.roles:
        scope.append(n.status == NotificationStatus.UNROUTABLE.value)
    return or_(*scope) if scope else false()


def _overdue_now(now: datetime) -> ColumnElement[bool]:
    """`Notification.overdue or missed_deadline(now) is not None` in SQL."""
    n = orm.notification.c
    missed_sending = and_(now > n.due_at, or_(n.sent_at.is_(None), n.sent_at > n.due_at))
    return and_(
        n.status == NotificationStatus.PENDING.value,
        or_(n.overdue, missed_sending, now > n.ack_due_at),
    )


async def _with_deliveries(session: AsyncSession, rows: Sequence[Any]) -> list[Notification]:
    if not rows:
        return []
    d = orm.notification_delivery.c
    deliveries = (
        await session.execute(
            select(orm.notification_delivery).where(d.notification_id.in_([r.id for r in rows]))
        )
    ).all()
    by_id: dict[uuid.UUID, list[Any]] = {}
    for delivery in deliveries:
        by_id.setdefault(delivery.notification_id, []).append(delivery)
    return [notification_from_row(r, by_id.get(r.id, [])) for r in rows]


def notification_view(
    n: Notification, *, reference: str, viewer: Actor, now: datetime
) -> dict[str, Any]:
    """One notification as `viewer` sees it; times on the host country's clock."""
    person = n.person
    related = n.related
    manifest = n.manifest
    return {
        "id": n.id,
        "reference": reference,
        "kind": n.kind.value,
        "nationality": n.nationality,
        "host_country": n.host_country,
        "consular_post": n.consular_post,
        "person": (
            {
                "given_names": person.given_names,
                "surnames": person.surnames,
                "sex": person.sex.value,
                "date_of_birth": person.date_of_birth,
            }
            if person
            else None
        ),
        "place": {"country": n.place.country, "state": n.place.state, "city": n.place.city},
        "occurred_at": n.local(n.occurred_at),
        "related": {"service": related.service, "id": related.id} if related else None,
        "status": n.status.value,
        "suppression_reason": (
            reason.value if (reason := n.suppression_reason_for(viewer)) else None
        ),
        "time_zone": n.time_zone,
        "due_at": n.local(n.due_at),
        "ack_due_at": n.local(n.ack_due_at),
        "sent_at": n.local(n.sent_at),
        "acknowledged_at": n.local(n.acknowledged_at),
        "acknowledged_by": n.acknowledged_by,
        "overdue": n.overdue or n.missed_deadline(now) is not None,
        "escalated_at": n.local(n.escalated_at),
        "withdrawn_reason": n.withdrawn_reason.value if n.withdrawn_reason else None,
        "withdrawn_at": n.local(n.withdrawn_at),
        "person_requests_notification": n.person_requests_notification,
        "do_not_act": n.do_not_act,
        "mandatory": n.mandatory,
        "manifest": (
            {
                "reference": manifest.reference,
                "version": manifest.version,
                "reception_point": manifest.reception_point,
                "scheduled_arrival": n.local(manifest.scheduled_arrival),
                "returnee_count": manifest.returnee_count,
            }
            if manifest
            else None
        ),
        "deliveries": [
            {
                "channel": d.channel.value,
                "status": d.status.value,
                "attempts": d.attempts,
                "sent_at": n.local(d.sent_at),
            }
            for d in n.deliveries
        ],
        # The consulate's notes are its own (its communication with the national): the host
        # side that reported the event sees what was done and when, not what was written.
        "actions": [
            {
                "kind": a.kind.value,
                "at": n.local(a.at),
                "notes": a.notes if viewer.is_consul_of(n.nationality) else None,
                "by": a.by,
                "recorded_at": n.local(a.recorded_at),
            }
            for a in n.actions
        ],
        "created_at": n.local(n.created_at),
        "version": n.version,
    }


async def notification_record(
    session: AsyncSession, notification_id: uuid.UUID
) -> Notification | None:
    """The plain record (unlocked), for the API to decide visibility and permission first."""
    row = (
        await session.execute(
            select(orm.notification).where(orm.notification.c.id == notification_id)
        )
    ).first()
    if row is None:
        return None
    (n,) = await _with_deliveries(session, [row])
    return n


async def verification_record(
    session: AsyncSession, verification_id: uuid.UUID
) -> NationalityVerification | None:
    row = (
        await session.execute(
            select(orm.verification).where(orm.verification.c.id == verification_id)
        )
    ).first()
    return None if row is None else verification_from_row(row)


async def unroutable_count(session: AsyncSession) -> int:
    """How many notices wait for a post (no personal data: a number for the operators)."""
    n = orm.notification.c
    count = (
        await session.execute(
            select(func.count())
            .select_from(orm.notification)
            .where(n.status == NotificationStatus.UNROUTABLE.value)
        )
    ).scalar_one()
    return int(count)


async def notification(
    session: AsyncSession, notification_id: uuid.UUID, *, viewer: Actor, now: datetime
) -> dict[str, Any] | None:
    """The notification if `viewer` may see it, else None (the API answers 404 either way)."""
    row = (
        await session.execute(
            select(orm.notification).where(orm.notification.c.id == notification_id)
        )
    ).first()
    if row is None:
        return None
    (n,) = await _with_deliveries(session, [row])
    if not n.is_visible_to(viewer):
        return None
    return notification_view(n, reference=row.reference, viewer=viewer, now=now)


async def notifications(
    session: AsyncSession,
    *,
    viewer: Actor,
    now: datetime,
    status: str | None,
    limit: int,
    after: Key | None,
    related_id: str | None = None,
) -> Page:
    n = orm.notification.c
    stmt = (
        select(orm.notification)
        .where(_notification_scope(viewer))
        .order_by(n.created_at.desc(), n.id.desc())
        .limit(limit + 1)
    )
    if status == "overdue":
        stmt = stmt.where(_overdue_now(now))
    elif status is not None:
        stmt = stmt.where(n.status == status)
    if related_id is not None:
        stmt = stmt.where(n.related_id == related_id)
    if after is not None:
        stmt = stmt.where(tuple_(n.created_at, n.id) < tuple_(after[0], after[1]))
    rows = (await session.execute(stmt)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    found = await _with_deliveries(session, rows)
    items = [
        notification_view(item, reference=row.reference, viewer=viewer, now=now)
        for item, row in zip(found, rows, strict=True)
    ]
    last = (rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page(items, last)


# --- verifications ------------------------------------------------------------------------------


def _verification_scope(viewer: Actor) -> ColumnElement[bool]:
    """`NationalityVerification.is_visible_to` in SQL."""
    v = orm.verification.c
    withdrawn = VerificationStatus.WITHDRAWN.value
    scope: list[ColumnElement[bool]] = []
    if viewer.country is not None and CONSULAR_OFFICER in viewer.roles:
        scope.append(
            and_(
                v.claimed_nationality == viewer.country,
                # Withdrawn for a protection need: for this country it no longer exists.
                or_(v.status != withdrawn, v.withdrawn_reason != WithdrawalReason.PROTECTION.value),
            )
        )
    if viewer.country is not None and IMMIGRATION_OFFICER in viewer.roles:
        scope.append(v.host_country == viewer.country)
    return or_(*scope) if scope else false()


def verification_view(v: NationalityVerification) -> dict[str, Any]:
    return {
        "id": v.id,
        "status": v.status.value,
        "person": {
            "given_names": v.person.given_names,
            "surnames": v.person.surnames,
            "sex": v.person.sex.value,
            "date_of_birth": v.person.date_of_birth,
        },
        "claimed_nationality": v.claimed_nationality,
        "host_country": v.host_country,
        "related": {
            "service": v.related.service,
            "id": v.related.id,
            "returnee_id": v.related.returnee_id,
        },
        "requested_at": v.requested_at,
        "decided_by": v.decided_by,
        "decided_at": v.decided_at,
        "reason": v.reason,
        "withdrawn_reason": v.withdrawn_reason.value if v.withdrawn_reason else None,
        "withdrawn_at": v.withdrawn_at,
        "version": v.version,
    }


async def verification(
    session: AsyncSession, verification_id: uuid.UUID, *, viewer: Actor
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(orm.verification).where(orm.verification.c.id == verification_id)
        )
    ).first()
    if row is None:
        return None
    v = verification_from_row(row)
    return verification_view(v) if v.is_visible_to(viewer) else None


async def verifications(
    session: AsyncSession,
    *,
    viewer: Actor,
    status: VerificationStatus | None,
    limit: int,
    after: Key | None,
    related_id: str | None = None,
) -> Page:
    v = orm.verification.c
    stmt = (
        select(orm.verification)
        .where(_verification_scope(viewer))
        .order_by(v.requested_at.desc(), v.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        stmt = stmt.where(v.status == status.value)
    if related_id is not None:
        stmt = stmt.where(v.related_id == related_id)
    if after is not None:
        stmt = stmt.where(tuple_(v.requested_at, v.id) < tuple_(after[0], after[1]))
    rows = (await session.execute(stmt)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [verification_view(verification_from_row(r)) for r in rows]
    last = (rows[-1].requested_at, rows[-1].id) if more and rows else None
    return Page(items, last)
