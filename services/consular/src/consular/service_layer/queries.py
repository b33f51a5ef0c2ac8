"""The read side: what a caller may see, as typed read models (frozen dataclasses the routers
turn into the response schemas). Lists filter in SQL with the same rule the aggregates apply
one by one (`Notification.is_visible_to`, `NationalityVerification.is_visible_to`); each row is
then mapped to the aggregate, so the reason for a suppression and the live overdue flag come
from the domain itself. One record the caller may not see is `NotVisible` (404). Keyset
pagination on (time, id), newest first: each list returns a `puebla.pagination.Page` with its
next cursor. Every function takes the service object and the verified caller, and reads
through `svc.sessions`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from consular.adapters import orm
from consular.adapters.mapping import (
    post_from_row,
    verification_from_row,
)
from consular.adapters.repository import with_deliveries
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
from consular.service_layer.access import (
    THE_NOTIFICATION,
    THE_VERIFICATION,
    actor_of,
    consul_may_act,
    consul_may_decide,
)
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.auth.principal import Principal
from puebla.pagination import Cursor, Page, PageRequest
from puebla.refusals import NotVisible
from puebla.service import Service

Svc = Service[ConsularUnitOfWork]


# --- read models --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostView:
    code: str
    country: str
    kind: str
    city: str
    host_country: str
    jurisdiction: list[str]
    email: str
    placeholder: bool
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class PersonView:
    given_names: str
    surnames: str
    sex: str
    date_of_birth: date | None


@dataclass(frozen=True)
class PlaceView:
    country: str
    state: str | None
    city: str | None


@dataclass(frozen=True)
class RelatedView:
    service: str
    id: str


@dataclass(frozen=True)
class ManifestView:
    reference: str
    version: int
    reception_point: str
    scheduled_arrival: datetime | None
    returnee_count: int


@dataclass(frozen=True)
class DeliveryView:
    channel: str
    status: str
    attempts: int
    sent_at: datetime | None


@dataclass(frozen=True)
class ActionView:
    kind: str
    at: datetime | None
    notes: str | None
    by: str
    recorded_at: datetime | None


@dataclass(frozen=True)
class NotificationView:
    """Times on the host country's clock (`time_zone`)."""

    id: uuid.UUID
    reference: str
    kind: str
    nationality: str
    host_country: str
    consular_post: str | None
    person: PersonView | None
    place: PlaceView
    occurred_at: datetime | None
    related: RelatedView | None
    status: str
    suppression_reason: str | None
    time_zone: str
    due_at: datetime | None
    ack_due_at: datetime | None
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    overdue: bool
    escalated_at: datetime | None
    withdrawn_reason: str | None
    withdrawn_at: datetime | None
    person_requests_notification: bool | None
    do_not_act: bool
    mandatory: bool
    manifest: ManifestView | None
    deliveries: list[DeliveryView]
    actions: list[ActionView]
    created_at: datetime | None
    version: int


@dataclass(frozen=True)
class VerificationRelatedView:
    service: str
    id: str
    returnee_id: str | None


@dataclass(frozen=True)
class VerificationView:
    id: uuid.UUID
    status: str
    person: PersonView
    claimed_nationality: str
    host_country: str
    related: VerificationRelatedView
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    withdrawn_reason: str | None
    withdrawn_at: datetime | None
    version: int


# --- consular posts -----------------------------------------------------------------------------


async def consular_posts(
    svc: Svc,
    caller: Principal,
    *,
    on: date | None = None,
    country: str | None = None,
    host_country: str | None = None,
) -> Page[PostView]:
    """Every post valid `on` (default: today, UTC), for any authenticated caller: the directory
    is small, one page."""
    on = on or svc.clock().date()
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
    async with svc.sessions() as session:
        rows = (await session.execute(stmt)).all()
    out = []
    for row in rows:
        post = post_from_row(row)
        out.append(
            PostView(
                code=post.code,
                country=post.country,
                kind=post.kind.value,
                city=post.city,
                host_country=post.host_country,
                jurisdiction=sorted(post.jurisdiction),
                email=post.email,
                placeholder=post.placeholder,
                valid_from=post.valid_from,
                valid_to=post.valid_to,
            )
        )
    return Page(out, None)


