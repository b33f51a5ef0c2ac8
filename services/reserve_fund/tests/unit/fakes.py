"""A fake Fund unit of work for the handlers' unit tests (cosmicpython's `test_handlers`):
applications, budgets and child cases in memory, behind the methods the handlers use, with the
same `actor`, `actor_name`, `principal` and `clock` as `FundUnitOfWork`. No PostgreSQL, no
Keycloak: the access order and the handlers' rules run in milliseconds.

Like the database, the store (`FundStore`) hands out copies: what a handler loads it changes on
its own copy, and only `commit()` writes the copies back — so a refused use case leaves the store
as it was, whatever it touched. `commit()` also drains the aggregates' new events the way
`FundUnitOfWork` does: an audit entry each, naming the unit of work's actor
(`integration.audit_record`), and the contract events of the published ones
(`integration.outgoing`). `committed` counts the commits; `locked` lists, in order, the rows a
handler asked to lock (``("application", id)``, ``("budget", year)``, ``("child_case", id)``
for the shared lock), so a test can say that a caller refused on the plain row never asked for
a lock.

The handlers read the plain row that decides access through `queries.access_facts(uow.session,
id)` (SQL, not a repository method): `uow.session` here is a `PlainRows` over the store, and
the tests route `queries.access_facts` to `access_facts` below.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar, cast

from puebla.auth.principal import Principal
from puebla.clock import FrozenClock
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import ActingFor, Actor, OutgoingEvent
from reserve_fund.adapters import integration
from reserve_fund.domain import Budget, ChildCase, FundApplication, FundRules
from reserve_fund.domain.events import Event
from reserve_fund.domain.seed import SEED_RULES
from reserve_fund.service_layer.access import AccessFacts
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork

Lock = tuple[str, uuid.UUID | int]
_Aggregate = TypeVar("_Aggregate", FundApplication, Budget)


def principal(subject: str, username: str, *roles: str, country: str | None = None) -> Principal:
    return Principal(subject=subject, username=username, roles=frozenset(roles), country=country)


@dataclass
class FundStore:
    """What is committed: the rows of the Fund's tables, as aggregates. Stored without pending
    events (a loaded aggregate has none), shared by every unit of work made on it."""

    applications: dict[uuid.UUID, FundApplication] = field(default_factory=dict)
    budgets: dict[int, Budget] = field(default_factory=dict)
    child_cases: dict[uuid.UUID, ChildCase] = field(default_factory=dict)
    last_reference_number: int = 0

    @classmethod
    def of(
        cls,
        applications: Iterable[FundApplication] = (),
        budgets: Iterable[Budget] = (),
        child_cases: Iterable[ChildCase] = (),
    ) -> FundStore:
        store = cls()
        for application in applications:
            store.applications[application.id] = _stored(application)
        for budget in budgets:
            store.budgets[budget.year] = _stored(budget)
        for case in child_cases:
            store.child_cases[case.case_id] = deepcopy(case)
        return store

    def hidden_from_nationality(self, application: FundApplication) -> bool:
        # As `queries.HIDDEN_FROM_NATIONALITY`: a named case the Fund knows whose block is not
        # known to be off; a case it never heard of hides nothing.
        case = (
            self.child_cases.get(application.child_case_id) if application.child_case_id else None
        )
        return case is not None and case.hidden_from_nationality


def _stored(aggregate: _Aggregate) -> _Aggregate:
    copy = deepcopy(aggregate)
    copy.events.clear()
    return copy


class PlainRows:
    """`uow.session` of the fake: the plain, unlocked application row that decides access."""

    def __init__(self, store: FundStore) -> None:
        self.store = store
        self.read: list[uuid.UUID] = []

    def access_facts(self, application_id: uuid.UUID) -> AccessFacts | None:
        self.read.append(application_id)
        application = self.store.applications.get(application_id)
        if application is None:
            return None
        return AccessFacts(
            requesting_country=application.requesting_country,
            nationality=application.beneficiary.nationality,
            hidden_from_nationality=self.store.hidden_from_nationality(application),
            reviewed_by=application.reviewed_by,
            reviewer_subject=application.reviewer_subject,
        )


async def access_facts(session: object, application_id: uuid.UUID) -> AccessFacts | None:
    """Stands in for `queries.access_facts` (monkeypatched by the tests)."""
    assert isinstance(session, PlainRows), session
    return session.access_facts(application_id)


class FakeApplications:
    def __init__(self, store: FundStore, locked: list[Lock]) -> None:
        self.store = store
        self.locked = locked
        self.seen: list[FundApplication] = []

    async def next_reference_number(self) -> int:
        self.store.last_reference_number += 1
        return self.store.last_reference_number

    def add(self, application: FundApplication) -> None:
        self.seen.append(application)

    async def get_for_update(self, application_id: uuid.UUID) -> FundApplication | None:
        self.locked.append(("application", application_id))
        stored = self.store.applications.get(application_id)
        if stored is None:
            return None
        application = deepcopy(stored)
        self.seen.append(application)
        return application


class FakeBudgets:
    def __init__(self, store: FundStore, locked: list[Lock]) -> None:
        self.store = store
        self.locked = locked
        self.seen: list[Budget] = []

    async def get_for_update(self, year: int) -> Budget:
        # A year nobody has set is a budget with nothing allocated (stored only on commit).
        self.locked.append(("budget", year))
        stored = self.store.budgets.get(year)
        budget = deepcopy(stored) if stored is not None else Budget(year=year)
        self.seen.append(budget)
        return budget


class FakeRules:
    async def load(self) -> FundRules:
        return SEED_RULES


class FakeChildCases:
    def __init__(self, store: FundStore, locked: list[Lock]) -> None:
        self.store = store
        self.locked = locked

    async def get_for_share(self, case_id: uuid.UUID | None) -> ChildCase | None:
        if case_id is None:
            return None
        self.locked.append(("child_case", case_id))
        stored = self.store.child_cases.get(case_id)
        return deepcopy(stored) if stored is not None else None


class FakeFundUnitOfWork(ActingFor):
    """What the handlers see of `FundUnitOfWork`, in memory, over `store` (a fresh one if
    none is given)."""

    def __init__(self, actor: Actor, *, now: datetime, store: FundStore | None = None) -> None:
        self.actor = actor
        self.clock = FrozenClock(now)
        self.store = store if store is not None else FundStore()
        self.locked: list[Lock] = []
        self.applications = FakeApplications(self.store, self.locked)
        self.budgets = FakeBudgets(self.store, self.locked)
        self.rules = FakeRules()
        self.child_cases = FakeChildCases(self.store, self.locked)
        self.rows = PlainRows(self.store)
        self.committed = 0
        self.events: list[Event] = []
        self.audit: list[AuditRecord] = []
        self.published: list[OutgoingEvent] = []
        self._depth = 0

    @property
    def session(self) -> PlainRows:
        if self._depth == 0:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self.rows

    async def __aenter__(self) -> Self:
        self._depth += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth -= 1

    async def commit(self) -> None:
        if self._depth == 0:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        for application in self.applications.seen:
            hidden = self.store.hidden_from_nationality(application)
            for event in application.events:
                self._audited(event)
                contracted = integration.outgoing(
                    event, application, hidden_from_nationality=hidden
                )
                if contracted is not None:
                    self.published.append(contracted)
            self.store.applications[application.id] = _stored(application)
        for budget in self.budgets.seen:
            for event in budget.events:
                self._audited(event)  # a budget's events are audited, never published
            self.store.budgets[budget.year] = _stored(budget)
        self.committed += 1

    def _audited(self, event: Event) -> None:
        self.events.append(event)
        self.audit.append(integration.audit_record(event, self.actor_name))

    def as_uow(self) -> FundUnitOfWork:
        """Handed to a handler in place of the real one (same methods, by duck typing)."""
        return cast(FundUnitOfWork, self)
