"""Settings of the console (env prefix `CONSOLE_`).

The console is the realm's confidential client `puebla-console`. Its public address
(`CONSOLE_PUBLIC_URL`) is the one the realm lists as redirect and post-logout URI: the console
answers every other host with a redirect to it, so the session cookie lives on one origin.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from puebla.runtime import ServiceDefinition, ServiceSettings, local_database_url

NAME = "console"
SERVICE_DIR = Path(__file__).resolve().parents[2]  # holds alembic.ini and migrations/

# DEV-ONLY: the dev realm's secret of `puebla-console` (deploy/keycloak/realm-rcm.json) and a
# key for the session store's tokens. Both are refused outside PUEBLA_ENV=dev.
DEV_CLIENT_SECRET = "puebla-console-dev-only"
DEV_SESSION_KEY = "ZGV2LW9ubHktY29uc29sZS1zZXNzaW9uLWtleS0zMmI="


class DatabaseSettings(ServiceSettings):
    """What migrating the session store needs, and nothing more (no secret of the client)."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore", populate_by_name=True)

    database_url: str = local_database_url(NAME)
    port: int = 8000


class Settings(DatabaseSettings):
    public_url: str = "http://localhost:8000"
    client_id: str = "puebla-console"
    client_secret: SecretStr = SecretStr(DEV_CLIENT_SECRET)
    # Where the console's server reaches Keycloak (the token, JWKS and logout endpoints); the
    # browser is sent to the issuer's own address. Inside compose they differ.
    keycloak_url: str | None = None
    # A Fernet key (urlsafe base64 of 32 bytes) that seals the tokens in the session store.
    session_key: SecretStr = SecretStr(DEV_SESSION_KEY)
    # The realm's SSO Session Idle and Max (deploy/keycloak/realm-rcm.json): a console session
    # ends when Keycloak's would. The officer is warned this long before the idle end.
    session_idle_seconds: int = Field(default=1800, gt=60)
    session_absolute_seconds: int = Field(default=36000, gt=60)
    idle_warning_seconds: int = Field(default=120, gt=0)
    # The four APIs, as the console's server reaches them.
    repatriation_url: str = "http://127.0.0.1:8001"
    child_protection_url: str = "http://127.0.0.1:8002"
    reserve_fund_url: str = "http://127.0.0.1:8003"
    consular_url: str = "http://127.0.0.1:8004"
    api_timeout_seconds: float = Field(default=15.0, gt=0)
    env: str = Field(default="", validation_alias="PUEBLA_ENV")

    @model_validator(mode="after")
    def _no_dev_secrets_outside_dev(self) -> Settings:
        if self.env == "dev":
            return self
        if self.client_secret.get_secret_value() == DEV_CLIENT_SECRET:
            raise ValueError("CONSOLE_CLIENT_SECRET is the DEV-ONLY secret outside PUEBLA_ENV=dev")
        if self.session_key.get_secret_value() == DEV_SESSION_KEY:
            raise ValueError("CONSOLE_SESSION_KEY is the DEV-ONLY key outside PUEBLA_ENV=dev")
        return self

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"

    def api_urls(self) -> dict[str, str]:
        return {
            "repatriation": self.repatriation_url,
            "child_protection": self.child_protection_url,
            "reserve_fund": self.reserve_fund_url,
            "consular": self.consular_url,
        }


def definition(settings: DatabaseSettings) -> ServiceDefinition:
    return settings.definition(NAME, SERVICE_DIR)
