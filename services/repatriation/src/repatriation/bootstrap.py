"""Composition root of the repatriation service: the `Repatriation` service object.

The API (`create_service_app(service=...)`) and the worker build one from the process's
`Runtime`; tests hand in their own clock (`Repatriation(runtime, clock=FrozenClock(...))`).
Every use case gets a fresh unit of work from it, made for whoever acts: `uow(actor=caller)`
for a request, `uow(actor=<the consul who decided>)` for a consular event.
"""

from __future__ import annotations

from puebla.db.unit_of_work import Actor
from puebla.service import Service
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork


class Repatriation(Service[ManifestUnitOfWork]):
    def uow(self, actor: Actor) -> ManifestUnitOfWork:
        return ManifestUnitOfWork(self.sessions, source=self.source, actor=actor, clock=self.clock)
