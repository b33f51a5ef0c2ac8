"""Manifests in PostgreSQL: explicit row ↔ aggregate mapping, row locks, version checks.

`scope` reads whom a manifest concerns without locking it: the caller's right to see and to
act is decided on that, before any lock is taken (a caller who may not see a manifest never
holds or waits for its lock). `get_for_update` then locks the manifest row (`SELECT … FOR
UPDATE`) for the rest of the transaction, so two writers of one manifest run one after the
other: the second sees what the first committed and the domain decides again (e.g. a
different hand-over outcome → conflict). `flush` writes what changed, and refuses
(`puebla.refusals.ConcurrentChange`, through `update_versioned`) to save over a version other
than the one it loaded — a second line of defence should anything bypass the lock. `seen` is
the unit of work's identity map (`puebla.db.repository.Seen`): what it drains events from.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy import Table, insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.db.driver import driver_connection
from puebla.db.reference import Kept
from puebla.db.repository import Seen
from puebla.refusals import ConcurrentChange
from repatriation.adapters.orm import (
    agreement,
    handover_signature,
    manifest,
    notice_rule,
    protection_removal,
    reception_point,
    returnee,
    unlisted_arrival,
)
from repatriation.domain import (
    Agreement,
    ArrivedPerson,
    Handover,
    HandoverOutcome,
    HandoverSignature,
    HandoverTotals,
    IdentityDocument,
    Manifest,
    ManifestStatus,
    NationalityStatus,
    NoticeRule,
    Objection,
    ProtectionNeedKind,
    ProtectionRemoval,
    ReceptionPoint,
    ReceptionWindow,
    ReferenceData,
    RefusalReason,
    Returnee,
    Sex,
    Side,
    UnlistedArrival,
    Vehicle,
    Vulnerabilities,
)


@dataclass(frozen=True)
class Scope:
    """Whom a manifest concerns: what the access policy decides on, without the aggregate."""

    sending_country: str
    receiving_country: str
    reception_point: str
    submitted_at: datetime | None  # consular officers see a manifest only from submission on


# A row as read: SQLAlchemy's mapping or asyncpg's record (both read by column name).
Row: TypeAlias = RowMapping | asyncpg.Record


def _names(table: Table) -> str:
    return ", ".join(c.name for c in table.c)


# The hand-over's hot path, sent to the driver (`puebla.db.driver`) as plain statements.
_SCOPE = (
    "SELECT sending_country, receiving_country, reception_point, submitted_at"
    " FROM manifest WHERE id = $1"
)
# The lock, then what the manifest holds. Two statements, not one: under READ COMMITTED a
# statement that waited for the lock returns the locked row as it is now, but its subqueries
# read the snapshot taken before the wait, so people, counts and flags read in the locking
# statement could miss what the writer it waited for committed (a hand-over that waited
# counted the other's person as pending and never closed the manifest).
_LOCKED_MANIFEST = f"SELECT {_names(manifest)} FROM manifest WHERE id = $1 FOR UPDATE"
_FLAGS = (
    "EXISTS (SELECT 1 FROM protection_removal p WHERE p.manifest_id = $1) AS has_removals,"
    " (EXISTS (SELECT 1 FROM unlisted_arrival u WHERE u.manifest_id = $1)"
    "  OR EXISTS (SELECT 1 FROM handover_signature s WHERE s.manifest_id = $1))"
    " AS has_record_rows"
)
# Everyone, as rows of the `returnee` type (asyncpg decodes each into a record read by name).
_CONTENTS = (
    f"SELECT {_FLAGS},"
    " ARRAY(SELECT r FROM returnee r WHERE r.manifest_id = $1 ORDER BY r.position) AS people"
)
# A hand-over's: only the people it names ($2), the others' outcomes counted.
_HANDOVER_CONTENTS = (
    f"SELECT {_FLAGS},"
    " ARRAY(SELECT r FROM returnee r WHERE r.manifest_id = $1 AND r.id = ANY($2::uuid[])"
    " ORDER BY r.position) AS people,"
    " (SELECT ARRAY["
    "count(*) FILTER (WHERE o.handover_outcome = 'received'),"
    " count(*) FILTER (WHERE o.handover_outcome = 'not_presented'),"
    " count(*) FILTER (WHERE o.handover_outcome = 'refused'),"
    " count(*) FILTER (WHERE o.handover_outcome IS NULL)]"
    " FROM returnee o WHERE o.manifest_id = $1 AND o.id <> ALL($2::uuid[])) AS others"
)
# `_manifest_values` and `_returnee_values` give the columns in these orders.
_MANIFEST_SET = (
    "reception_point", "reception_time_zone", "scheduled_departure", "scheduled_arrival",
    "vehicle_plate", "vehicle_seats", "status", "late_notice", "late_notice_reason",
    "cancellation_reason", "version", "submitted_at", "dispatched_at", "arrived_at",
    "closed_at", "cancelled_at",
)  # fmt: skip
_UPDATE_MANIFEST = (
    "UPDATE manifest SET "
    + ", ".join(f"{c} = ${i}" for i, c in enumerate(_MANIFEST_SET, start=3))
    + " WHERE id = $1 AND version = $2"
)
_RETURNEE_SET = (
    "given_names", "surnames", "sex", "date_of_birth", "nationality", "place_of_origin",
    "document_type", "document_number", "family_group", "pregnant", "disability",
    "illness_or_injury", "trafficking_indicator", "age_disputed", "nationality_status",
    "nationality_rejection_reason", "nationality_decided_at", "handover_outcome",
    "handover_reason", "handover_officer", "handover_post", "handed_over_at",
    "handover_stored_at",
)  # fmt: skip
_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]
_FIRST_ARRAY = 3 + len(_MANIFEST_SET)
# The versioned manifest UPDATE and its changed people in one statement (one round trip fewer
# inside the manifest's lock): the people are updated only if the manifest row was, and the
# answer says whether it was (0: a concurrent change, nothing written). The people come as one
# array a column, each cast to its column's type as the table declares it.
_UPDATE_MANIFEST_AND_RETURNEES = (
    "WITH m AS ("
    + _UPDATE_MANIFEST
    + " RETURNING id), r AS (UPDATE returnee SET "
    + ", ".join(f"{c} = v.{c}" for c in _RETURNEE_SET)
    + " FROM unnest("
    + ", ".join(
        f"${i}::{returnee.c[c].type.compile(dialect=_POSTGRESQL)}[]"
        for i, c in enumerate(("id", *_RETURNEE_SET), start=_FIRST_ARRAY)
    )
    + ") AS v(id, "
    + ", ".join(_RETURNEE_SET)
    + ") WHERE returnee.id = v.id AND EXISTS (SELECT FROM m))"
    " SELECT count(*) FROM m"
)


# -- rows → aggregate ------------------------------------------------------------------------


def _to_returnee(row: Row) -> Returnee:
    document = (
        IdentityDocument(type=row["document_type"], number=row["document_number"])
        if row["document_type"] is not None
        else None
    )
    handover = (
        Handover(
            outcome=HandoverOutcome(row["handover_outcome"]),
            reason=RefusalReason(row["handover_reason"]) if row["handover_reason"] else None,
            officer=row["handover_officer"],
            post=row["handover_post"],
            recorded_at=row["handed_over_at"],
            stored_at=row["handover_stored_at"],
        )
        if row["handover_outcome"] is not None
        else None
    )
    return Returnee(
        id=row["id"],
        given_names=row["given_names"],
        surnames=row["surnames"],
        sex=Sex(row["sex"]),
        date_of_birth=row["date_of_birth"],
        nationality=row["nationality"],
        place_of_origin=row["place_of_origin"],
        vulnerabilities=Vulnerabilities(
            pregnant=row["pregnant"],
            disability=row["disability"],
            illness_or_injury=row["illness_or_injury"],
            trafficking_indicator=row["trafficking_indicator"],
        ),
        protection_need=False,  # never stored: such a person is never admitted
        age_disputed=row["age_disputed"],
        document=document,
        family_group=row["family_group"],
        nationality_status=NationalityStatus(row["nationality_status"]),
        nationality_rejection_reason=row["nationality_rejection_reason"],
        nationality_decided_at=row["nationality_decided_at"],
        handover=handover,
    )


def _to_removal(row: RowMapping) -> ProtectionRemoval:
    """What is kept of a person taken off for a protection need (their identity as listed)."""
    return ProtectionRemoval(
        returnee_id=row["returnee_id"],
        given_names=row["given_names"],
        surnames=row["surnames"],
        sex=Sex(row["sex"]),
        date_of_birth=row["date_of_birth"],
        nationality=row["nationality"],
        family_group=row["family_group"],
        kind=ProtectionNeedKind(row["kind"]),
        note=row["note"],
        family_of=row["family_of"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
    )


def _removal_values(manifest_id: uuid.UUID, r: ProtectionRemoval) -> dict[str, Any]:
    return {
        "returnee_id": r.returnee_id,
        "manifest_id": manifest_id,
        "given_names": r.given_names,
        "surnames": r.surnames,
        "sex": r.sex.value,
        "date_of_birth": r.date_of_birth,
        "nationality": r.nationality,
        "family_group": r.family_group,
        "kind": r.kind.value,
        "note": r.note,
        "family_of": r.family_of,
        "recorded_by": r.recorded_by,
        "recorded_at": r.recorded_at,
    }


def _to_arrival(row: RowMapping) -> UnlistedArrival:
    return UnlistedArrival(
        id=row["id"],
        person=ArrivedPerson(
            given_names=row["given_names"],
            surnames=row["surnames"],
            sex=Sex(row["sex"]),
            date_of_birth=row["date_of_birth"],
            nationality=row["nationality"],
        ),
        officer=row["officer"],
        post=row["post"],
        recorded_at=row["recorded_at"],
        stored_at=row["stored_at"],
    )


def _arrival_values(manifest_id: uuid.UUID, a: UnlistedArrival) -> dict[str, Any]:
    return {
        "id": a.id,
        "manifest_id": manifest_id,
        "given_names": a.person.given_names,
        "surnames": a.person.surnames,
        "sex": a.person.sex.value,
        "date_of_birth": a.person.date_of_birth,
        "nationality": a.person.nationality,
        "officer": a.officer,
        "post": a.post,
        "recorded_at": a.recorded_at,
        "stored_at": a.stored_at,
    }


def _to_signature(row: RowMapping) -> HandoverSignature:
    return HandoverSignature(
        side=Side(row["side"]),
        country=row["country"],
        officer=row["officer"],
        signed_at=row["signed_at"],
        digest=row["digest"],
        objections=tuple(
            Objection(returnee_id=uuid.UUID(o["returnee_id"]), reason=o["reason"])
            for o in row["objections"]
        ),
    )


def _signature_values(manifest_id: uuid.UUID, s: HandoverSignature) -> dict[str, Any]:
    return {
        "manifest_id": manifest_id,
        "side": s.side.value,
        "country": s.country,
        "officer": s.officer,
        "signed_at": s.signed_at,
        "digest": s.digest,
        "objections": [
            {"returnee_id": str(o.returnee_id), "reason": o.reason} for o in s.objections
        ],
    }


def _to_manifest(
    row: Row,
    returnees: list[Returnee],
    removals: list[ProtectionRemoval],
    arrivals: list[UnlistedArrival],
    signatures: list[HandoverSignature],
    others: HandoverTotals | None = None,
) -> Manifest:
    return Manifest(
        id=row["id"],
        reference=row["reference"],
        sending_country=row["sending_country"],
        receiving_country=row["receiving_country"],
        reception_point=row["reception_point"],
        reception_time_zone=row["reception_time_zone"],
        scheduled_departure=row["scheduled_departure"],
        scheduled_arrival=row["scheduled_arrival"],
        vehicle=Vehicle(plate=row["vehicle_plate"], seats=row["vehicle_seats"]),
        returnees=returnees,
        created_at=row["created_at"],
        status=ManifestStatus(row["status"]),
        late_notice=row["late_notice"],
        late_notice_reason=row["late_notice_reason"],
        cancellation_reason=row["cancellation_reason"],
        version=row["version"],
        submitted_at=row["submitted_at"],
        dispatched_at=row["dispatched_at"],
        arrived_at=row["arrived_at"],
        closed_at=row["closed_at"],
        cancelled_at=row["cancelled_at"],
        protection_removals=removals,
        unlisted_arrivals=arrivals,
        signatures=signatures,
        others=others,
    )


# -- aggregate → rows ------------------------------------------------------------------------


def _manifest_values(m: Manifest) -> dict[str, Any]:
    """The columns a change may touch (id, reference, created_* never change)."""
    return {
        "reception_point": m.reception_point,
        "reception_time_zone": m.reception_time_zone,
        "scheduled_departure": m.scheduled_departure,
        "scheduled_arrival": m.scheduled_arrival,
        "vehicle_plate": m.vehicle.plate,
        "vehicle_seats": m.vehicle.seats,
        "status": m.status.value,
        "late_notice": m.late_notice,
        "late_notice_reason": m.late_notice_reason,
        "cancellation_reason": m.cancellation_reason,
        "version": m.version,
        "submitted_at": m.submitted_at,
        "dispatched_at": m.dispatched_at,
        "arrived_at": m.arrived_at,
        "closed_at": m.closed_at,
        "cancelled_at": m.cancelled_at,
    }


def _returnee_values(r: Returnee) -> dict[str, Any]:
    """The columns of a returnee row except id, manifest_id and position."""
    h = r.handover
    return {
        "given_names": r.given_names,
        "surnames": r.surnames,
        "sex": r.sex.value,
        "date_of_birth": r.date_of_birth,
        "nationality": r.nationality,
        "place_of_origin": r.place_of_origin,
        "document_type": r.document.type if r.document else None,
        "document_number": r.document.number if r.document else None,
        "family_group": r.family_group,
        "pregnant": r.vulnerabilities.pregnant,
        "disability": r.vulnerabilities.disability,
        "illness_or_injury": r.vulnerabilities.illness_or_injury,
        "trafficking_indicator": r.vulnerabilities.trafficking_indicator,
        "age_disputed": r.age_disputed,
        "nationality_status": r.nationality_status.value,
        "nationality_rejection_reason": r.nationality_rejection_reason,
        "nationality_decided_at": r.nationality_decided_at,
        "handover_outcome": h.outcome.value if h else None,
        "handover_reason": h.reason.value if h and h.reason else None,
        "handover_officer": h.officer if h else None,
        "handover_post": h.post if h else None,
        "handed_over_at": h.recorded_at if h else None,  # the post's time
        "handover_stored_at": h.stored_at if h else None,
    }


async def handover_record_rows(
    session: AsyncSession, manifest_id: uuid.UUID
) -> tuple[list[RowMapping], list[RowMapping]]:
    """The rows beside a manifest's people in its hand-over record: who arrived unlisted (in
    the order recorded) and the signatures (in the order signed, the sending side first on a
    tie). The aggregate and the record's read both take them from here."""
    ua, hs = unlisted_arrival.c, handover_signature.c
    arrivals = await session.execute(
        select(unlisted_arrival)
        .where(ua.manifest_id == manifest_id)
        .order_by(ua.recorded_at, ua.id)
    )
    signatures = await session.execute(
        select(handover_signature)
        .where(hs.manifest_id == manifest_id)
        .order_by(hs.signed_at, hs.side.desc())
    )
    return list(arrivals.mappings().all()), list(signatures.mappings().all())