# --- notifications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sees:
    """Which clauses of the notification scope a viewer has: the shape of their list's SQL
    (their country is a parameter of it)."""

    host_side: bool
    child_protection: bool
    fund: bool
    consul: bool
    auditor: bool

    @classmethod
    def of(cls, viewer: Actor) -> _Sees:
        country = viewer.country is not None
        return cls(
            host_side=country and IMMIGRATION_OFFICER in viewer.roles,
            child_protection=country and not CHILD_PROTECTION_ROLES.isdisjoint(viewer.roles),
            fund=not FUND_ROLES.isdisjoint(viewer.roles),
            consul=country and CONSULAR_OFFICER in viewer.roles,
            auditor=AUDITOR in viewer.roles,
        )


def _notification_scope(sees: _Sees) -> ColumnElement[bool]:
    """`Notification.is_visible_to` in SQL: the reporting side sees every notification it
    answers for (with why it was suppressed) — the host's child-protection officers the child
    cases, IOM's Fund staff the Fund returns, the host's immigration officers the rest; a consul
    of the nationality sees what was sent to their country, never a suppressed one; nobody
    else sees anything. The auditor sees the unroutable ones; a consul never an unroutable one,
    nor one withdrawn for a protection need. The viewer's country is the parameter
    `viewer_country`."""
    n = orm.notification.c
    country = bindparam("viewer_country", type_=n.host_country.type)
    child, fund = NotificationKind.CHILD_CASE.value, NotificationKind.RESERVE_FUND_RETURN.value
    scope: list[ColumnElement[bool]] = []
    if sees.host_side:
        scope.append(and_(n.host_country == country, n.kind.not_in([child, fund])))
    if sees.child_protection:
        scope.append(and_(n.host_country == country, n.kind == child))
    if sees.fund:
        scope.append(n.kind == fund)
    if sees.consul:
        sent = [NotificationStatus.PENDING.value, NotificationStatus.ACKNOWLEDGED.value]
        scope.append(
            and_(
                n.nationality == country,
                or_(
                    n.status.in_(sent),
                    and_(
                        n.status == NotificationStatus.WITHDRAWN.value,
                        n.withdrawn_reason != WithdrawalReason.PROTECTION.value,
                    ),
                ),
            )
        )
    if sees.auditor:
        scope.append(n.status == NotificationStatus.UNROUTABLE.value)
    return or_(*scope) if scope else false()


