"""A fake unit of work for the handlers' unit tests (cosmicpython's `test_handlers`): manifests
in memory, behind the methods the handlers use, the same `actor` as the real one, and a
`committed` flag. No database, no Keycloak: the access order and the handler rules run in
milliseconds. `locked` records which manifests a handler asked to lock, so a test can say that
a caller who may not see a manifest never asks for its lock."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Self, cast

from puebla.db.unit_of_work import ActingFor, Actor
from repatriation.domain import Manifest, ReferenceData, seed
from repatriation.service_layer.access import Scope
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork


class FakeManifestRepository:
    def __init__(self, manifests: list[Manifest]) -> None:
        self.manifests = {m.id: m for m in manifests}
        self.locked: list[uuid.UUID] = []
        self.created_by: dict[uuid.UUID, str] = {}
        self._number = 0

    async def scope(self, manifest_id: uuid.UUID) -> Scope | None:
        m = self.manifests.get(manifest_id)
        if m is None:
            return None
        return Scope(m.sending_country, m.receiving_country, m.reception_point, m.submitted_at)

    async def get_for_update(self, manifest_id: uuid.UUID) -> Manifest | None:
        self.locked.append(manifest_id)
        return self.manifests.get(manifest_id)

    async def get_for_handover(
        self, manifest_id: uuid.UUID, returnee_ids: Collection[uuid.UUID]
    ) -> Manifest | None:
        # Whole: holding only the named people is the repository's (its integration tests).
        return await self.get_for_update(manifest_id)

    async def reference_data(self, today: date) -> ReferenceData:
        return seed.reference_data()

    async def next_reference_number(self) -> int:
        self._number += 1
        return self._number

    def add(self, new: Manifest, *, created_by: str) -> None:
        self.manifests[new.id] = new
        self.created_by[new.id] = created_by


class FakeManifestUnitOfWork(ActingFor):
    """What the handlers see of `ManifestUnitOfWork`, in memory."""

    def __init__(self, actor: Actor, *, now: datetime, manifests: Sequence[Manifest] = ()) -> None:
        self.actor = actor
        self.now = now
        self.manifests = FakeManifestRepository(list(manifests))
        self.committed = False

    def clock(self) -> datetime:
        return self.now

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

    def as_uow(self) -> ManifestUnitOfWork:
        """Handed to a handler in place of the real one (same methods, by duck typing)."""
        return cast(ManifestUnitOfWork, self)