@dataclass
class _Loaded:
    """What the database held of a manifest's people when it was loaded (or written): the base
    of `flush`'s diff. Its version is `Seen`'s."""

    returnees: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    positions: dict[uuid.UUID, int] = field(default_factory=dict)
    removals: set[uuid.UUID] = field(default_factory=set)  # protection removals on record
    arrivals: set[uuid.UUID] = field(default_factory=set)  # unlisted arrivals on record
    signatures: set[Side] = field(default_factory=set)  # sides that have signed


@dataclass(frozen=True)
class _KeptReference:
    """The reference tables as read: every version of the points and agreements, and every
    notice rule with its validity (which are in force depends on the day of the use)."""

    every_version: ReferenceData
    rules: tuple[tuple[NoticeRule, date, date | None], ...]


# What this process last read of the reference tables (`puebla.db.reference`, migration 0009).
_KEPT: Kept[_KeptReference] = Kept()


class SqlManifestRepository:
    def __init__(
        self, session: AsyncSession, *, scopes_read: Mapping[uuid.UUID, Scope] | None = None
    ) -> None:
        self.session = session
        # Scopes the request already read without a lock (its route's 404/403 check): an
        # unlocked read now would say the same, so `scope` answers from here. What the lock
        # holds is decided again on the locked row.
        self._scopes_read = scopes_read or {}
        self.seen: Seen[uuid.UUID, Manifest] = Seen()  # every manifest this unit of work touched
        self._new: dict[uuid.UUID, str] = {}  # id → created_by
        self._loaded: dict[uuid.UUID, _Loaded] = {}

    # -- reading -------------------------------------------------------------------------------

    async def scope(self, manifest_id: uuid.UUID, *, alone: bool = False) -> Scope | None:
        """Whom the manifest concerns (countries, point, whether submitted), read without a
        lock; None if there is no such manifest. `alone`: the session reads nothing else (no
        transaction needed for one row)."""
        if manifest_id in self._scopes_read:
            return self._scopes_read[manifest_id]
        driver = await driver_connection(self.session, begin=not alone)
        row = await driver.fetchrow(_SCOPE, manifest_id)
        if row is None:
            return None
        return Scope(
            row["sending_country"],
            row["receiving_country"],
            row["reception_point"],
            row["submitted_at"],
        )

    async def get_for_update(self, manifest_id: uuid.UUID) -> Manifest | None:
        """The manifest, its row locked until the transaction ends; None if there is none.

        Two statements on the driver (the hand-over's hot path): the locked row, then its
        people with whether anyone was taken off, arrived unlisted or signed; those three are
        read only when there are some."""
        return await self._locked(manifest_id)

    async def get_for_handover(
        self, manifest_id: uuid.UUID, returnee_ids: Collection[uuid.UUID]
    ) -> Manifest | None:
        """The manifest locked as `get_for_update` does, holding only the returnees named
        (those on it), the others' outcomes counted (`Manifest.others`): a hand-over of one
        person on a bus of 40 reads, builds and compares one returnee, not 40."""
        return await self._locked(manifest_id, list(returnee_ids))

    async def _locked(
        self, manifest_id: uuid.UUID, named: list[uuid.UUID] | None = None
    ) -> Manifest | None:
        """The lock, then (a statement of its own: see `_LOCKED_MANIFEST`) what it holds:
        everyone, or the `named` with the others' outcomes counted."""
        driver = await driver_connection(self.session)
        row = await driver.fetchrow(_LOCKED_MANIFEST, manifest_id)
        if row is None:
            return None
        already = self.seen.get(manifest_id)
        if already is not None:
            return already  # one object per manifest in a unit of work
        if named is None:
            contents = await driver.fetchrow(_CONTENTS, manifest_id)
        else:
            contents = await driver.fetchrow(_HANDOVER_CONTENTS, manifest_id, named)
        assert contents is not None  # one row, whatever it finds
        others = None
        if named is not None:
            received, not_presented, refused, pending = contents["others"]
            others = HandoverTotals(
                received=received, not_presented=not_presented, refused=refused, pending=pending
            )
        return await self._assemble(row, contents, others=others)

    async def _assemble(
        self, row: Row, contents: Row, *, others: HandoverTotals | None = None
    ) -> Manifest:
        """The aggregate from its locked row and what was read after the lock (its people and
        the flags); removals, unlisted arrivals and signatures read only when flagged."""
        manifest_id = row["id"]
        rows: list[Row] = list(contents["people"])
        removal_rows: list[Row] = []
        if contents["has_removals"]:
            removal_rows = list(
                (
                    await self.session.execute(
                        select(protection_removal)
                        .where(protection_removal.c.manifest_id == manifest_id)
                        .order_by(
                            protection_removal.c.recorded_at, protection_removal.c.returnee_id
                        )
                    )
                )
                .mappings()
                .all()
            )
        arrival_rows: list[Row] = []
        signature_rows: list[Row] = []
        if contents["has_record_rows"]:
            arrival_rows, signature_rows = await handover_record_rows(self.session, manifest_id)
        people = [_to_returnee(r) for r in rows]
        removals = [_to_removal(r) for r in removal_rows]
        arrivals = [_to_arrival(r) for r in arrival_rows]
        signatures = [_to_signature(r) for r in signature_rows]
        loaded = _Loaded(
            removals={r.returnee_id for r in removals},
            arrivals={a.id for a in arrivals},
            signatures={s.side for s in signatures},
        )
        for person, r in zip(people, rows, strict=True):
            loaded.returnees[person.id] = _returnee_values(person)
            loaded.positions[person.id] = r["position"]
        found = _to_manifest(row, people, removals, arrivals, signatures, others)
        self._loaded[found.id] = loaded
        return self.seen.loaded(found.id, found, row["version"])

    async def next_reference_number(self) -> int:
        number = await self.session.execute(text("SELECT nextval('manifest_reference_seq')"))
        return int(number.scalar_one())

    async def reference_data(self, today: date) -> ReferenceData:
        """Every version of the points and agreements (the domain picks the one in force on the
        arrival date) and the notice rules in force `today` (they concern the submission).
        Read from the tables only after they changed (`puebla.db.reference`)."""
        kept = await _KEPT.get(self.session, self._read_reference)
        return dataclasses.replace(
            kept.every_version,
            notice_rules=tuple(
                rule
                for rule, valid_from, valid_to in kept.rules
                if valid_from <= today and (valid_to is None or valid_to >= today)
            ),
        )

    async def _read_reference(self) -> _KeptReference:
        points = (await self.session.execute(select(reception_point))).mappings().all()
        parties = (await self.session.execute(select(agreement))).mappings().all()
        rules = (await self.session.execute(select(notice_rule))).mappings().all()
        every_version = ReferenceData(
            reception_points=tuple(
                ReceptionPoint(
                    code=p["code"],
                    country=p["country"],
                    name=p["name"],
                    institution=p["institution"],
                    time_zone=p["time_zone"],
                    window=ReceptionWindow(
                        opens=p["window_opens"],
                        closes=p["window_closes"],
                        weekdays=frozenset(p["window_weekdays"]),
                    ),
                    vulnerable_window=ReceptionWindow(
                        opens=p["vulnerable_window_opens"],
                        closes=p["vulnerable_window_closes"],
                        weekdays=frozenset(p["vulnerable_window_weekdays"]),
                    ),
                    valid_from=p["valid_from"],
                    valid_to=p["valid_to"],
                )
                for p in points
            ),
            agreements=tuple(
                Agreement(country=a["country"], valid_from=a["valid_from"], valid_to=a["valid_to"])
                for a in parties
            ),
            notice_rules=(),
        )
        return _KeptReference(
            every_version,
            tuple(
                (
                    NoticeRule(
                        receiving_country=r["receiving_country"],
                        lead_time=timedelta(minutes=r["lead_time_minutes"]),
                    ),
                    r["valid_from"],
                    r["valid_to"],
                )
                for r in rules
            ),
        )

    # -- writing -------------------------------------------------------------------------------

    def add(self, new: Manifest, *, created_by: str) -> None:
        self._new[new.id] = created_by
        self.seen.added(new.id, new)

    async def flush(self) -> None:
        """Writes every new or changed manifest seen by this unit of work."""
        for m in self.seen:
            if m.id in self._new:
                await self._insert(m, self._new.pop(m.id))
            elif m.version != self.seen.version_of(m.id):
                await self._update(m)
            # A signature leaves the version as it was (the record's digest covers it).
            await self._write_record(m, self._loaded[m.id])

    async def _insert(self, m: Manifest, created_by: str) -> None:
        await self.session.execute(
            insert(manifest).values(
                id=m.id,
                reference=m.reference,
                sending_country=m.sending_country,
                receiving_country=m.receiving_country,
                created_by=created_by,
                created_at=m.created_at,
                **_manifest_values(m),
            )
        )
        self.seen.written(m.id, m.version)
        loaded = _Loaded()
        self._loaded[m.id] = loaded
        left = await self._write_returnees(m, loaded)
        assert not left  # a new manifest's people are all inserted: nothing to update

    async def _update(self, m: Manifest) -> None:
        loaded_version = self.seen.version_of(m.id)
        assert loaded_version is not None  # a new manifest is inserted, never updated
        # The versioned UPDATE (`puebla.db.repository.update_versioned`'s rule) on the driver.
        values = _manifest_values(m)
        assert tuple(values) == _MANIFEST_SET  # the statement's parameters, in its order
        changes = await self._write_returnees(m, self._loaded[m.id])
        driver = await driver_connection(self.session)
        if changes:
            # A raise below abandons the unit of work: what was written before rolls back.
            manifests = await driver.fetchval(
                _UPDATE_MANIFEST_AND_RETURNEES,
                m.id,
                loaded_version,
                *values.values(),
                *(list(column) for column in zip(*changes, strict=True)),
            )
            updated = manifests == 1
        else:
            status = await driver.execute(_UPDATE_MANIFEST, m.id, loaded_version, *values.values())
            updated = status == "UPDATE 1"
        if not updated:
            raise ConcurrentChange("The manifest")
        self.seen.written(m.id, m.version)

    async def _write_returnees(self, m: Manifest, loaded: _Loaded) -> list[tuple[Any, ...]]:
        """Deletes and inserts what changed; returns the changed people's rows (id, then
        `_RETURNEE_SET`), for the caller to update with the manifest (`_update`)."""
        # What the object holds (a hand-over's: the people it named) against what was loaded.
        now = {r.id: r for r in m.returnees_held}
        gone = [rid for rid in loaded.returnees if rid not in now]
        if gone:
            await self.session.execute(returnee.delete().where(returnee.c.id.in_(gone)))
            for rid in gone:
                del loaded.returnees[rid]
        next_position = max(loaded.positions.values(), default=-1) + 1
        inserts: list[dict[str, Any]] = []
        changes: list[tuple[Any, ...]] = []
        for person in m.returnees_held:
            values = _returnee_values(person)
            before = loaded.returnees.get(person.id)
            if before is None:
                inserts.append(
                    {"id": person.id, "manifest_id": m.id, "position": next_position, **values}
                )
                loaded.positions[person.id] = next_position
                next_position += 1
            elif before != values:
                assert tuple(values) == _RETURNEE_SET  # the statement's parameters, in order
                changes.append((person.id, *values.values()))
            loaded.returnees[person.id] = values
        if inserts:
            await self.session.execute(insert(returnee), inserts)
        new_removals = [
            _removal_values(m.id, r)
            for r in m.protection_removals
            if r.returnee_id not in loaded.removals
        ]
        if new_removals:
            await self.session.execute(insert(protection_removal), new_removals)
            loaded.removals.update(r["returnee_id"] for r in new_removals)
        return changes

    async def _write_record(self, m: Manifest, loaded: _Loaded) -> None:
        """The hand-over record's additions: people who arrived unlisted, and signatures
        (both are only ever added)."""
        arrivals = [
            _arrival_values(m.id, a) for a in m.unlisted_arrivals if a.id not in loaded.arrivals
        ]
        if arrivals:
            await self.session.execute(insert(unlisted_arrival), arrivals)
            loaded.arrivals.update(a["id"] for a in arrivals)
        signatures = [
            _signature_values(m.id, s) for s in m.signatures if s.side not in loaded.signatures
        ]
        if signatures:
            await self.session.execute(insert(handover_signature), signatures)
            loaded.signatures.update(Side(s["side"]) for s in signatures)