def overdue_now(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """`Notification.overdue or missed_deadline(now) is not None` in SQL (`now` a value or a
    parameter)."""
    n = orm.notification.c
    missed_sending = and_(now > n.due_at, or_(n.sent_at.is_(None), n.sent_at > n.due_at))
    return and_(
        n.status == NotificationStatus.PENDING.value,
        or_(n.overdue, missed_sending, now > n.ack_due_at),
    )


def _person_view(person: Any) -> PersonView:
    return PersonView(
        given_names=person.given_names,
        surnames=person.surnames,
        sex=person.sex.value,
        date_of_birth=person.date_of_birth,
    )


def notification_view(
    n: Notification, *, reference: str, viewer: Actor, now: datetime
) -> NotificationView:
    """One notification as `viewer` sees it; times on the host country's clock."""
    related = n.related
    manifest = n.manifest
    return NotificationView(
        id=n.id,
        reference=reference,
        kind=n.kind.value,
        nationality=n.nationality,
        host_country=n.host_country,
        consular_post=n.consular_post,
        person=_person_view(n.person) if n.person else None,
        place=PlaceView(n.place.country, n.place.state, n.place.city),
        occurred_at=n.local(n.occurred_at),
        related=RelatedView(related.service, related.id) if related else None,
        status=n.status.value,
        suppression_reason=(reason.value if (reason := n.suppression_reason_for(viewer)) else None),
        time_zone=n.time_zone,
        due_at=n.local(n.due_at),
        ack_due_at=n.local(n.ack_due_at),
        sent_at=n.local(n.sent_at),
        acknowledged_at=n.local(n.acknowledged_at),
        acknowledged_by=n.acknowledged_by,
        overdue=n.overdue or n.missed_deadline(now) is not None,
        escalated_at=n.local(n.escalated_at),
        withdrawn_reason=n.withdrawn_reason.value if n.withdrawn_reason else None,
        withdrawn_at=n.local(n.withdrawn_at),
        person_requests_notification=n.person_requests_notification,
        do_not_act=n.do_not_act,
        mandatory=n.mandatory,
        manifest=(
            ManifestView(
                reference=manifest.reference,
                version=manifest.version,
                reception_point=manifest.reception_point,
                scheduled_arrival=n.local(manifest.scheduled_arrival),
                returnee_count=manifest.returnee_count,
            )
            if manifest
            else None
        ),
        deliveries=[
            DeliveryView(d.channel.value, d.status.value, d.attempts, n.local(d.sent_at))
            for d in n.deliveries
        ],
        # The consulate's notes are its own (its communication with the national): the host
        # side that reported the event sees what was done and when, not what was written.
        actions=[
            ActionView(
                kind=a.kind.value,
                at=n.local(a.at),
                notes=a.notes if viewer.is_consul_of(n.nationality) else None,
                by=a.by,
                recorded_at=n.local(a.recorded_at),
            )
            for a in n.actions
        ],
        created_at=n.local(n.created_at),
        version=n.version,
    )


async def _notification_row(session: AsyncSession, notification_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            select(orm.notification).where(orm.notification.c.id == notification_id)
        )
    ).first()


async def check_consul_may_act(svc: Svc, caller: Principal, notification_id: uuid.UUID) -> None:
    """Who acknowledges a notification and records consular actions on it (`access`), on the
    plain unlocked row: for the API to answer 404 and 403 before it validates a body. The
    handler decides again on the locked row."""
    async with svc.sessions() as session:
        row = await _notification_row(session, notification_id)
        found = (await with_deliveries(session, [row]))[0] if row is not None else None
    consul_may_act(found, actor_of(caller))


async def check_consul_may_decide(svc: Svc, caller: Principal, verification_id: uuid.UUID) -> None:
    """`access.consul_may_decide` on the plain unlocked row, like `check_consul_may_act`."""
    async with svc.sessions() as session:
        row = (
            await session.execute(
                select(orm.verification).where(orm.verification.c.id == verification_id)
            )
        ).first()
    consul_may_decide(None if row is None else verification_from_row(row), actor_of(caller))


async def unroutable_count(svc: Svc, caller: Principal) -> int:
    """How many notices wait for a post (no personal data: a number for the operators, any
    authenticated caller)."""
    n = orm.notification.c
    async with svc.sessions() as session:
        count = (
            await session.execute(
                select(func.count())
                .select_from(orm.notification)
                .where(n.status == NotificationStatus.UNROUTABLE.value)
            )
        ).scalar_one()
    return int(count)


async def notification(svc: Svc, caller: Principal, notification_id: uuid.UUID) -> NotificationView:
    """The notification if the caller may see it; else `NotVisible` (404 either way)."""
    viewer = actor_of(caller)
    async with svc.sessions() as session:
        row = await _notification_row(session, notification_id)
        if row is None:
            raise NotVisible(THE_NOTIFICATION)
        (n,) = await with_deliveries(session, [row])
    if not n.is_visible_to(viewer):
        raise NotVisible(THE_NOTIFICATION)
    return notification_view(n, reference=row.reference, viewer=viewer, now=svc.clock())


def _after(page: PageRequest) -> tuple[datetime, uuid.UUID] | None:
    return (page.cursor.after, page.cursor.after_id) if page.cursor else None


def _next_cursor(rows: Sequence[Any], more: bool, at: str) -> str | None:
    if not (more and rows):
        return None
    return Cursor(getattr(rows[-1], at), rows[-1].id).encode()


