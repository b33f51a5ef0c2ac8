"""Rows ↔ domain objects for applications, budgets and the reference rules.

Explicit mapping (no ORM instrumentation): the aggregates stay plain dataclasses.

Locking, as `reserve_fund.domain.fund` asks: handlers load an application with
`get_for_update` (``SELECT … FOR NO KEY UPDATE``: writers of the row queue behind it, while
foreign-key checks of rows inserted into its child tables do not) and then, if money may move,
the year's budget with `budgets.get_for_update(year)` (``FOR UPDATE``) — always in that order,
application then budget, so two transactions never wait on each other in a cycle. Writes happen
in `flush()`, called by the unit of work right before it commits; every UPDATE also checks the
version it loaded (`puebla.db.repository.update_versioned`, `ConcurrentChange` otherwise: a
backstop, under the row lock it always matches).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.db.repository import update_versioned
from reserve_fund.adapters import orm
from reserve_fund.domain import (
    ApprovalRule,
    Authority,
    AuthorityRole,
    Beneficiary,
    Budget,
    CapRule,
    Category,
    ChildCase,
    Consent,
    ConsentGiver,
    CostItem,
    CostKind,
    FundApplication,
    FundRules,
    Money,
    Recommendation,
    Sex,
    Status,
)
from reserve_fund.domain.model import Approval, Disbursement, InformationRequest


@dataclass
class _Loaded:
    """What was in the database when the aggregate was loaded (to write only the changes)."""

    version: int
    items: tuple[CostItem, ...]
    approvals: tuple[Approval, ...]
    disbursements: int
    information_requests: tuple[InformationRequest, ...]


class SqlApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: list[FundApplication] = []
        self._loaded: dict[uuid.UUID, _Loaded] = {}

    async def next_reference_number(self) -> int:
        value: int = await self.session.scalar(select(orm.reference_seq.next_value())) or 0
        return value

    def add(self, application: FundApplication) -> None:
        self.seen.append(application)

    async def get_for_update(self, application_id: uuid.UUID) -> FundApplication | None:
        row = (
            (
                await self.session.execute(
                    select(orm.application)
                    .where(orm.application.c.id == application_id)
                    .with_for_update(key_share=True)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        application = await self._build(row)
        self._loaded[application.id] = _Loaded(
            version=application.version,
            items=application.items,
            approvals=tuple(application.approvals),
            disbursements=len(application.disbursements),
            information_requests=tuple(application.information_requests),
        )
        self.seen.append(application)
        return application

    async def _build(self, row: Any) -> FundApplication:
        app_id = row["id"]
        items = (
            await self.session.execute(
                select(orm.application_item.c.kind, orm.application_item.c.amount)
                .where(orm.application_item.c.application_id == app_id)
                .order_by(orm.application_item.c.position)
            )
        ).all()
        approvals = (
            await self.session.execute(
                select(
                    orm.application_approval.c.approver,
                    orm.application_approval.c.at,
                    orm.application_approval.c.note,
                    orm.application_approval.c.approver_subject,
                )
                .where(orm.application_approval.c.application_id == app_id)
                .order_by(orm.application_approval.c.at, orm.application_approval.c.id)
            )
        ).all()
        disbursements = (
            await self.session.execute(
                select(
                    orm.application_disbursement.c.amount,
                    orm.application_disbursement.c.purpose,
                    orm.application_disbursement.c.recorded_by,
                    orm.application_disbursement.c.at,
                )
                .where(orm.application_disbursement.c.application_id == app_id)
                .order_by(orm.application_disbursement.c.position)
            )
        ).all()
        questions = (
            (
                await self.session.execute(
                    select(orm.information_request)
                    .where(orm.information_request.c.application_id == app_id)
                    .order_by(orm.information_request.c.position)
                )
            )
            .mappings()
            .all()
        )
        return FundApplication(
            id=app_id,
            reference=row["reference"],
            requested_by=Authority(
                username=row["requested_by"],
                country=row["requesting_country"],
                role=AuthorityRole(row["requested_by_role"]),
            ),
            beneficiary=Beneficiary(
                given_names=row["beneficiary_given_names"],
                surnames=row["beneficiary_surnames"],
                sex=Sex(row["beneficiary_sex"]),
                date_of_birth=row["beneficiary_date_of_birth"],
                nationality=row["beneficiary_nationality"],
                # Screened at filing: an application with a protection need is never stored.
                protection_need=False,
            ),
            current_country=row["current_country"],
            categories=frozenset(Category(c) for c in row["categories"]),
            voluntary_consent=Consent(
                given=row["consent_given"],
                given_by=ConsentGiver(row["consent_given_by"]),
                recorded_at=row["consent_recorded_at"],
            ),
            items=tuple(CostItem(CostKind(kind), Money.of(amount)) for kind, amount in items),
            justification=row["justification"],
            created_at=row["created_at"],
            child_case_id=row["child_case_id"],
            status=Status(row["status"]),
            submitted_at=row["submitted_at"],
            reviewed_by=row["reviewed_by"],
            reviewer_subject=row["reviewer_subject"],
            recommendation=(
                Recommendation(row["recommendation"]) if row["recommendation"] else None
            ),
            review_note=row["review_note"],
            reviewed_at=row["reviewed_at"],
            approvals=[
                Approval(by=by, at=at, note=note, subject=subject)
                for by, at, note, subject in approvals
            ],
            approvals_needed=row["approvals_needed"],
            approved_total=Money.of(row["approved_total"]),
            budget_year=row["budget_year"],
            disbursements=[
                Disbursement(amount=Money.of(amount), purpose=purpose, by=by, at=at)
                for amount, purpose, by, at in disbursements
            ],
            released_total=Money.of(row["released_total"]),
            information_requests=[
                InformationRequest(
                    question=q["question"],
                    asked_by=q["asked_by"],
                    asked_at=q["asked_at"],
                    answer=q["answer"],
                    answered_by=q["answered_by"],
                    answered_at=q["answered_at"],
                )
                for q in questions
            ],
            rejection_reason=row["rejection_reason"],
            cancellation_reason=row["cancellation_reason"],
            version=row["version"],
            events=[],
        )

    # -- writing -------------------------------------------------------------------------------

    async def flush(self, now: datetime) -> None:
        for application in self.seen:
            loaded = self._loaded.get(application.id)
            if loaded is None:
                await self._insert(application, now)
            elif application.version != loaded.version:
                await self._update(application, loaded, now)

    def _columns(self, application: FundApplication, now: datetime) -> dict[str, Any]:
        b = application.beneficiary
        consent = application.voluntary_consent
        return {
            "status": application.status.value,
            "version": application.version,
            "requested_by": application.requested_by.username,
            "requesting_country": application.requested_by.country,
            "requested_by_role": application.requested_by.role.value,
            "beneficiary_given_names": b.given_names,
            "beneficiary_surnames": b.surnames,
            "beneficiary_sex": b.sex.value,
            "beneficiary_date_of_birth": b.date_of_birth,
            "beneficiary_nationality": b.nationality,
            "current_country": application.current_country,
            "categories": sorted(c.value for c in application.categories),
            "consent_given": consent.given,
            "consent_given_by": consent.given_by.value,
            "consent_recorded_at": consent.recorded_at,
            "justification": application.justification,
            "child_case_id": application.child_case_id,
            "created_at": application.created_at,
            "submitted_at": application.submitted_at,
            "reviewed_by": application.reviewed_by,
            "reviewer_subject": application.reviewer_subject,
            "recommendation": (
                application.recommendation.value if application.recommendation else None
            ),
            "review_note": application.review_note,
            "reviewed_at": application.reviewed_at,
            "approvals_needed": application.approvals_needed,
            "requested_total": application.requested_total.amount,
            "approved_total": application.approved_total.amount,
            "released_total": application.released_total.amount,
            "budget_year": application.budget_year,
            "rejection_reason": application.rejection_reason,
            "cancellation_reason": application.cancellation_reason,
            "updated_at": now,
        }

    async def _insert(self, application: FundApplication, now: datetime) -> None:
        await self.session.execute(
            insert(orm.application).values(
                id=application.id,
                reference=application.reference,
                **self._columns(application, now),
            )
        )
        await self._write_items(application)
        await self._insert_approvals(application, application.approvals)
        await self._insert_disbursements(application, 0)
        await self._write_questions(application)

    async def _update(self, application: FundApplication, loaded: _Loaded, now: datetime) -> None:
        await update_versioned(
            self.session,
            orm.application,
            {"id": application.id},
            loaded_version=loaded.version,
            values=self._columns(application, now),
            what="The application",
        )
        if application.items != loaded.items:
            await self.session.execute(
                delete(orm.application_item).where(
                    orm.application_item.c.application_id == application.id
                )
            )
            await self._write_items(application)
        approvals = tuple(application.approvals)
        if approvals[: len(loaded.approvals)] == loaded.approvals:
            await self._insert_approvals(application, approvals[len(loaded.approvals) :])
        else:  # withdrawn (information requested): the new round starts from what is left
            await self.session.execute(
                delete(orm.application_approval).where(
                    orm.application_approval.c.application_id == application.id
                )
            )
            await self._insert_approvals(application, approvals)
        await self._insert_disbursements(application, loaded.disbursements)
        if tuple(application.information_requests) != loaded.information_requests:
            await self.session.execute(
                delete(orm.information_request).where(
                    orm.information_request.c.application_id == application.id
                )
            )
            await self._write_questions(application)

    async def _write_items(self, application: FundApplication) -> None:
        await self.session.execute(
            insert(orm.application_item),
            [
                {
                    "application_id": application.id,
                    "position": position,
                    "kind": item.kind.value,
                    "amount": item.amount.amount,
                }
                for position, item in enumerate(application.items)
            ],
        )

    async def _insert_approvals(
        self, application: FundApplication, approvals: tuple[Approval, ...] | list[Approval]
    ) -> None:
        if not approvals:
            return
        await self.session.execute(
            insert(orm.application_approval),
            [
                {
                    "application_id": application.id,
                    "approver": approval.by,
                    "approver_subject": approval.subject,
                    "at": approval.at,
                    "note": approval.note,
                }
                for approval in approvals
            ],
        )

    async def _insert_disbursements(self, application: FundApplication, already: int) -> None:
        new = application.disbursements[already:]
        if not new:
            return
        await self.session.execute(
            insert(orm.application_disbursement),
            [
                {
                    "application_id": application.id,
                    "position": already + offset,
                    "amount": d.amount.amount,
                    "purpose": d.purpose,
                    "recorded_by": d.by,
                    "at": d.at,
                }
                for offset, d in enumerate(new)
            ],
        )

    async def _write_questions(self, application: FundApplication) -> None:
        if not application.information_requests:
            return
        await self.session.execute(
            insert(orm.information_request),
            [
                {
                    "application_id": application.id,
                    "position": position,
                    "question": q.question,
                    "asked_by": q.asked_by,
                    "asked_at": q.asked_at,
                    "answer": q.answer,
                    "answered_by": q.answered_by,
                    "answered_at": q.answered_at,
                }
                for position, q in enumerate(application.information_requests)
            ],
        )


class SqlBudgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: list[Budget] = []
        self._loaded: dict[int, int] = {}

    async def get_for_update(self, year: int) -> Budget:
        """The year's budget, row-locked until the transaction ends. A year nobody has set yet
        gets its row now (allocated 0), so that there is a row to lock."""
        await self.session.execute(
            text("INSERT INTO budget (year) VALUES (:y) ON CONFLICT (year) DO NOTHING"),
            {"y": year},
        )
        row = (
            await self.session.execute(
                select(
                    orm.budget.c.allocated,
                    orm.budget.c.reserved,
                    orm.budget.c.disbursed,
                    orm.budget.c.version,
                )
                .where(orm.budget.c.year == year)
                .with_for_update()
            )
        ).one()
        budget = Budget(
            year=year,
            allocated=Money.of(row.allocated),
            reserved=Money.of(row.reserved),
            disbursed=Money.of(row.disbursed),
            version=row.version,
        )
        self._loaded[year] = budget.version
        self.seen.append(budget)
        return budget

    async def flush(self, now: datetime) -> None:
        for budget in self.seen:
            loaded = self._loaded[budget.year]
            if budget.version == loaded:
                continue
            await update_versioned(
                self.session,
                orm.budget,
                {"year": budget.year},
                loaded_version=loaded,
                values={
                    "allocated": budget.allocated.amount,
                    "reserved": budget.reserved.amount,
                    "disbursed": budget.disbursed.amount,
                    "version": budget.version,
                    "updated_at": now,
                },
                what="The budget",
            )


class SqlChildCaseRepository:
    """The child cases the Fund knows of (`orm.child_case`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._locked: list[ChildCase] = []

    async def get_for_share(self, case_id: uuid.UUID | None) -> ChildCase | None:
        """The case as the Fund knows it, locked against changes until the transaction ends:
        an application checked against it is decided before, or after, a block — never
        while one is being recorded."""
        if case_id is None:
            return None
        row = (
            (
                await self.session.execute(
                    select(orm.child_case)
                    .where(orm.child_case.c.case_id == case_id)
                    .with_for_update(read=True)
                )
            )
            .mappings()
            .first()
        )
        return _child_case(row) if row is not None else None

    async def hiding_from_nationality(self, case_ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these cases hide what is linked to them from the child's own state, read
        under a shared lock held until the transaction ends: a block being recorded meanwhile
        either committed before (and is seen) or waits until this transaction has committed
        (whose events then came before the block). A case the Fund never heard of hides
        nothing, as on the read side (`queries.HIDDEN_FROM_NATIONALITY`)."""
        if not case_ids:
            return set()
        rows = (
            (
                await self.session.execute(
                    select(orm.child_case)
                    .where(orm.child_case.c.case_id.in_(sorted(case_ids)))
                    .order_by(orm.child_case.c.case_id)  # one lock order for every caller
                    .with_for_update(read=True)
                )
            )
            .mappings()
            .all()
        )
        return {row["case_id"] for row in rows if _child_case(row).hidden_from_nationality}

    async def get_for_update(
        self, case_id: uuid.UUID, *, host_country: str, nationality: str
    ) -> ChildCase:
        """The case, row-locked; a case heard of for the first time gets its row now (every
        child event names the case's countries), so there is always a row to lock."""
        await self.session.execute(
            text(
                "INSERT INTO child_case (case_id, host_country, nationality)"
                " VALUES (:c, :h, :n) ON CONFLICT (case_id) DO NOTHING"
            ),
            {"c": case_id, "h": host_country, "n": nationality},
        )
        row = (
            (
                await self.session.execute(
                    select(orm.child_case)
                    .where(orm.child_case.c.case_id == case_id)
                    .with_for_update()
                )
            )
            .mappings()
            .one()
        )
        case = _child_case(row)
        self._locked.append(case)
        return case

    async def flush(self, now: datetime) -> None:
        for case in self._locked:
            if not case.changed:
                continue
            await self.session.execute(
                update(orm.child_case)
                .where(orm.child_case.c.case_id == case.case_id)
                .values(
                    blocked_for_consulate=case.blocked_for_consulate,
                    block_version=case.block_version,
                    bid_decision=case.bid_decision,
                    bid_version=case.bid_version,
                    closed=case.closed,
                    updated_at=now,
                )
            )
            case.changed = False


def _child_case(row: Any) -> ChildCase:
    return ChildCase(
        case_id=row["case_id"],
        host_country=row["host_country"],
        nationality=row["nationality"],
        blocked_for_consulate=row["blocked_for_consulate"],
        block_version=row["block_version"],
        bid_decision=row["bid_decision"],
        bid_version=row["bid_version"],
        closed=row["closed"],
    )


class SqlRulesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self) -> FundRules:
        caps = (
            await self.session.execute(
                select(orm.cap_rule.c.amount, orm.cap_rule.c.valid_from, orm.cap_rule.c.valid_to)
            )
        ).all()
        approvals = (
            await self.session.execute(
                select(
                    orm.approval_rule.c.threshold,
                    orm.approval_rule.c.valid_from,
                    orm.approval_rule.c.valid_to,
                )
            )
        ).all()
        return FundRules(
            caps=tuple(CapRule(Money.of(a), f, t) for a, f, t in caps),
            approvals=tuple(ApprovalRule(Money.of(a), f, t) for a, f, t in approvals),
        )
