"""Composition root of the child_protection service: the `ChildProtection` service object.

The API (`create_service_app(service=...)`) and the worker build one from the process's
`Runtime` and the key ring of its settings (`load_keyring`: no real key, no service outside
a developer machine); tests hand in their own clock and key ring. Every use case gets a fresh
unit of work from it, made for whoever acts: `uow(actor=caller)` for a request, "system" for
the deadline scheduler and key rotation. Its worker consumes nothing: child cases start from
people, not from other services.
"""

from __future__ import annotations

from child_protection.adapters.crypto import DEV_ONLY_KEYS, KeyRing, KeyRingError
from child_protection.config import Settings
from child_protection.service_layer.sensitive import StepUpPolicy
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.clock import Clock, utcnow
from puebla.db.unit_of_work import Actor
from puebla.observability import get_logger
from puebla.runtime import Runtime
from puebla.service import Service

log = get_logger(__name__)


class ChildProtection(Service[CaseUnitOfWork]):
    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Clock = utcnow,
        keyring: KeyRing | None = None,
        step_up: StepUpPolicy | None = None,
    ) -> None:
        super().__init__(runtime, clock=clock)
        settings = Settings()
        self.keyring = keyring or load_keyring(settings)
        # What `/sensitive` needs of a sign-in (CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS).
        self.step_up = step_up or StepUpPolicy(max_age_s=settings.step_up_max_age_seconds)

    def uow(self, actor: Actor) -> CaseUnitOfWork:
        return CaseUnitOfWork(
            self.sessions, source=self.source, actor=actor, keyring=self.keyring, clock=self.clock
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
