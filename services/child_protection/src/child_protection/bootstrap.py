"""Composition root of the child_protection service: key ring, clock, units of work, and what
its worker consumes (nothing yet: child cases start from people, not from other services)."""

from __future__ import annotations

from dataclasses import dataclass, field

from child_protection.adapters.crypto import DEV_ONLY_KEYS, KeyRing, KeyRingError
from child_protection.config import Settings
from child_protection.service_layer.queries import StepUpPolicy
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.clock import Clock, utcnow
from puebla.messaging.consumer import Subscription
from puebla.observability import get_logger
from puebla.runtime import Runtime

log = get_logger(__name__)


@dataclass(frozen=True)
class ChildProtection:
    """What the API and the worker use: a fresh unit of work per use case, on one clock."""

    runtime: Runtime
    keyring: KeyRing
    clock: Clock
    # What `/sensitive` needs of the caller's sign-in (CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS).
    step_up: StepUpPolicy = field(default_factory=StepUpPolicy)

    def uow(self) -> CaseUnitOfWork:
        return CaseUnitOfWork(
            self.runtime.sessions,
            source=self.runtime.definition.source,
            keyring=self.keyring,
            clock=self.clock,
        )


class DevKeyRefused(KeyRingError):
    """A public dev key (or none at all) outside `PUEBLA_ENV=dev`: the service does not start."""


def load_keyring(settings: Settings | None = None) -> KeyRing:
    """The key ring of the settings. Outside `PUEBLA_ENV=dev`, CHILD_PROTECTION_ENCRYPTION_KEYS
    is required and must hold no public dev key (security review 11): raises DevKeyRefused, so
    the API's startup and the worker fail before serving anything."""
    settings = settings or Settings()
    configured = settings.encryption_keys.get_secret_value().strip()
    if not configured:
        if not settings.is_dev:
            raise DevKeyRefused(
                "CHILD_PROTECTION_ENCRYPTION_KEYS is required (the public DEV-ONLY key is used "
                "only with PUEBLA_ENV=dev)"
            )
        configured = DEV_ONLY_KEYS
    keyring = KeyRing.parse(configured)
    if keyring.is_dev_only and not settings.is_dev:
        raise DevKeyRefused(
            f"CHILD_PROTECTION_ENCRYPTION_KEYS holds a public dev key "
            f"({', '.join(keyring.public_dev_key_ids)}): set real keys, or PUEBLA_ENV=dev "
            "on a developer machine"
        )
    if keyring.is_dev_only:
        # The key ids are safe to log; the keys never are.
        log.warning(
            "child_protection.encryption.dev_only_key",
            detail="sensitive sections are sealed with the public DEV-ONLY key; "
            "set CHILD_PROTECTION_ENCRYPTION_KEYS outside a developer machine",
            key_ids=list(keyring.public_dev_key_ids),
        )
    return keyring


def bootstrap(
    runtime: Runtime, *, clock: Clock = utcnow, keyring: KeyRing | None = None
) -> ChildProtection:
    settings = Settings()
    step_up = StepUpPolicy(max_age_s=settings.step_up_max_age_seconds)
    return ChildProtection(runtime, keyring or load_keyring(settings), clock, step_up)


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return []
