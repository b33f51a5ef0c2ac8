"""The read side: SQL straight to the read models (`read_models`) the API's schemas mirror.

Each query is a function of the service object (`svc`: it reads through `svc.sessions`) and
the verified caller. Access is decided here too: a single application the caller may not read
is a 404 (its existence does not leak); lists hold only what the caller may read. Money leaves
as two-place decimal strings, built from the `Decimal`s PostgreSQL returns — never a float.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, not_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from puebla.auth.principal import Principal
from puebla.pagination import Cursor, Page, PageRequest
from puebla.refusals import ensure_visible
from puebla.service import Service
from reserve_fund.adapters import orm
from reserve_fund.domain import Budget, Category, Money, Status
from reserve_fund.domain.budget import check_year
from reserve_fund.domain.reports import ReportRow, YearReport, yearly_report
from reserve_fund.service_layer import access
from reserve_fund.service_layer.read_models import (
    ApplicationView,
    ApprovalView,
    BeneficiaryView,
    BudgetFigures,
    ConsentView,
    CostItemView,
    DisbursementView,
    QuestionView,
    RequesterView,
)
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork

# The Fund's service object (`reserve_fund.bootstrap.Fund`, a layer above): what a query reads
# through.
Svc = Service[FundUnitOfWork]

a = orm.application
cc = orm.child_case

# The application names a child case that is blocked for the consulate — or whose block state
# the Fund has not seen yet (treated as blocked). An application naming a case the Fund never
# heard of (filed before the Fund kept cases) is not hidden.
HIDDEN_FROM_NATIONALITY = exists().where(
    cc.c.case_id == a.c.child_case_id, cc.c.blocked_for_consulate.is_not(False)
)


async def access_facts(session: AsyncSession, application_id: UUID) -> access.AccessFacts | None:
    """What decides who may see and act on the application, from the plain row: no lock is
    taken (and nothing else read) for a caller who may not see it."""
    row = (
        await session.execute(
            select(
                a.c.requesting_country,
                a.c.beneficiary_nationality,
                a.c.reviewed_by,
                a.c.reviewer_subject,
                HIDDEN_FROM_NATIONALITY.label("hidden"),
            ).where(a.c.id == application_id)
        )
    ).first()
    if row is None:
        return None
    return access.AccessFacts(
        requesting_country=row.requesting_country,
        nationality=row.beneficiary_nationality,
        hidden_from_nationality=bool(row.hidden),
        reviewed_by=row.reviewed_by,
        reviewer_subject=row.reviewer_subject,
    )


def usd(value: Decimal | Money) -> str:
    return str(value if isinstance(value, Money) else Money.of(value))


# -- applications ------------------------------------------------------------------------------


async def application(svc: Svc, caller: Principal, application_id: UUID) -> ApplicationView:
    async with svc.sessions() as session:
        row = (
            (
                await session.execute(
                    select(a, HIDDEN_FROM_NATIONALITY.label("hidden")).where(
                        a.c.id == application_id
                    )
                )
            )
            .mappings()
            .first()
        )
        ensure_visible(
            row is not None
            and access.can_read(
                caller,
                requesting_country=row["requesting_country"],
                nationality=row["beneficiary_nationality"],
                hidden_from_nationality=bool(row["hidden"]),
            ),
            access.APPLICATION,
        )
        assert row is not None
        return (await _with_children(session, [row]))[0]


async def ensure_readable(svc: Svc, caller: Principal, application_id: UUID) -> access.AccessFacts:
    """404 unless the application exists and the caller may read it; its access facts."""
    async with svc.sessions() as session:
        facts = await access_facts(session, application_id)
    return access.ensure_readable(caller, facts)


async def applications(
    svc: Svc, caller: Principal, page: PageRequest, *, status: str | None = None
) -> Page[ApplicationView]:
    scope = access.read_scope(caller)
    if scope.nothing:
        return Page(items=[], next_cursor=None)
    conditions: list[ColumnElement[bool]] = []
    if not scope.everything:
        visible: list[ColumnElement[bool]] = []
        if scope.requesting_country is not None:
            visible.append(a.c.requesting_country == scope.requesting_country)
        if scope.nationality is not None:
            visible.append(a.c.beneficiary_nationality == scope.nationality)
        conditions.append(or_(*visible))
        if caller.country is not None:
            # The protection exception: nothing linked to a blocked child case is listed
            # to the child's own state.
            conditions.append(
                not_(and_(a.c.beneficiary_nationality == caller.country, HIDDEN_FROM_NATIONALITY))
            )
    if status is not None:
        conditions.append(a.c.status == status)
    if page.cursor is not None:
        conditions.append(
            tuple_(a.c.created_at, a.c.id) < tuple_(page.cursor.after, page.cursor.after_id)
        )
    query = (
        select(a)
        .where(and_(*conditions))
        .order_by(a.c.created_at.desc(), a.c.id.desc())
        .limit(page.limit + 1)
    )
    async with svc.sessions() as session:
        rows = list((await session.execute(query)).mappings().all())
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        items = await _with_children(session, rows)
    next_cursor = Cursor(rows[-1]["created_at"], rows[-1]["id"]).encode() if more and rows else None
    return Page(items=items, next_cursor=next_cursor)


# -- budget and reports ----------------------------------------------------------------------


async def budget(svc: Svc, caller: Principal, year: int) -> BudgetFigures:
    access.ensure_report_reader(caller)
    check_year(year)
    async with svc.sessions() as session:
        found = await _budget(session, year)
    return BudgetFigures(
        year=found.year,
        allocated=usd(found.allocated),
        reserved=usd(found.reserved),
        disbursed=usd(found.disbursed),
        available=usd(found.available),
        version=found.version,
    )


async def report(svc: Svc, caller: Principal, year: int) -> YearReport:
    """Aggregates only: the rows read here carry no names and no dates of birth."""
    access.ensure_report_reader(caller)
    check_year(year)
    d = orm.application_disbursement
    async with svc.sessions() as session:
        found = await _budget(session, year)
        rows = (
            await session.execute(
                select(
                    a.c.id,
                    a.c.beneficiary_nationality,
                    a.c.requesting_country,
                    a.c.categories,
                    a.c.status,
                    a.c.approved_total,
                ).where(a.c.budget_year == year)
            )
        ).all()
        paid: dict[UUID, Decimal] = defaultdict(Decimal)
        for app_id, amount in (
            await session.execute(
                select(d.c.application_id, d.c.amount)
                .join(a, a.c.id == d.c.application_id)
                .where(a.c.budget_year == year)
            )
        ).all():
            paid[app_id] += amount
    return yearly_report(
        found,
        (
            ReportRow(
                nationality=row.beneficiary_nationality,
                requesting_country=row.requesting_country,
                categories=frozenset(Category(c) for c in row.categories),
                status=Status(row.status),
                approved=Money.of(row.approved_total),
                disbursed=Money.of(paid[row.id]),
            )
            for row in rows
        ),
    )


async def _budget(session: AsyncSession, year: int) -> Budget:
    row = (
        await session.execute(
            select(
                orm.budget.c.allocated,
                orm.budget.c.reserved,
                orm.budget.c.disbursed,
                orm.budget.c.version,
            ).where(orm.budget.c.year == year)
        )
    ).first()
    if row is None:
        return Budget(year=year)
    return Budget(
        year=year,
        allocated=Money.of(row.allocated),
        reserved=Money.of(row.reserved),
        disbursed=Money.of(row.disbursed),
        version=row.version,
    )


async def _with_children(session: AsyncSession, rows: list[Any]) -> list[ApplicationView]:
    """The read model of each row, with items, approvals, disbursements and questions loaded
    in one query per kind for the whole page."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    items: dict[UUID, list[CostItemView]] = defaultdict(list)
    it = orm.application_item
    for r in (
        await session.execute(
            select(it.c.application_id, it.c.kind, it.c.amount)
            .where(it.c.application_id.in_(ids))
            .order_by(it.c.application_id, it.c.position)
        )
    ).all():
        items[r.application_id].append(CostItemView(kind=r.kind, amount=usd(r.amount)))
    approvals: dict[UUID, list[ApprovalView]] = defaultdict(list)
    ap = orm.application_approval
    for ra in (
        await session.execute(
            select(ap.c.application_id, ap.c.approver, ap.c.at, ap.c.note)
            .where(ap.c.application_id.in_(ids))
            .order_by(ap.c.application_id, ap.c.at, ap.c.id)
        )
    ).all():
        approvals[ra.application_id].append(ApprovalView(by=ra.approver, at=ra.at, note=ra.note))
    disbursements: dict[UUID, list[DisbursementView]] = defaultdict(list)
    paid: dict[UUID, Decimal] = defaultdict(Decimal)
    d = orm.application_disbursement
    for rd in (
        await session.execute(
            select(d.c.application_id, d.c.amount, d.c.purpose, d.c.recorded_by, d.c.at)
            .where(d.c.application_id.in_(ids))
            .order_by(d.c.application_id, d.c.position)
        )
    ).all():
        paid[rd.application_id] += rd.amount
        disbursements[rd.application_id].append(
            DisbursementView(amount=usd(rd.amount), purpose=rd.purpose, by=rd.recorded_by, at=rd.at)
        )
    questions: dict[UUID, list[QuestionView]] = defaultdict(list)
    q = orm.information_request
    question_rows = await session.execute(
        select(q).where(q.c.application_id.in_(ids)).order_by(q.c.application_id, q.c.position)
    )
    for m in question_rows.mappings().all():
        questions[m["application_id"]].append(
            QuestionView(
                question=m["question"],
                asked_by=m["asked_by"],
                asked_at=m["asked_at"],
                answer=m["answer"],
                answered_by=m["answered_by"],
                answered_at=m["answered_at"],
            )
        )
    out = []
    for row in rows:
        app_id = row["id"]
        approved = Money.of(row["approved_total"])
        disbursed = Money.of(paid[app_id])
        released = Money.of(row["released_total"])
        out.append(
            ApplicationView(
                id=app_id,
                reference=row["reference"],
                status=row["status"],
                version=row["version"],
                requesting_country=row["requesting_country"],
                requested_by=RequesterView(
                    username=row["requested_by"],
                    country=row["requesting_country"],
                    role=row["requested_by_role"],
                ),
                beneficiary=BeneficiaryView(
                    given_names=row["beneficiary_given_names"],
                    surnames=row["beneficiary_surnames"],
                    sex=row["beneficiary_sex"],
                    date_of_birth=row["beneficiary_date_of_birth"],
                    nationality=row["beneficiary_nationality"],
                ),
                current_country=row["current_country"],
                categories=sorted(row["categories"]),
                voluntary_consent=ConsentView(
                    given=row["consent_given"],
                    given_by=row["consent_given_by"],
                    recorded_at=row["consent_recorded_at"],
                ),
                items=items[app_id],
                justification=row["justification"],
                child_case_id=row["child_case_id"],
                requested_total=usd(row["requested_total"]),
                approvals_needed=row["approvals_needed"],
                approvals=approvals[app_id],
                approved_total=usd(approved),
                disbursed_total=usd(disbursed),
                released_total=usd(released),
                reserved=usd(approved - disbursed - released),
                budget_year=row["budget_year"],
                reviewed_by=row["reviewed_by"],
                recommendation=row["recommendation"],
                review_note=row["review_note"],
                reviewed_at=row["reviewed_at"],
                disbursements=disbursements[app_id],
                information_requests=questions[app_id],
                rejection_reason=row["rejection_reason"],
                cancellation_reason=row["cancellation_reason"],
                created_at=row["created_at"],
                submitted_at=row["submitted_at"],
                updated_at=row["updated_at"],
            )
        )
    return out
