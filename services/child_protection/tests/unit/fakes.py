"""A fake unit of work for the handlers' unit tests (cosmicpython's `test_handlers`): cases in
memory, behind the methods the handlers use, the same `actor` (and `case_actor`) as the real
one, and a `committed` flag. No database, no keys, no Keycloak: the access order and the
handler rules run in milliseconds. `locked` records which cases a handler asked to lock (and
so to decrypt), so a test can say that a caller who may not see a case never gets that far."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Self, cast

from child_protection.domain import Actor as CaseActor
from child_protection.domain import ChildCase, DeadlineRule, ReceptionPoint
from child_protection.service_layer.access import actor_of
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.db.unit_of_work import ActingFor, Actor

CORINTO = ReceptionPoint("HN-CORINTO", "HN", has_child_protection_authority=True)


class FakeCaseRepository:
    def __init__(self, cases: Sequence[ChildCase]) -> None:
        self.cases = {case.id: case for case in cases}
        self.locked: list[uuid.UUID] = []
        self.added: list[ChildCase] = []

    async def get_summary(self, case_id: uuid.UUID) -> ChildCase | None:
        # A copy, as the real one rebuilds the case from its row: deciding on it changes nothing.
        case = self.cases.get(case_id)
        return None if case is None else copy.deepcopy(case)

    async def get(self, case_id: uuid.UUID) -> ChildCase | None:
        self.locked.append(case_id)
        return self.cases.get(case_id)

    async def next_reference(self, host_country: str, year: int) -> str:
        return f"CP-{host_country}-{year}-{len(self.cases) + 1:06d}"

    async def add(self, case: ChildCase) -> None:
        self.cases[case.id] = case
        self.added.append(case)


class FakeReferenceData:
    async def deadline_rule(self, country: str, on: date) -> DeadlineRule | None:
        return None  # DOMAIN.md's defaults

    async def reception_point(self, code: str, on: date) -> ReceptionPoint | None:
        return CORINTO if code == CORINTO.code else None


class FakeCaseUnitOfWork(ActingFor):
    """What the handlers see of `CaseUnitOfWork`, in memory."""

    def __init__(self, actor: Actor, *, now: datetime, cases: Sequence[ChildCase] = ()) -> None:
        self.actor = actor
        self.now = now
        self.cases = FakeCaseRepository(cases)
        self.reference = FakeReferenceData()
        self.committed = False

    def clock(self) -> datetime:
        return self.now

    @property
    def case_actor(self) -> CaseActor:
        return actor_of(self.principal)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True

    def as_uow(self) -> CaseUnitOfWork:
        """Handed to a handler in place of the real one (same methods, by duck typing)."""
        return cast(CaseUnitOfWork, self)