@functools.cache
def _notification_list(
    sees: _Sees, status: Literal["overdue", "status"] | None, *, related: bool, after: bool
) -> Select[Any]:
    """The list's statement for one shape of viewer and filters, built once (values are
    parameters): building it on every request cost a consul's read of one notice more CPU
    than running it."""
    n = orm.notification.c
    stmt = (
        select(orm.notification)
        .where(_notification_scope(sees))
        .order_by(n.created_at.desc(), n.id.desc())
        .limit(bindparam("limit"))
    )
    if status == "overdue":
        stmt = stmt.where(overdue_now(bindparam("now", type_=n.due_at.type)))
    elif status == "status":
        stmt = stmt.where(n.status == bindparam("status"))
    if related:
        stmt = stmt.where(n.related_id == bindparam("related_id"))
    if after:
        stmt = stmt.where(
            tuple_(n.created_at, n.id)
            < tuple_(
                bindparam("after_at", type_=n.created_at.type),
                bindparam("after_id", type_=n.id.type),
            )
        )
    return stmt


async def notifications(
    svc: Svc,
    caller: Principal,
    *,
    page: PageRequest,
    status: str | None = None,
    related_id: str | None = None,
) -> Page[NotificationView]:
    """The notifications the caller may see, newest first (`status` "overdue": pending and
    past a deadline now)."""
    viewer, now = actor_of(caller), svc.clock()
    after = _after(page)
    stmt = _notification_list(
        _Sees.of(viewer),
        None if status is None else "overdue" if status == "overdue" else "status",
        related=related_id is not None,
        after=after is not None,
    )
    params: dict[str, Any] = {
        "viewer_country": viewer.country,
        "limit": page.limit + 1,
        "now": now,
        "status": status,
        "related_id": related_id,
    }
    if after is not None:
        params |= {"after_at": after[0], "after_id": after[1]}
    async with svc.sessions() as session:
        rows = (await session.execute(stmt, params)).all()
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        found = await with_deliveries(session, rows)
    items = [
        notification_view(item, reference=row.reference, viewer=viewer, now=now)
        for item, row in zip(found, rows, strict=True)
    ]
    return Page(items, _next_cursor(rows, more, "created_at"))


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


def verification_view(v: NationalityVerification) -> VerificationView:
    return VerificationView(
        id=v.id,
        status=v.status.value,
        person=_person_view(v.person),
        claimed_nationality=v.claimed_nationality,
        host_country=v.host_country,
        related=VerificationRelatedView(v.related.service, v.related.id, v.related.returnee_id),
        requested_at=v.requested_at,
        decided_by=v.decided_by,
        decided_at=v.decided_at,
        reason=v.reason,
        withdrawn_reason=v.withdrawn_reason.value if v.withdrawn_reason else None,
        withdrawn_at=v.withdrawn_at,
        version=v.version,
    )


async def verification(svc: Svc, caller: Principal, verification_id: uuid.UUID) -> VerificationView:
    async with svc.sessions() as session:
        row = (
            await session.execute(
                select(orm.verification).where(orm.verification.c.id == verification_id)
            )
        ).first()
    v = None if row is None else verification_from_row(row)
    if v is None or not v.is_visible_to(actor_of(caller)):
        raise NotVisible(THE_VERIFICATION)
    return verification_view(v)


async def verifications(
    svc: Svc,
    caller: Principal,
    *,
    page: PageRequest,
    status: VerificationStatus | None = None,
    related_id: str | None = None,
) -> Page[VerificationView]:
    """The requests the caller may see, newest first."""
    v = orm.verification.c
    stmt = (
        select(orm.verification)
        .where(_verification_scope(actor_of(caller)))
        .order_by(v.requested_at.desc(), v.id.desc())
        .limit(page.limit + 1)
    )
    if status is not None:
        stmt = stmt.where(v.status == status.value)
    if related_id is not None:
        stmt = stmt.where(v.related_id == related_id)
    after = _after(page)
    if after is not None:
        stmt = stmt.where(tuple_(v.requested_at, v.id) < tuple_(after[0], after[1]))
    async with svc.sessions() as session:
        rows = (await session.execute(stmt)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [verification_view(verification_from_row(r)) for r in rows]
    return Page(items, _next_cursor(rows, more, "requested_at"))
