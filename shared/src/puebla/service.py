"""The composition root every service has the same shape of: one `Service` object.

The API (through `create_service_app(service=...)`) and the worker build one from the
process's `Runtime`. A use case gets a fresh unit of work from it, made for whoever acts —
`service.uow(actor=caller)` — so the actor is given once, from the verified principal, and
every audit entry of that transaction names them. Tests hand in their own clock:
`create_app(clock=FrozenClock(...))`; the service itself always runs on `utcnow`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.audit_anchor import AnchorKeyError, SigningKey, signing_key
from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import Actor, UnitOfWork
from puebla.runtime import Runtime

U = TypeVar("U", bound=UnitOfWork)


class Service(Generic[U]):
    """Subclasses implement `uow` (their unit of work, with its repositories)."""

    def __init__(self, runtime: Runtime, *, clock: Clock = utcnow) -> None:
        self.runtime = runtime
        self.clock = clock

    @property
    def name(self) -> str:
        return self.runtime.definition.name

    @property
    def source(self) -> str:
        return self.runtime.definition.source

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """For the service layer's reads (`queries`); routers never open a session."""
        return self.runtime.sessions

    @cached_property
    def seal_key(self) -> SigningKey | None:
        """The service's audit key, which also seals the documents it issues
        (`puebla.transparency.seal`); None where the process has none (documents then go
        unsealed, and say so — the worker, which signs the tree heads, refuses to start)."""
        try:
            return signing_key(self.runtime.definition.platform)
        except AnchorKeyError:
            return None

    def uow(self, actor: Actor) -> U:
        raise NotImplementedError
