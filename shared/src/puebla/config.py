"""Settings shared by every service (env prefix `PUEBLA_`).

Each service adds its own `Settings(BaseSettings, env_prefix="<SERVICE>_")` for what is
its alone (database URL, port); the platform's addresses live here so that one
environment variable moves every service at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ISSUER = "http://127.0.0.1:8080/realms/rcm"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUEBLA_", extra="ignore")

    # Tokens are issued for exactly this issuer; Keycloak's hostname is fixed to it.
    keycloak_issuer: str = DEFAULT_ISSUER
    # Where to fetch the keys; differs from the issuer inside compose (http://keycloak:8080).
    keycloak_jwks_url: str | None = None
    nats_servers: Annotated[list[str], NoDecode] = ["nats://127.0.0.1:4222"]
    # The service's bus user: its nkey seed file, named after the user (`repatriation.nk`),
    # from puebla.messaging.credentials. None only against a NATS without authentication.
    nats_credentials: Path | None = None
    # 3 on a JetStream cluster (R3), for whoever declares the streams (the provisioner).
    nats_stream_replicas: int = 1
    # Published outbox rows are kept this long so they can be re-sent after a broker loss.
    outbox_retention_hours: float = 72.0
    # Idempotency keys and their stored answers are kept this long, then purged by every
    # service's worker, which looks for expired ones this often. A purged key is free again.
    idempotency_retention_days: float = 7.0
    idempotency_purge_interval_seconds: float = 3600.0
    # On start, how long to wait for a database in crash recovery or a cluster electing
    # leaders before giving up (exiting, for the supervisor to decide).
    startup_wait_seconds: float = 60.0
    # The audit anchor (`puebla.audit_anchor`, security review 6). The worker signs its
    # service's checkpoints with `audit_signing_key` ("<key id>:<base64 of the 32-byte Ed25519
    # private key>"; the worker refuses to start without one) every
    # `audit_checkpoint_seconds` while the trail grows; `audit_public_keys`
    # ("<service>:<key id>:<base64 of the 32-byte public key>", comma-separated, several per
    # service while a key is rotated) verifies every service's checkpoints.
    audit_signing_key: SecretStr | None = None
    audit_public_keys: str = ""
    audit_checkpoint_seconds: float = 60.0
    # A span per SQL statement (OpenTelemetry's SQLAlchemy hooks). Off by default: each costs
    # the request tens of microseconds even when no exporter is set (a tenth of a hand-over's
    # CPU), and a request's own span says how long it took. On to see which statement is slow.
    trace_statements: bool = False
    log_level: str = "INFO"
    log_json: bool = True
    # The process's Prometheus listener (`puebla.observability.metrics`): its own port, never
    # the API's; None starts none. Loopback unless the deployment says otherwise (a pod: 0.0.0.0,
    # reached by Prometheus only, per the network policy).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None

    @field_validator("nats_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: object) -> object:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value

    @property
    def jwks_url(self) -> str:
        return self.keycloak_jwks_url or f"{self.keycloak_issuer}/protocol/openid-connect/certs"
