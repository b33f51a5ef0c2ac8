"""Composition root of the repatriation service: the `Repatriation` service object.

The API (`create_service_app(service=...)`) and the worker build one from the process's
`Runtime`; tests hand in their own clock (`Repatriation(runtime, clock=FrozenClock(...))`).
Every use case gets a fresh unit of work from it, made for whoever acts: `uow(actor=caller)`
for a request, `uow(actor=<the consul who decided>)` for a consular event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from puebla.db.unit_of_work import Actor
from puebla.service import Service
from repatriation.adapters.repository import Scope
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork


class Repatriation(Service[ManifestUnitOfWork]):
    def uow(
        self, actor: Actor, *, scopes_read: Mapping[uuid.UUID, Scope] | None = None
    ) -> ManifestUnitOfWork:
        """`scopes_read`: the manifests' scopes this request already read without a lock (its
        route's 404/403 check); the handler's own unlocked read then reuses them."""
        uow = ManifestUnitOfWork(self.sessions, source=self.source, actor=actor, clock=self.clock)
        if scopes_read:
            uow.scopes_read = scopes_read
        return uow
