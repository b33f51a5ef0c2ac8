"""The Fund's unit of work: applications, budgets, rules, the child cases it knows of; outbox
and audit on commit.

Made by `Fund.uow(actor=...)` for whoever acts (the verified caller, or for a consumer the
service that decided upstream): every audit entry of the transaction names them.

`commit()` writes the aggregates this unit of work loaded or added (`_flush`: only what
changed, each UPDATE checked against the version it loaded), then `puebla`'s unit of work adds
the outbox rows and the audit entries (`_collect_events`: `drain`) and commits — one
transaction. Every domain event becomes an audit entry; the published ones also become
contract events (`adapters.integration`), labelled without the beneficiary's nationality while
the application's child case is blocked for the consulate — read under a shared lock on the
case, the last lock taken, so that a block being recorded at the same time is either seen or
comes after these events.

A constraint the database refuses at that point (the budget's CHECK, the unique approver per
application) or a version that moved is a `ConcurrentChange` (409, rule `concurrent_change`):
with the row locks the handlers take it should never happen, and if it does nothing is
half-applied.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError

from puebla.db.unit_of_work import OutgoingEvent, UnitOfWork
from puebla.observability import get_logger
from puebla.refusals import ConcurrentChange
from reserve_fund.adapters import integration
from reserve_fund.adapters.repository import (
    SqlApplicationRepository,
    SqlBudgetRepository,
    SqlChildCaseRepository,
    SqlRulesRepository,
)
from reserve_fund.domain.model import FundApplication

log = get_logger(__name__)


class FundUnitOfWork(UnitOfWork):
    applications: SqlApplicationRepository
    budgets: SqlBudgetRepository
    rules: SqlRulesRepository
    child_cases: SqlChildCaseRepository
    # The child cases, among those the applications seen here name, that are blocked for the
    # consulate: their applications' events are labelled without the child's nationality.
    _hiding: set[UUID]

    async def _start(self) -> None:
        self._hiding = set()
        self.applications = SqlApplicationRepository(self.session)
        self.budgets = SqlBudgetRepository(self.session)
        self.rules = SqlRulesRepository(self.session)
        self.child_cases = SqlChildCaseRepository(self.session)

    async def _flush(self) -> None:
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

    async def commit(self) -> None:
        try:
            await super().commit()
        except IntegrityError as exc:
            constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
            # Which constraint stays in the log (and the exception's cause), not in the answer.
            log.warning("reserve_fund.concurrent_change", constraint=constraint)
            raise ConcurrentChange("The application or its budget") from exc

    def _collect_events(self) -> list[OutgoingEvent]:
        outgoing: list[OutgoingEvent] = []
        for application in self.applications.seen:
            outgoing += self._drain_one(application)
        # A budget's events are audited, never published.
        outgoing += self.drain(
            self.budgets.seen, translate=lambda _: None, audit=integration.audit_record
        )
        return outgoing

    def _drain_one(self, application: FundApplication) -> list[OutgoingEvent]:
        # One application at a time: its contract events carry its own label.
        hidden = application.child_case_id in self._hiding
        return self.drain(
            [application],
            translate=lambda event: integration.outgoing(
                event, application, hidden_from_nationality=hidden
            ),
            audit=integration.audit_record,
        )
