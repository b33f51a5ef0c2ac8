"""Composition root of the consular service: the `Consular` service object.

The API (`entrypoints/api/app.py`) and the worker (`entrypoints/worker.py`) each build one from
their runtime; tests build one with a `FrozenClock`. A use case gets a fresh unit of work made
for whoever acts (`svc.uow(actor=caller)`, or the name of a consumer or job). The worker's
e-mail sender and its retry policy come from the settings here too; what the worker consumes is
`entrypoints/consumers/`.
"""

from __future__ import annotations

from datetime import timedelta

from consular.adapters.email import SmtpMailer
from consular.config import Settings
from consular.service_layer.handlers import RetryPolicy
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import Actor
from puebla.runtime import Runtime
from puebla.service import Service


class Consular(Service[ConsularUnitOfWork]):
    def __init__(
        self, runtime: Runtime, *, clock: Clock = utcnow, settings: Settings | None = None
    ) -> None:
        super().__init__(runtime, clock=clock)
        self.settings = settings or Settings()

    def uow(self, actor: Actor) -> ConsularUnitOfWork:
        return ConsularUnitOfWork(self.sessions, source=self.source, actor=actor, clock=self.clock)

    def mailer(self) -> SmtpMailer:
        s = self.settings
        return SmtpMailer(s.smtp_host, s.smtp_port, s.smtp_timeout_seconds)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            base=timedelta(seconds=self.settings.email_retry_base_seconds),
            ceiling=timedelta(seconds=self.settings.email_retry_max_seconds),
        )
