"""The Fund's unit of work: applications, budgets, rules, the child cases it knows of; outbox
and audit on commit.

`commit()` writes the aggregates this unit of work loaded or added (only what changed, each
UPDATE checked against the version it loaded), then lets `puebla`'s unit of work add the outbox
rows and the audit entries and commit — one transaction. Every domain event becomes an audit
entry; the published ones also become contract events (`adapters.integration`), labelled
without the beneficiary's nationality while the application's child case is blocked for the
consulate — read under a shared lock on the case, the last lock taken, so that a block being
recorded at the same time is either seen or comes after these events.

A constraint the database refuses at that point (the budget's CHECK, the unique approver per
application) or a version that moved is a `ConcurrentChange` (409): with the row locks the
handlers take it should never happen, and if it does nothing is half-applied.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError

from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from reserve_fund.adapters import integration
from reserve_fund.adapters.repository import (
    SqlApplicationRepository,
    SqlBudgetRepository,
    SqlChildCaseRepository,
    SqlRulesRepository,
    StaleWrite,
)
from reserve_fund.domain.errors import FundConflict


class ConcurrentChange(FundConflict):
    """Someone else changed the same record at the same time; nothing was applied."""

    default_rule = "concurrency.conflict"


class FundUnitOfWork(UnitOfWork):
    applications: SqlApplicationRepository
    budgets: SqlBudgetRepository
    rules: SqlRulesRepository
    child_cases: SqlChildCaseRepository
    actor: str = "system"
    # The child cases, among those the applications seen here name, that are blocked for the
    # consulate: their applications' events are labelled without the child's nationality.
    _hiding: set[UUID]

    async def _start(self) -> None:
        self._hiding = set()
        self.applications = SqlApplicationRepository(self.session)
        self.budgets = SqlBudgetRepository(self.session)
        self.rules = SqlRulesRepository(self.session)
        self.child_cases = SqlChildCaseRepository(self.session)

    async def commit(self) -> None:
        try:
            now = self.clock()
            await self.applications.flush(now)
            await self.budgets.flush(now)
            await self.child_cases.flush(now)
            # Decided last, under a shared lock on the child cases (the last lock in the
            # handlers' order): the label says what holds when the events are written.
            self._hiding = await self.child_cases.hiding_from_nationality(
                {
                    application.child_case_id
                    for application in self.applications.seen
                    if application.events and application.child_case_id is not None
                }
            )
            await super().commit()
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
            raise ConcurrentChange(
                "the change conflicts with one made at the same time "
                f"({constraint or 'a database constraint'}); nothing was applied"
            ) from exc
        except StaleWrite as exc:
            raise ConcurrentChange(f"{exc}; nothing was applied") from exc

    def _collect_events(self) -> list[OutgoingEvent]:
        out: list[OutgoingEvent] = []
        for application in self.applications.seen:
            out.extend(
                integration.translate(
                    application,
                    hidden_from_nationality=application.child_case_id in self._hiding,
                )
            )
            for event in application.events:
                self.record(
                    AuditRecord(
                        actor=self.actor,
                        action=integration.audit_action(event),
                        entity_type=integration.AGGREGATE,
                        entity_id=str(application.id),
                        detail=integration.audit_detail(event),
                    )
                )
            application.events.clear()
        for budget in self.budgets.seen:
            for event in budget.events:
                self.record(
                    AuditRecord(
                        actor=self.actor,
                        action=integration.audit_action(event),
                        entity_type="fund_budget",
                        entity_id=str(budget.year),
                        detail=integration.audit_detail(event),
                    )
                )
            budget.events.clear()
        return out
