"""Composition root of the consular service: units of work, the clock, the mailer, and what the
worker consumes.

Each subscription reads its event with the producer's contract (`adapters.integration`) and
hands the result to its handler in a unit of work that records the event in the inbox, so a
redelivered or replayed event changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from pydantic import ValidationError

from consular.adapters import integration
from consular.adapters.email import SmtpMailer
from consular.config import Settings
from consular.domain.errors import ConsularError
from consular.service_layer import handlers
from consular.service_layer.handlers import RetryPolicy
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.clock import Clock, utcnow
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import Tracking
from puebla.messaging.consumer import Handler, Subscription
from puebla.runtime import Runtime

CLOCK = "clock"

T = TypeVar("T")


def clock(runtime: Runtime) -> Clock:
    """The process clock; tests put a `FrozenClock` in `runtime.extras["clock"]`."""
    found = runtime.extras.get(CLOCK)
    return found if callable(found) else utcnow


def unit_of_work(runtime: Runtime) -> ConsularUnitOfWork:
    return ConsularUnitOfWork(
        runtime.sessions, source=runtime.definition.source, clock=clock(runtime)
    )


def uow_factory(runtime: Runtime) -> Callable[[], ConsularUnitOfWork]:
    return lambda: unit_of_work(runtime)


def mailer(settings: Settings) -> SmtpMailer:
    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base=timedelta(seconds=settings.email_retry_base_seconds),
        ceiling=timedelta(seconds=settings.email_retry_max_seconds),
    )


# Refusals that another delivery would not change: recorded in the inbox as rejected, acked.
PERMANENT = (ConsularError, ValidationError)


def _consumer(
    runtime: Runtime,
    read: Callable[[IncomingEnvelope], T],
    handle: Callable[[T, ConsularUnitOfWork, Tracking], Awaitable[None]],
) -> Handler:
    async def consume(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        await handle(read(envelope), unit_of_work(runtime), tracking)

    return consume


def subscriptions(runtime: Runtime) -> list[Subscription]:
    def sub(durable: str, stream: str, subject: str, handler: Handler) -> Subscription:
        return Subscription(
            durable=durable,
            stream=stream,
            subjects=[subject],
            handle=handler,
            permanent_errors=PERMANENT,
        )

    return [
        sub(
            "consular-manifest-submitted",
            "REPATRIATION",
            "repatriation.manifest.submitted.v1",
            _consumer(runtime, integration.manifest_submitted, handlers.notify_manifest),
        ),
        sub(
            "consular-manifest-amended",
            "REPATRIATION",
            "repatriation.manifest.amended.v1",
            _consumer(runtime, integration.manifest_amended, handlers.notify_manifest),
        ),
        sub(
            "consular-manifest-cancelled",
            "REPATRIATION",
            "repatriation.manifest.cancelled.v1",
            _consumer(runtime, integration.manifest_cancelled, handlers.notify_manifest_cancelled),
        ),
        sub(
            "consular-child-case-opened",
            "CHILD",
            "child.case.opened.v1",
            _consumer(runtime, integration.child_case_opened, handlers.notify_child_case),
        ),
        sub(
            # Who the child is, only when the consulate may be told: at the opening of a case
            # that is not blocked, or at the clearing of its block (consular's alone).
            "consular-child-consular-notice",
            "CHILD",
            "child.case.consular_notice.v1",
            _consumer(runtime, integration.child_consular_notice, handlers.notify_child_case),
        ),
        sub(
            "consular-child-block-cleared",
            "CHILD",
            "child.case.consular_block_cleared.v1",
            _consumer(
                runtime, integration.child_consular_block_cleared, handlers.notify_child_case
            ),
        ),
        sub(
            "consular-fund-approved",
            "FUND",
            "fund.application.approved.v1",
            _consumer(runtime, integration.fund_application_approved, handlers.notify_fund_return),
        ),
        sub(
            "consular-child-block-set",
            "CHILD",
            "child.case.consular_block_set.v1",
            _consumer(runtime, integration.child_consular_block_set, handlers.withdraw_child_case),
        ),
        sub(
            "consular-returnee-protection-need",
            "REPATRIATION",
            "repatriation.returnee.protection_need_recorded.v1",
            _consumer(
                runtime,
                integration.returnee_protection_need_recorded,
                handlers.withdraw_returnees,
            ),
        ),
        sub(
            "consular-fund-cancelled",
            "FUND",
            "fund.application.cancelled.v1",
            _consumer(
                runtime, integration.fund_application_cancelled, handlers.withdraw_fund_return
            ),
        ),
    ]
