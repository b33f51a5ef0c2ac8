"""Repositories over the Core tables of `orm.py` (rows ↔ aggregates: `mapping.py`).

A repository remembers every aggregate it handed out or was given (`seen`, a
`puebla.db.repository.Seen`) with the version it had then; `flush()` inserts the new ones and
writes the changed ones with `update_versioned` (`WHERE version = <loaded>`), so two writers
never both apply a change to the same record: the second gets `ConcurrentChange` (409). The
unit of work calls `flush()` before it commits; handlers never save by hand.

A record's access label (the countries whose authorities may see it: the producer's event
label, narrowed by a protection need) is repository metadata beside the aggregate (`add(...,
access=)`, `relabel`, `access_of`): the domain decides visibility from its own fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, any_, bindparam, case, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from consular.adapters import orm
from consular.adapters.mapping import (
    as_timedelta,
    notification_from_row,
    notification_row,
    post_from_row,
    verification_from_row,
    verification_row,
)
from consular.domain.delivery import Delivery
from consular.domain.directory import Directory
from consular.domain.model import NationalityVerification, Notification
from consular.domain.reference import MandatoryNotification, NotificationClock, ReferenceData
from consular.domain.rules import NotificationKind
from consular.domain.states import Channel, DeliveryStatus, NotificationStatus, WithdrawalReason
from consular.domain.values import Place
from puebla.db.driver import driver_connection
from puebla.db.reference import Kept
from puebla.db.repository import Seen, update_versioned

# --- repositories -----------------------------------------------------------------------------


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: Seen[uuid.UUID, Notification] = Seen()
        self._meta: dict[uuid.UUID, dict[str, Any]] = {}

    def add(
        self, notification: Notification, *, access: Sequence[str], reported_by: str | None = None
    ) -> None:
        self.seen.added(notification.id, notification)
        self._meta[notification.id] = {"access": sorted(set(access)), "reported_by": reported_by}

    async def get(
        self, notification_id: uuid.UUID, *, for_update: bool = False
    ) -> Notification | None:
        stmt = _NOTIFICATION_BY_ID_LOCKED if for_update else _NOTIFICATION_BY_ID
        row = (await self.session.execute(stmt, {"id": notification_id})).first()
        if row is None:
            return None
        return (await self._load([row]))[0]

    async def peek(self, notification_id: uuid.UUID) -> Notification | None:
        """The record as it is, unlocked and untracked: to decide visibility and permission
        before any lock is taken (a caller who may not see it takes no lock on it)."""
        row = (await self.session.execute(_NOTIFICATION_BY_ID, {"id": notification_id})).first()
        if row is None:
            return None
        (n,) = await with_deliveries(self.session, [row])
        return n

    async def by_source_key(
        self, source_key: str, *, for_update: bool = False
    ) -> Notification | None:
        stmt = _NOTIFICATION_BY_KEY_LOCKED if for_update else _NOTIFICATION_BY_KEY
        row = (await self.session.execute(stmt, {"source_key": source_key})).first()
        return None if row is None else (await self._load([row]))[0]

    async def has_key(self, source_key: str) -> bool:
        """Whether a notification with this source key exists (a replay's first question)."""
        driver = await driver_connection(self.session)
        return bool(await driver.fetchval(_KEY_TAKEN, source_key))

    def relabel(self, notification_id: uuid.UUID, access: Sequence[str]) -> None:
        """The countries whose authorities may see the record change (a lifted block)."""
        self._meta.setdefault(notification_id, {})["access"] = sorted(set(access))

    async def for_related(
        self, service: str, related_id: str, kind: NotificationKind, *, for_update: bool = False
    ) -> list[Notification]:
        stmt = (
            select(orm.notification)
            .where(
                orm.notification.c.related_service == service,
                orm.notification.c.related_id == related_id,
                orm.notification.c.kind == kind.value,
            )
            .order_by(orm.notification.c.created_at, orm.notification.c.id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        rows = (await self.session.execute(stmt)).all()
        return await self._load(rows)

    async def about_child_case(
        self, case_id: str, *, for_update: bool = False
    ) -> list[Notification]:
        """The notices of other kinds that name this child's case (`child_case_id`: a Fund
        return); the case's own notice is found by its source key."""
        n = orm.notification.c
        stmt = (
            select(orm.notification).where(n.child_case_id == case_id).order_by(n.created_at, n.id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self._load((await self.session.execute(stmt)).all())

    async def clock_running_past(
        self, now: datetime, *, after: uuid.UUID | None, limit: int
    ) -> list[Notification]:
        """Pending, not yet escalated, and past a deadline at `now` — the same test as
        `Notification.missed_deadline` — locked, skipping rows another worker holds."""
        n = orm.notification.c
        missed_sending = and_(now > n.due_at, or_(n.sent_at.is_(None), n.sent_at > n.due_at))
        stmt = (
            select(orm.notification)
            .where(
                n.status == NotificationStatus.PENDING.value,
                n.escalated_at.is_(None),
                or_(missed_sending, now > n.ack_due_at),
            )
            .order_by(n.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if after is not None:
            stmt = stmt.where(n.id > after)
        return await self._load((await self.session.execute(stmt)).all())

    async def unroutable(self, *, after: uuid.UUID | None, limit: int) -> list[Notification]:
        """Notifications waiting for a post, locked, skipping rows another worker holds."""
        n = orm.notification.c
        stmt = (
            select(orm.notification)
            .where(n.status == NotificationStatus.UNROUTABLE.value)
            .order_by(n.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if after is not None:
            stmt = stmt.where(n.id > after)
        return await self._load((await self.session.execute(stmt)).all())

    async def next_email_due(self, now: datetime) -> Notification | None:
        """One notification whose e-mail is due (never sent, retry time reached), locked."""
        d = orm.notification_delivery.c
        due = (
            select(d.notification_id)
            .where(
                d.channel == Channel.EMAIL.value,
                d.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value]),
                d.next_attempt_at <= now,
            )
            .order_by(d.next_attempt_at, d.notification_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        found = (await self.session.execute(due)).scalar_one_or_none()
        if found is None:
            return None
        return await self.get(found, for_update=True)

    def retry_at(self, notification_id: uuid.UUID, channel: Channel, when: datetime) -> None:
        self._meta.setdefault(notification_id, {}).setdefault("retry", {})[channel] = when

    async def _load(self, rows: Sequence[Any]) -> list[Notification]:
        if not rows:
            return []
        for r in rows:
            meta = self._meta.setdefault(r.id, {})
            meta["reference"] = r.reference
            meta.setdefault("access", list(r.access))
        return [self._loaded(n) for n in await with_deliveries(self.session, rows)]

    def _loaded(self, n: Notification) -> Notification:
        # The same record twice in one unit of work: one object, the first one read.
        return self.seen.loaded(n.id, n, n.version)

    def access_of(self, notification_id: uuid.UUID) -> list[str]:
        """The access label the record carries (from the event or report that made it)."""
        access: list[str] = self._meta.get(notification_id, {}).get("access") or []
        return access

    def reference_of(self, notification_id: uuid.UUID) -> str:
        """The readable reference (`CN-MX-GT-2026-000042`) of a notification saved before."""
        return str(self._meta[notification_id]["reference"])

    async def flush(self) -> None:
        for n in self.seen:
            meta = self._meta.get(n.id, {})
            loaded_version = self.seen.version_of(n.id)
            if loaded_version is None:
                await self._insert(n, meta)
            elif n.version != loaded_version:
                await self._update(n, loaded_version, meta)
            # Saved: a second flush in the same unit of work updates from here.
            self.seen.written(n.id, n.version)
        for meta in self._meta.values():
            meta.pop("retry", None)

    async def _insert(self, n: Notification, meta: dict[str, Any]) -> None:
        row = notification_row(n)
        seq = await (await driver_connection(self.session)).fetchval(_NEXT_REFERENCE)
        year = n.created_at.year
        row["reference"] = f"CN-{n.host_country}-{n.nationality}-{year}-{seq:06d}"
        row["access"] = meta.get("access") or sorted({n.host_country, n.nationality})
        row["reported_by"] = meta.get("reported_by")
        meta["reference"] = row["reference"]
        self._meta[n.id] = meta
        # One statement built once, its values as parameters: `.values(**row)` built a bind
        # parameter per column on every notice (a third of the consumer's CPU per manifest).
        await self.session.execute(_INSERT_NOTIFICATION, row)
        if n.deliveries:
            # A new notice's channels conflict with nothing: one INSERT for all of them.
            await self.session.execute(
                _INSERT_DELIVERIES, [_delivery_row(n, d) for d in n.deliveries]
            )

    async def _update(self, n: Notification, loaded_version: int, meta: dict[str, Any]) -> None:
        row = notification_row(n)
        for fixed in ("id", "source_key", "created_at"):
            row.pop(fixed)
        if meta.get("access"):
            row["access"] = meta["access"]
        await update_versioned(
            self.session,
            orm.notification,
            {"id": n.id},
            loaded_version=loaded_version,
            values=row,
            what="The notification",
        )
        await self._save_deliveries(n, meta)

    async def _save_deliveries(self, n: Notification, meta: dict[str, Any]) -> None:
        retry: dict[Channel, datetime] = meta.get("retry", {})
        for d in n.deliveries:
            row = _delivery_row(n, d)
            stmt = pg_insert(orm.notification_delivery).values(**row)
            set_: dict[str, Any] = {k: row[k] for k in _DELIVERY_PROGRESS}
            if d.status in _FINISHED:
                set_["next_attempt_at"] = None  # nothing more to send on this channel
            elif d.channel in retry:
                set_["next_attempt_at"] = retry[d.channel]
            elif d.status is DeliveryStatus.PENDING and d.attempts == 0:
                # Due now: a channel started afresh (a notice released or routed again).
                set_["next_attempt_at"] = stmt.excluded.next_attempt_at
            await self.session.execute(
                stmt.on_conflict_do_update(index_elements=["notification_id", "channel"], set_=set_)
            )


_DELIVERY_PROGRESS = ("status", "attempts", "last_error", "sent_at")
_FINISHED = frozenset({DeliveryStatus.SENT, DeliveryStatus.CANCELLED})  # nothing more to send
# The lookups every event and request makes, built once with their values as parameters: a
# statement built per call cost more of the consumer's CPU (its cache key, its expanding IN)
# than the round trip it makes. `= ANY(array)`: one statement for any number of ids.
_NOTIFICATION_BY_ID = select(orm.notification).where(orm.notification.c.id == bindparam("id"))
_NOTIFICATION_BY_ID_LOCKED = _NOTIFICATION_BY_ID.with_for_update()
_NOTIFICATION_BY_KEY = select(orm.notification).where(
    orm.notification.c.source_key == bindparam("source_key")
)
_NOTIFICATION_BY_KEY_LOCKED = _NOTIFICATION_BY_KEY.with_for_update()
_DELIVERIES_OF = select(orm.notification_delivery).where(
    orm.notification_delivery.c.notification_id
    == any_(bindparam("ids", type_=ARRAY(orm.notification_delivery.c.notification_id.type)))
)
# On the driver (`puebla.db.driver`): each is sent for every event a consumer applies.
_NEXT_REFERENCE = "SELECT nextval('notification_reference_seq')"
_KEY_TAKEN = "SELECT true FROM notification WHERE source_key = $1"
_ASKED = "SELECT source_key FROM verification WHERE source_key = ANY($1::text[])"
_WITHDRAWN_UNDER = (
    "SELECT source_key, reason, version FROM withdrawal"
    " WHERE source_key LIKE $1 ESCAPE '/' AND withdrawn"
)
_INSERT_NOTIFICATION = insert(orm.notification)
_INSERT_DELIVERIES = insert(orm.notification_delivery)


async def with_deliveries(session: AsyncSession, rows: Sequence[Any]) -> list[Notification]:
    """The notifications of `rows` with their channels: one statement for all of them (the
    read side's lists load them so too)."""
    if not rows:
        return []
    found = await session.execute(_DELIVERIES_OF, {"ids": [r.id for r in rows]})
    by_id: dict[uuid.UUID, list[Any]] = {}
    for delivery in found.all():
        by_id.setdefault(delivery.notification_id, []).append(delivery)
    return [notification_from_row(r, by_id.get(r.id, [])) for r in rows]


def _delivery_row(n: Notification, d: Delivery) -> dict[str, Any]:
    """A channel's row as first written: due at the notice's creation unless already done."""
    done = d.status in _FINISHED
    return {
        "notification_id": n.id,
        "channel": d.channel.value,
        "status": d.status.value,
        "attempts": d.attempts,
        "last_error": d.last_error,
        "sent_at": d.sent_at,
        "next_attempt_at": None if done else n.created_at,
    }


class VerificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: Seen[uuid.UUID, NationalityVerification] = Seen()
        self._access: dict[uuid.UUID, list[str]] = {}
        self._relabelled: set[uuid.UUID] = set()

    def _loaded(self, v: NationalityVerification) -> NationalityVerification:
        return self.seen.loaded(v.id, v, v.version)

    def add(self, verification: NationalityVerification, *, access: Sequence[str]) -> None:
        self.seen.added(verification.id, verification)
        self._access[verification.id] = sorted(set(access))

    def relabel(self, verification_id: uuid.UUID, access: Sequence[str]) -> None:
        """The countries whose authorities may see the record narrow (a protection need)."""
        self._access[verification_id] = sorted(set(access))
        self._relabelled.add(verification_id)

    async def peek(self, verification_id: uuid.UUID) -> NationalityVerification | None:
        """Unlocked and untracked, like `NotificationRepository.peek`."""
        row = (await self.session.execute(_VERIFICATION_BY_ID, {"id": verification_id})).first()
        return None if row is None else verification_from_row(row)

    async def for_related(
        self, service: str, related_id: str, *, for_update: bool = False
    ) -> list[NationalityVerification]:
        v = orm.verification.c
        stmt = (
            select(orm.verification)
            .where(v.related_service == service, v.related_id == related_id)
            .order_by(v.requested_at, v.id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        rows = (await self.session.execute(stmt)).all()
        return [self._loaded(verification_from_row(r)) for r in rows]

    async def get(
        self, verification_id: uuid.UUID, *, for_update: bool = False
    ) -> NationalityVerification | None:
        stmt = _VERIFICATION_BY_ID_LOCKED if for_update else _VERIFICATION_BY_ID
        row = (await self.session.execute(stmt, {"id": verification_id})).first()
        return None if row is None else self._loaded(verification_from_row(row))

    async def by_source_key(
        self, source_key: str, *, for_update: bool = False
    ) -> NationalityVerification | None:
        stmt = _VERIFICATION_BY_KEY_LOCKED if for_update else _VERIFICATION_BY_KEY
        row = (await self.session.execute(stmt, {"source_key": source_key})).first()
        return None if row is None else self._loaded(verification_from_row(row))

    async def existing(self, source_keys: Collection[str]) -> set[str]:
        """Which of these source keys a verification request already has: one statement for
        a whole manifest's people (one a person cost 40 round trips for 40 returnees)."""
        if not source_keys:
            return set()
        driver = await driver_connection(self.session)
        return {r["source_key"] for r in await driver.fetch(_ASKED, list(source_keys))}

    async def flush(self) -> None:
        new_rows: list[dict[str, Any]] = []
        for v in self.seen:
            loaded_version = self.seen.version_of(v.id)
            row = verification_row(v)
            if loaded_version is None:
                row["access"] = self._access.get(v.id) or sorted(
                    {v.host_country, v.claimed_nationality}
                )
                new_rows.append(row)
            elif v.version != loaded_version:
                for fixed in ("id", "source_key", "requested_at"):
                    row.pop(fixed)
                if v.id in self._relabelled:
                    row["access"] = self._access[v.id]
                await update_versioned(
                    self.session,
                    orm.verification,
                    {"id": v.id},
                    loaded_version=loaded_version,
                    values=row,
                    what="The verification request",
                )
            self.seen.written(v.id, v.version)
        if new_rows:
            # One INSERT for them all (SQLAlchemy's many-values form): a manifest's requests.
            await self.session.execute(insert(orm.verification), new_rows)


_VERIFICATION_BY_ID = select(orm.verification).where(orm.verification.c.id == bindparam("id"))
_VERIFICATION_BY_ID_LOCKED = _VERIFICATION_BY_ID.with_for_update()
_VERIFICATION_BY_KEY = select(orm.verification).where(
    orm.verification.c.source_key == bindparam("source_key")
)
_VERIFICATION_BY_KEY_LOCKED = _VERIFICATION_BY_KEY.with_for_update()

# The two-key advisory locks of `WithdrawalRepository.serialize_on` (their own key space: the
# one-key locks of the audit chain and the migrations never collide with them).
_DECISION_LOCKS = 4004


class WithdrawalRepository:
    """`withdrawal`: what was taken back, by source key, also before the record exists."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reason(self, source_key: str) -> WithdrawalReason | None:
        """Why the record with this key is withdrawn now, or None."""
        row = (await self.session.execute(_WITHDRAWN_REASON, {"source_key": source_key})).first()
        return None if row is None else WithdrawalReason(row.reason)

    async def under(self, prefix: str) -> dict[str, tuple[WithdrawalReason, int]]:
        """Every withdrawal in force whose key starts with `prefix`: key → (reason, version)."""
        driver = await driver_connection(self.session)
        rows = await driver.fetch(_WITHDRAWN_UNDER, like_prefix(prefix))
        return {r["source_key"]: (WithdrawalReason(r["reason"]), r["version"]) for r in rows}

    async def record(
        self, source_key: str, reason: WithdrawalReason, version: int, at: datetime
    ) -> WithdrawalReason:
        """Withdrawn for good (a removal, a cancellation, a protection need): a protection need
        is never overridden by a later, weaker reason. Returns the reason in force."""
        stmt = pg_insert(orm.withdrawal).values(
            source_key=source_key, reason=reason.value, withdrawn=True, version=version, at=at
        )
        w = orm.withdrawal.c
        protection = WithdrawalReason.PROTECTION.value
        upsert = stmt.on_conflict_do_update(
            index_elements=["source_key"],
            set_={
                "reason": case(
                    (or_(w.reason == protection, stmt.excluded.reason == protection), protection),
                    else_=stmt.excluded.reason,
                ),
                "withdrawn": True,
                "version": func.greatest(w.version, stmt.excluded.version),
            },
        ).returning(orm.withdrawal.c.reason)
        return WithdrawalReason((await self.session.execute(upsert)).scalar_one())

    async def serialize_on(self, key: str) -> None:
        """Holds, until the commit, the lock of everything decided about `key` (a child's
        case): the consumers that make a record and the one that withdraws it run apart, and
        each reads what the other wrote only once it has waited for the other's commit. Without
        it a Fund approval and a case block consumed at the same moment could each miss the
        other, leaving the notice visible to the child's state."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:k))"),
            {"space": _DECISION_LOCKS, "k": key},
        )

    async def record_block(
        self, source_key: str, *, blocked: bool, version: int, at: datetime
    ) -> bool:
        """A child-case block set (`blocked`) or cleared at the case's `version`; the newer of
        the two wins whatever order they arrive in. Returns whether the case is blocked now."""
        stmt = pg_insert(orm.withdrawal).values(
            source_key=source_key,
            reason=WithdrawalReason.PROTECTION.value,
            withdrawn=blocked,
            version=version,
            at=at,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["source_key"],
                set_={
                    "withdrawn": stmt.excluded.withdrawn,
                    "version": stmt.excluded.version,
                    "at": stmt.excluded.at,
                },
                where=orm.withdrawal.c.version < stmt.excluded.version,
            )
        )
        w = orm.withdrawal.c
        state = (
            await self.session.execute(select(w.withdrawn).where(w.source_key == source_key))
        ).scalar_one()
        return bool(state)


def like_prefix(prefix: str) -> str:
    """The LIKE pattern (escape character `/`) of the strings that start with `prefix`: its
    own `%` and `_` (as in `child_protection:`) match only themselves."""
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return escaped + "%"


_WITHDRAWN_REASON = select(orm.withdrawal.c.reason).where(
    orm.withdrawal.c.source_key == bindparam("source_key"), orm.withdrawal.c.withdrawn
)


@dataclass(frozen=True)
class _KeptReference:
    reference: ReferenceData
    departures: tuple[Any, ...]  # `departure_point` rows, every version


# What this process last read of the reference tables (`puebla.db.reference`, migrations 0010
# and 0011).
_KEPT: Kept[_KeptReference] = Kept()


class ReferenceRepository:
    """The reference data as the domain wants it. Each unit of work reads the generation token
    (one row); the tables themselves only when it has changed since this process last read
    them, so an edit takes effect without a restart, at the next unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._cached: _KeptReference | None = None

    async def _kept(self) -> _KeptReference:
        if self._cached is None:
            self._cached = await _KEPT.get(self.session, self._read)
        return self._cached

    async def load(self) -> ReferenceData:
        return (await self._kept()).reference

    async def _read(self) -> _KeptReference:
        departures = (await self.session.execute(select(orm.departure_point))).all()
        posts = (await self.session.execute(select(orm.consular_post))).all()
        subdivisions = (await self.session.execute(select(orm.subdivision))).all()
        mandatory = (await self.session.execute(select(orm.mandatory_notification))).all()
        clocks = (await self.session.execute(select(orm.notification_clock))).all()
        reference = ReferenceData(
            directory=Directory(
                posts=tuple(post_from_row(p) for p in posts),
                subdivisions={s.code: tuple(s.names) for s in subdivisions},
            ),
            mandatory=tuple(
                MandatoryNotification(m.host_country, m.nationality, m.valid_from, m.valid_to)
                for m in mandatory
            ),
            clocks=tuple(
                NotificationClock(
                    host_country=c.host_country,
                    time_zone=c.time_zone,
                    valid_from=c.valid_from,
                    valid_to=c.valid_to,
                    send_within=as_timedelta(c.send_within),
                    acknowledge_within=as_timedelta(c.acknowledge_within),
                )
                for c in clocks
            ),
        )
        return _KeptReference(reference, tuple(departures))

    async def departure(self, reception_point: str, sending_country: str, on: date) -> Place:
        """Where buses to `reception_point` leave from in `sending_country` (reference table
        `departure_point`, the version in force `on`; of overlapping ones, the latest);
        unknown: the sending country without a state, which routes the notice to the
        receiving country's embassy there."""
        in_force = [
            d
            for d in (await self._kept()).departures
            if d.reception_point == reception_point
            and d.sending_country == sending_country
            and d.valid_from <= on
            and (d.valid_to is None or d.valid_to > on)
        ]
        if not in_force:
            return Place(sending_country)
        row = max(in_force, key=lambda d: d.valid_from)
        return Place(sending_country, row.state, row.city)
