"""Settings of the consular service (env prefix `CONSULAR_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from puebla.runtime import ServiceDefinition, ServiceSettings, local_database_url

NAME = "consular"
SERVICE_DIR = Path(__file__).resolve().parents[2]  # holds alembic.ini and migrations/


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSULAR_", extra="ignore")

    database_url: str = local_database_url(NAME)
    port: int = 8004

    # E-mail delivery to the posts' addresses (the local stack: an SMTP sink on loopback).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_sender: str = "notificaciones@puebla.example"
    smtp_timeout_seconds: float = 10.0
    # A failed e-mail is retried after base·2^(attempts-1) seconds, at most `max` apart; never
    # abandoned: an outage delays a notice, it does not lose it.
    email_retry_base_seconds: float = 5.0
    email_retry_max_seconds: float = 300.0
    email_poll_seconds: float = 2.0
    # How often the worker looks for notifications past their deadlines.
    overdue_check_seconds: float = 30.0


def definition(settings: Settings | None = None) -> ServiceDefinition:
    return (settings or Settings()).definition(NAME, SERVICE_DIR)
