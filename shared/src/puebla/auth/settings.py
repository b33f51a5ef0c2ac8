"""What a service trusts in a token beyond signature, issuer and audience (env prefix `PUEBLA_`).

Read by every `TokenVerifier` that is not given settings explicitly, so one environment
variable changes every service at once, like the issuer in `puebla.config`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The dev realm's clients that call the services (deploy/keycloak/realm-rcm.json): the CLI's
# password grant and the officers' console; production lists its own clients.
DEFAULT_ALLOWED_CLIENTS = ["puebla-cli", "puebla-console"]


class TokenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUEBLA_", extra="ignore")

    # `azp` (the client the token was issued to) must be one of these, comma-separated in
    # the environment: a client of the realm that was never meant to call the services (and
    # is given the audiences by mistake) is refused.
    token_allowed_clients: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_CLIENTS)
    )
    # No token is accepted more than this long after its `iat`: one issued for longer than
    # this (exp - iat) is refused outright, whatever its `exp` says. The realm issues
    # 15-minute tokens; this bounds the damage of a token minted with a long life (a
    # misconfigured client, a stolen signing key).
    token_max_age_seconds: float = Field(default=3600.0, gt=0)
    # Keys fetched longer ago than this are fetched again before they verify anything, so a
    # key removed from Keycloak's JWKS stops being accepted within this time.
    jwks_max_age_seconds: float = Field(default=300.0, gt=0)
    # While Keycloak cannot be reached, the last keys fetched keep verifying for this long
    # after the last successful fetch (so a short outage logs nobody out); after that every
    # token is refused until a fetch succeeds again (fail closed: a revoked key cannot stay
    # trusted by cutting the service off from Keycloak).
    jwks_stale_limit_seconds: float = Field(default=3600.0, gt=0)
    # How the keys are fetched (security review 8): a JWKS URL is https, except on loopback or
    # with PUEBLA_ENV=dev (compose's http://keycloak:8080) — a key set that anyone on the path
    # can replace lets them mint any token. The certificate is verified against the system's
    # CAs, or only against the CA given here (a PEM file, or the PEM text itself, e.g. an
    # in-cluster CA from a ConfigMap): `PUEBLA_KEYCLOAK_CA_FILE` / `PUEBLA_KEYCLOAK_CA_PEM`.
    keycloak_ca_file: str | None = None
    keycloak_ca_pem: str | None = None
    env: str = ""

    @field_validator("token_allowed_clients", mode="before")
    @classmethod
    def _split_clients(cls, value: object) -> object:
        if isinstance(value, str):
            return [c.strip() for c in value.split(",") if c.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> TokenSettings:
        if not self.token_allowed_clients:
            raise ValueError("PUEBLA_TOKEN_ALLOWED_CLIENTS must name at least one client")
        if self.keycloak_ca_file and self.keycloak_ca_pem:
            raise ValueError("set PUEBLA_KEYCLOAK_CA_FILE or PUEBLA_KEYCLOAK_CA_PEM, not both")
        if self.jwks_stale_limit_seconds < self.jwks_max_age_seconds:
            raise ValueError(
                "PUEBLA_JWKS_STALE_LIMIT_SECONDS cannot be shorter than PUEBLA_JWKS_MAX_AGE_SECONDS"
            )
        return self

    @property
    def is_dev(self) -> bool:
        return self.env.strip().lower() == "dev"
