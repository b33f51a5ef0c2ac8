"""`python -m consular.entrypoints.worker`: the outbox relay, the consumers
(`entrypoints/consumers/`), and two periodic jobs (`puebla.worker.every`) — the clocks
(routing notices left unroutable once the directory has a post, then the overdue check) and
the e-mail sender — until SIGTERM/SIGINT. All of them act through one `Consular` service
object built on the worker's runtime."""

from __future__ import annotations

from collections.abc import Callable

from consular.adapters.email import Mailer
from consular.bootstrap import Consular
from consular.config import Settings, definition
from consular.domain.commands import CheckOverdue
from consular.entrypoints.consumers import (
    child_case_blocks,
    child_case_notices,
    fund_cancellations,
    fund_returns,
    manifest_cancellations,
    manifest_notices,
    returnee_protection,
)
from consular.service_layer import handlers, monitoring
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.audit_anchor import anchored, checkpoint_job
from puebla.messaging.consumer import Subscription
from puebla.observability import get_logger
from puebla.runtime import Runtime
from puebla.worker import BackgroundJob, every
from puebla.worker import main as worker_main

log = get_logger(__name__)

CONSUMERS = (
    manifest_notices,
    manifest_cancellations,
    returnee_protection,
    child_case_notices,
    child_case_blocks,
    fund_returns,
    fund_cancellations,
)

# Who the audit trail names for what the jobs change.
ROUTER = "router"
SCHEDULER = "scheduler"
MAILER = "mailer"


def subscriptions(svc: Consular) -> list[Subscription]:
    return [sub for consumer in CONSUMERS for sub in consumer.subscriptions(svc)]


def acting(svc: Consular, actor: str) -> Callable[[], ConsularUnitOfWork]:
    """Fresh units of work for a job that commits in batches, each acting as `actor`."""
    return lambda: svc.uow(actor=actor)


async def check_clocks(svc: Consular) -> None:
    # Unroutable notices first: one routed now starts its clocks (from its trigger).
    routed = await handlers.route_unroutable(acting(svc, ROUTER))
    if routed:
        log.info("notifications.routed", count=routed)
    escalated = await handlers.check_overdue(CheckOverdue(now=svc.clock()), acting(svc, SCHEDULER))
    if escalated:
        log.info("notifications.escalated", count=escalated)


async def send_emails(svc: Consular, mailer: Mailer) -> handlers.DeliveryRound:
    return await handlers.deliver_emails(
        acting(svc, MAILER), mailer, sender=svc.settings.smtp_sender, retry=svc.retry_policy
    )


ServiceOf = Callable[[Runtime], Consular]


def clocks_job(service: ServiceOf, seconds: float) -> BackgroundJob:
    """`check_clocks` every `seconds`, on the service `service(runtime)` builds."""

    async def work(runtime: Runtime) -> None:
        await check_clocks(service(runtime))

    return every(lambda _: seconds, work, "overdue_check")


def emails_job(service: ServiceOf, seconds: float, mailer: Mailer | None = None) -> BackgroundJob:
    """`send_emails` every `seconds` through `mailer` (default: the settings' SMTP server)."""

    async def work(runtime: Runtime) -> None:
        svc = service(runtime)
        await send_emails(svc, mailer or svc.mailer())

    return every(lambda _: seconds, work, "email_delivery")


def background_jobs(settings: Settings) -> list[BackgroundJob]:
    """The clocks and the e-mail sender, run by `puebla.worker` beside the relay and the
    consumers, on the same runtime and stop event."""

    def service(runtime: Runtime) -> Consular:
        return Consular(runtime, settings=settings)

    return [
        clocks_job(service, settings.overdue_check_seconds),
        emails_job(service, settings.email_poll_seconds),
    ]


# The other services' audit checkpoints, kept here (`puebla.audit_anchor`).
AUDIT_CHECKPOINTS = "consular-audit-checkpoints"


def main() -> None:
    settings = Settings()
    service = definition(settings)
    worker_main(
        service,
        anchored(
            lambda runtime: subscriptions(Consular(runtime, settings=settings)),
            durable=AUDIT_CHECKPOINTS,
        ),
        background=[*background_jobs(settings), checkpoint_job(service)],
        readings=[monitoring.readings],
    )


if __name__ == "__main__":
    main()
