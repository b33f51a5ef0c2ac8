"""Settings of the repatriation service (env prefix `REPATRIATION_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from puebla.config import PlatformSettings
from puebla.runtime import ServiceDefinition, ServiceSettings, local_database_url

NAME = "repatriation"
SERVICE_DIR = Path(__file__).resolve().parents[2]  # holds alembic.ini and migrations/


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPATRIATION_", extra="ignore")

    database_url: str = local_database_url(NAME)
    port: int = 8001


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
