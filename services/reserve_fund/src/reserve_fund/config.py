"""Settings of the reserve_fund service (env prefix `RESERVE_FUND_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from puebla.runtime import ServiceDefinition, ServiceSettings, local_database_url

NAME = "reserve_fund"
SERVICE_DIR = Path(__file__).resolve().parents[2]  # holds alembic.ini and migrations/


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RESERVE_FUND_", extra="ignore")

    database_url: str = local_database_url(NAME)
    port: int = 8003


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return (settings or Settings()).definition(NAME, SERVICE_DIR)
