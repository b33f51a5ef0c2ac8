"""Composition root of the child_protection service: key ring, clock, units of work, and what
its worker consumes (nothing yet: child cases start from people, not from other services)."""

from __future__ import annotations

from dataclasses import dataclass

from child_protection.adapters.crypto import KeyRing
from child_protection.config import Settings
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

    def uow(self) -> CaseUnitOfWork:
        return CaseUnitOfWork(
            self.runtime.sessions,
            source=self.runtime.definition.source,
            keyring=self.keyring,
            clock=self.clock,
        )


def load_keyring(settings: Settings | None = None) -> KeyRing:
    settings = settings or Settings()
    keyring = KeyRing.parse(settings.encryption_keys.get_secret_value())
    if keyring.is_dev_only:
        # The key ids are safe to log; the keys never are.
        log.warning(
            "child_protection.encryption.dev_only_key",
            detail="sensitive sections are sealed with the public DEV-ONLY key; "
            "set CHILD_PROTECTION_ENCRYPTION_KEYS outside a developer machine",
            key_ids=list(keyring.key_ids),
        )
    return keyring


def bootstrap(
    runtime: Runtime, *, clock: Clock = utcnow, keyring: KeyRing | None = None
) -> ChildProtection:
    return ChildProtection(runtime, keyring or load_keyring(), clock)


def subscriptions(runtime: Runtime) -> list[Subscription]:
    return []
