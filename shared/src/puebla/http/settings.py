"""Settings of the HTTP edge shared by every service (env prefix `PUEBLA_`).

Kept apart from `puebla.config.PlatformSettings` (the platform's addresses); read by
`create_service_app` when it is not given them, so one environment variable changes every
service at once.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUEBLA_", extra="ignore")

    # `/docs` (Swagger UI), `/redoc` and `/openapi.json`. On for development; off in
    # production (deploy/k8s sets PUEBLA_API_DOCS=false): the documents are published in
    # `contracts/openapi/`, and a service need not describe itself to whoever reaches it.
    api_docs: bool = True
