"""Settings of the child_protection service (env prefix `CHILD_PROTECTION_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from puebla.config import PlatformSettings
from puebla.runtime import ServiceDefinition, ServiceSettings, local_database_url

NAME = "child_protection"
SERVICE_DIR = Path(__file__).resolve().parents[2]  # holds alembic.ini and migrations/


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHILD_PROTECTION_", extra="ignore")

    database_url: str = local_database_url(NAME)
    port: int = 8002
    # "k2:<base64 32 bytes>,k1:<base64 32 bytes>": the first key encrypts new writes, every key
    # listed decrypts. A SecretStr, so that printing the settings never shows a key. Required
    # outside dev: unset, only `PUEBLA_ENV=dev` (the devstack, the tests, compose) falls back to
    # the public DEV-ONLY key; a public dev key in the ring refuses to start anywhere else.
    encryption_keys: SecretStr = SecretStr("")
    # `PUEBLA_ENV` (no service prefix): "dev" only where the public dev keys may be used.
    environment: str = Field("", validation_alias="PUEBLA_ENV")
    # How often the worker looks for overdue stages.
    deadline_check_seconds: float = 60.0
    # The sensitive sections need a second factor (acr 2: password + OTP) given at most this
    # long ago (the token's `auth_time`); older, the API answers RFC 9470's step-up challenge.
    step_up_max_age_seconds: int = Field(900, ge=1)

    @property
    def is_dev(self) -> bool:
        return self.environment.strip().lower() == "dev"


def definition(settings: Settings | None = None) -> ServiceDefinition:
    settings = settings or Settings()
    return ServiceDefinition(
        name=NAME,
        service_dir=SERVICE_DIR,
        database_url=settings.database_url,
        migration_database_url=settings.migration_database_url,
        migrate_on_start=settings.migrate_on_start,
        platform=PlatformSettings(),
        pool_size=settings.pool_size,
    )
