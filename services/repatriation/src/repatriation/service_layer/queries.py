"""The read side: SQL → read models (`views`) shaped like the API's read schemas (no aggregate
loaded). Every query takes the service object (`svc`: it reads through `svc.sessions`, and
"today" is `svc.clock`'s) — routers never hold a session.

Every query takes the caller's `Principal` too and applies the same read rule as the write side
(`access.can_read`): a manifest the caller may not read is "not found", and lists only ever
contain readable manifests. People taken off for a protection need are not in `returnee`, so
no read of the receiving side can show or count them; the sending officer's manifest read
lists them apart, with the kind and note (`protection_removals`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, cast, func, or_, select, text, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.auth.principal import Principal
from puebla.pagination import Cursor, Page, PageRequest
from puebla.service import Service
from repatriation.adapters.orm import manifest, protection_removal, reception_point, returnee
from repatriation.adapters.repository import Scope, SqlManifestRepository, handover_record_rows
from repatriation.domain.returnee import SENIOR_AGE, age_on
from repatriation.service_layer import access
from repatriation.service_layer.errors import UnknownManifest
from repatriation.service_layer.views import (
    NOBODY,
    DocumentView,
    HandoverEntryView,
    HandoverRecordView,
    HandoverSignatureView,
    HandoverTotalsView,
    LogEntryView,
    ManifestSummaryView,
    ManifestView,
    ObjectionView,
    PeopleCounts,
    ProtectionRemovalView,
    ReceptionPointView,
    ReturneeView,
    VehicleView,
    VulnerabilitiesView,
    WindowView,
)

# The service object (`repatriation.bootstrap.Repatriation`, which this layer may not import).
Svc = Service[Any]


@dataclass(frozen=True)
class ManifestFilters:
    """What `GET /v1/manifests` narrows by. `arrival_from`/`arrival_to` are days (inclusive)
    of the scheduled arrival as the reception point's clock shows it: a bus arriving at 23:30
    in Tecún Umán on the 1st (05:30 UTC on the 2nd) is a bus of the 1st for both countries."""

    status: str | None = None
    receiving_country: str | None = None
    reception_point: str | None = None
    arrival_from: date | None = None
    arrival_to: date | None = None


def _arrival_date(m: RowMapping) -> date:
    arrival = m["scheduled_arrival"].astimezone(ZoneInfo(m["reception_time_zone"]))
    return arrival.date()  # type: ignore[no-any-return]


def _vulnerable(r: RowMapping, arrival: date) -> bool:
    """Any flag, or aged 60 or over on the arrival date at the point (as the domain rules)."""
    flags = r["pregnant"] or r["disability"] or r["illness_or_injury"]
    return bool(
        flags or r["trafficking_indicator"] or age_on(r["date_of_birth"], arrival) >= SENIOR_AGE
    )


def _listed(m: RowMapping, rows: Sequence[RowMapping]) -> list[tuple[RowMapping, bool]]:
    """Returnees with their vulnerability, vulnerable people first, else in the order added
    (the order of the manifest and of the hand-over record)."""
    arrival = _arrival_date(m)
    marked = [(r, _vulnerable(r, arrival)) for r in sorted(rows, key=lambda r: r["position"])]
    return sorted(marked, key=lambda pair: not pair[1])


def _returnee_view(r: RowMapping, vulnerable: bool) -> ReturneeView:
    return ReturneeView(
        id=r["id"],
        given_names=r["given_names"],
        surnames=r["surnames"],
        sex=r["sex"],
        date_of_birth=r["date_of_birth"],
        nationality=r["nationality"],
        place_of_origin=r["place_of_origin"],
        document=(
            DocumentView(type=r["document_type"], number=r["document_number"])
            if r["document_type"] is not None
            else None
        ),
        family_group=r["family_group"],
        vulnerabilities=VulnerabilitiesView(
            pregnant=r["pregnant"],
            disability=r["disability"],
            illness_or_injury=r["illness_or_injury"],
            trafficking_indicator=r["trafficking_indicator"],
        ),
        protection_need=False,
        age_disputed=r["age_disputed"],
        vulnerable=vulnerable,
        nationality_status=r["nationality_status"],
        nationality_rejection_reason=r["nationality_rejection_reason"],
        handover_outcome=r["handover_outcome"],
        handover_reason=r["handover_reason"],
    )


def _vehicle(m: RowMapping) -> VehicleView:
    return VehicleView(plate=m["vehicle_plate"], seats=m["vehicle_seats"])


def _manifest_fields(m: RowMapping) -> dict[str, Any]:
    """The keyword arguments of a `ManifestFieldsView` (and its two extensions)."""
    return {
        "id": m["id"],
        "reference": m["reference"],
        "sending_country": m["sending_country"],
        "receiving_country": m["receiving_country"],
        "reception_point": m["reception_point"],
        "scheduled_departure": m["scheduled_departure"],
        "scheduled_arrival": m["scheduled_arrival"],
        "vehicle": _vehicle(m),
        "status": m["status"],
        "version": m["version"],
        "late_notice": m["late_notice"],
        "late_notice_reason": m["late_notice_reason"],
        "cancellation_reason": m["cancellation_reason"],
        "created_by": m["created_by"],
        "created_at": m["created_at"],
        "submitted_at": m["submitted_at"],
        "dispatched_at": m["dispatched_at"],
        "arrived_at": m["arrived_at"],
        "closed_at": m["closed_at"],
        "cancelled_at": m["cancelled_at"],
    }


async def _readable_row(session: AsyncSession, p: Principal, manifest_id: uuid.UUID) -> RowMapping:
    row = (
        (await session.execute(select(manifest).where(manifest.c.id == manifest_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise UnknownManifest(manifest_id)
    access.ensure_readable(p, _scope(row))
    return row


def _scope(row: RowMapping) -> access.Scope:
    return access.Scope(
        row["sending_country"],
        row["receiving_country"],
        row["reception_point"],
        row["submitted_at"],
    )


async def _protection_removals(
    session: AsyncSession, p: Principal, m: RowMapping
) -> tuple[ProtectionRemovalView, ...] | None:
    """The people taken off for a protection need, for the sending officer; None (not shown)
    for everyone else."""
    if not access.sees_protection_removals(p, _scope(m)):
        return None
    pr = protection_removal.c
    rows = (
        await session.execute(
            select(protection_removal)
            .where(pr.manifest_id == m["id"])
            .order_by(pr.recorded_at, pr.returnee_id)
        )
    ).mappings()
    return tuple(
        ProtectionRemovalView(
            returnee_id=r["returnee_id"],
            given_names=r["given_names"],
            surnames=r["surnames"],
            sex=r["sex"],
            date_of_birth=r["date_of_birth"],
            nationality=r["nationality"],
            family_group=r["family_group"],
            kind=r["kind"],
            note=r["note"],
            family_of=r["family_of"],
            recorded_by=r["recorded_by"],
            recorded_at=r["recorded_at"],
        )
        for r in rows
    )


# What `ensure_may_act` read and decided on; a route hands it to its unit of work
# (`Repatriation.uow(scopes_read=...)`). Named here: routers never import the repository.
DecidedScope: TypeAlias = Scope


async def ensure_may_act(
    svc: Svc,
    p: Principal,
    manifest_id: uuid.UUID,
    decide: Callable[[Principal, access.Scoped], None],
) -> DecidedScope:
    """For routes, before anything else of the request is looked at (its body included): may
    the caller see this manifest (else 404), and take this action on it (else 403)? Decided on
    the plain row — no lock taken (the repository's scope read: one statement, on the driver).
    Returns the scope read, which the route may hand to its unit of work (`scopes_read`)."""
    async with svc.sessions() as session:
        scope = await SqlManifestRepository(session).scope(manifest_id, alone=True)
    if scope is None:
        raise UnknownManifest(manifest_id)
    decide(p, scope)
    return scope


async def still_sees(
    svc: Svc,
    p: Principal,
    manifest_id: uuid.UUID,
    returnee_ids: Collection[uuid.UUID] = (),
) -> bool:
    """Whether the caller may still see the manifest and each of these returnees — for a
    replayed answer. A person taken off for a protection need exists for the sending officer
    alone."""
    async with svc.sessions() as session:
        row = (
            (await session.execute(select(manifest).where(manifest.c.id == manifest_id)))
            .mappings()
            .first()
        )
        if row is None or not access.can_read(p, _scope(row)):
            return False
        if not returnee_ids or access.sees_protection_removals(p, _scope(row)):
            return True
        protected = await session.execute(
            select(func.count())
            .select_from(protection_removal)
            .where(
                protection_removal.c.manifest_id == manifest_id,
                protection_removal.c.returnee_id.in_(list(returnee_ids)),
            )
        )
        return int(protected.scalar_one()) == 0


async def _returnee_rows(session: AsyncSession, ids: list[uuid.UUID]) -> list[RowMapping]:
    if not ids:
        return []
    result = await session.execute(select(returnee).where(returnee.c.manifest_id.in_(ids)))
    return list(result.mappings().all())


async def _people_counts(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, PeopleCounts]:
    if not ids:
        return {}
    r = returnee.c
    result = await session.execute(
        select(
            r.manifest_id,
            func.count().label("total"),
            func.count().filter(r.nationality_status == "confirmed").label("nationality_confirmed"),
            func.count().filter(r.nationality_status == "rejected").label("nationality_rejected"),
            func.count(r.handover_outcome).label("handed_over"),
        )
        .where(r.manifest_id.in_(ids))
        .group_by(r.manifest_id)
    )
    return {
        row["manifest_id"]: PeopleCounts(
            total=int(row["total"]),
            nationality_confirmed=int(row["nationality_confirmed"]),
            nationality_rejected=int(row["nationality_rejected"]),
            handed_over=int(row["handed_over"]),
        )
        for row in result.mappings()
    }


async def get_manifest(svc: Svc, p: Principal, manifest_id: uuid.UUID) -> ManifestView:
    async with svc.sessions() as session, session.begin():
        # One snapshot for the manifest and its returnees.
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        row = await _readable_row(session, p, manifest_id)
        rows = await _returnee_rows(session, [manifest_id])
        return ManifestView(
            **_manifest_fields(row),
            returnees=tuple(_returnee_view(r, v) for r, v in _listed(row, rows)),
            protection_removals=await _protection_removals(session, p, row),
        )


async def list_manifests(
    svc: Svc, p: Principal, page: PageRequest, filters: ManifestFilters
) -> Page[ManifestSummaryView]:
    """Newest first, keyset-paginated over (created_at, id); only readable manifests."""
    t = manifest.c
    query = select(manifest).where(access.visible_clause(p))
    if filters.status is not None:
        query = query.where(t.status == filters.status)
    if filters.receiving_country is not None:
        query = query.where(t.receiving_country == filters.receiving_country)
    if filters.reception_point is not None:
        query = query.where(t.reception_point == filters.reception_point)
    if filters.arrival_from is not None or filters.arrival_to is not None:
        # The arrival's day on the point's own clock (each manifest keeps its point's zone).
        arrival_day = cast(func.timezone(t.reception_time_zone, t.scheduled_arrival), Date)
        if filters.arrival_from is not None:
            query = query.where(arrival_day >= filters.arrival_from)
        if filters.arrival_to is not None:
            query = query.where(arrival_day <= filters.arrival_to)
    if page.cursor is not None:
        query = query.where(
            tuple_(t.created_at, t.id) < tuple_(page.cursor.after, page.cursor.after_id)
        )
    query = query.order_by(t.created_at.desc(), t.id.desc()).limit(page.limit + 1)
    async with svc.sessions() as session, session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        rows = list((await session.execute(query)).mappings().all())
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        counts = await _people_counts(session, [r["id"] for r in rows])
    # A list item is the manifest without its people (a page of 50 full manifests of 200
    # people each was 5 MB); GET /v1/manifests/{id} has them.
    items = [
        ManifestSummaryView(**_manifest_fields(r), people=counts.get(r["id"], NOBODY)) for r in rows
    ]
    cursor = Cursor(rows[-1]["created_at"], rows[-1]["id"]).encode() if more and rows else None
    return Page(items, cursor)


async def handover_record(svc: Svc, p: Principal, manifest_id: uuid.UUID) -> HandoverRecordView:
    """The acta de entrega: every person with outcome, reason, officer, time and post (those
    who arrived unlisted too), the totals, and the signatures beside them — the same document
    whichever side reads it."""
    async with svc.sessions() as session, session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return await handover_record_in(session, p, manifest_id)


SIGNED_ACTION = "manifest.handover_record_signed"  # `audit_action` of `HandoverRecordSigned`


async def handover_record_in(
    session: AsyncSession, p: Principal, manifest_id: uuid.UUID
) -> HandoverRecordView:
    """`handover_record` read in the caller's transaction (the signing handler reads it under
    the manifest's lock, so the digest it checks is of the record as it stands)."""
    m = await _readable_row(session, p, manifest_id)
    rows = await _returnee_rows(session, [manifest_id])
    point = (
        (
            await session.execute(
                select(reception_point.c.name, reception_point.c.institution)
                .where(
                    and_(
                        reception_point.c.code == m["reception_point"],
                        reception_point.c.valid_from <= _arrival_date(m),
                        or_(
                            reception_point.c.valid_to.is_(None),
                            reception_point.c.valid_to >= _arrival_date(m),
                        ),
                    )
                )
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    arrivals, signatures = await handover_record_rows(session, manifest_id)
    logged = (
        (
            await session.execute(
                text(
                    "SELECT seq, hash, detail->>'side' AS side FROM audit"
                    " WHERE entity_type = 'manifest' AND entity_id = :id AND action = :action"
                    " ORDER BY seq"
                ),
                {"id": str(manifest_id), "action": SIGNED_ACTION},
            )
        )
        .mappings()
        .all()
        if signatures
        else []
    )
    entries = tuple(
        HandoverEntryView(
            returnee_id=r["id"],
            given_names=r["given_names"],
            surnames=r["surnames"],
            sex=r["sex"],
            date_of_birth=r["date_of_birth"],
            nationality=r["nationality"],
            family_group=r["family_group"],
            vulnerable=vulnerable,
            outcome=r["handover_outcome"],
            reason=r["handover_reason"],
            officer=r["handover_officer"],
            post=r["handover_post"],
            recorded_at=r["handed_over_at"],  # the post's time
            stored_at=r["handover_stored_at"],
        )
        for r, vulnerable in _listed(m, rows)
    ) + tuple(
        HandoverEntryView(
            returnee_id=a["id"],
            given_names=a["given_names"],
            surnames=a["surnames"],
            sex=a["sex"],
            date_of_birth=a["date_of_birth"],
            nationality=a["nationality"],
            family_group=None,
            vulnerable=False,  # nobody assessed them: the sending side never listed them
            outcome="arrived_not_listed",
            reason=None,
            officer=a["officer"],
            post=a["post"],
            recorded_at=a["recorded_at"],
            stored_at=a["stored_at"],
            listed=False,
        )
        for a in arrivals
    )
    outcomes = [e.outcome for e in entries]
    return HandoverRecordView(
        manifest_id=m["id"],
        reference=m["reference"],
        sending_country=m["sending_country"],
        receiving_country=m["receiving_country"],
        reception_point=m["reception_point"],
        reception_point_name=point["name"] if point else None,
        reception_time_zone=m["reception_time_zone"],
        receiving_institution=point["institution"] if point else None,
        vehicle=_vehicle(m),
        status=m["status"],
        version=m["version"],
        scheduled_arrival=m["scheduled_arrival"],
        dispatched_at=m["dispatched_at"],
        arrived_at=m["arrived_at"],
        closed_at=m["closed_at"],
        entries=entries,
        totals=HandoverTotalsView(
            received=outcomes.count("received"),
            not_presented=outcomes.count("not_presented"),
            refused=outcomes.count("refused"),
            pending=outcomes.count(None),
            arrived_not_listed=outcomes.count("arrived_not_listed"),
            total=len(outcomes),
        ),
        signatures=tuple(
            HandoverSignatureView(
                side=g["side"],
                country=g["country"],
                officer=g["officer"],
                signed_at=g["signed_at"],
                digest=g["digest"],
                objections=tuple(
                    ObjectionView(returnee_id=uuid.UUID(o["returnee_id"]), reason=o["reason"])
                    for o in g["objections"]
                ),
            )
            for g in signatures
        ),
        log_entries=tuple(
            LogEntryView(side=e["side"], seq=e["seq"], commitment=e["hash"]) for e in logged
        ),
    )


async def reception_points(svc: Svc, *, country: str | None = None) -> list[ReceptionPointView]:
    """The directory: the points in service today (the service's clock), by country and code."""
    on = svc.clock().date()
    rp = reception_point.c
    query = select(reception_point).where(
        rp.valid_from <= on, or_(rp.valid_to.is_(None), rp.valid_to >= on)
    )
    if country is not None:
        query = query.where(rp.country == country)
    async with svc.sessions() as session:
        rows = (await session.execute(query.order_by(rp.country, rp.code))).mappings().all()
    return [
        ReceptionPointView(
            code=r["code"],
            country=r["country"],
            name=r["name"],
            institution=r["institution"],
            time_zone=r["time_zone"],
            window=WindowView(
                opens=r["window_opens"],
                closes=r["window_closes"],
                weekdays=tuple(sorted(r["window_weekdays"])),
            ),
            vulnerable_window=WindowView(
                opens=r["vulnerable_window_opens"],
                closes=r["vulnerable_window_closes"],
                weekdays=tuple(sorted(r["vulnerable_window_weekdays"])),
            ),
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
        )
        for r in rows
    ]
