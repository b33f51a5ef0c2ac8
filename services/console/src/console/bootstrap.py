"""The console's composition root: its database (sessions), one HTTP client for Keycloak and
the four APIs, and the services built on them. `Console.start` is what the app's lifespan and
the tests call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from console.adapters.apis import Apis
from console.adapters.keycloak import Keycloak
from console.adapters.sealing import Sealer
from console.adapters.session_store import SessionStore
from console.config import Settings, definition
from console.domain.session import Lifetimes, Session
from console.service_layer.apis import OfficerApis
from console.service_layer.sessions import Sessions
from puebla.config import PlatformSettings
from puebla.runtime import Runtime


@dataclass
class Console:
    settings: Settings
    runtime: Runtime
    http: httpx.AsyncClient
    keycloak: Keycloak
    sessions: Sessions
    apis: Apis

    @classmethod
    async def start(cls, settings: Settings) -> Console:
        runtime = await Runtime.start(definition(settings), with_nats=False)
        http = httpx.AsyncClient(
            timeout=settings.api_timeout_seconds,
            # Idle connections are dropped before the APIs' own keep-alive end (uvicorn: 5 s),
            # so the console rarely reuses one the API is closing (adapters.apis retries that).
            limits=httpx.Limits(
                max_connections=100, max_keepalive_connections=40, keepalive_expiry=3.0
            ),
        )
        issuer = PlatformSettings().keycloak_issuer
        keycloak = Keycloak(
            issuer=issuer,
            server_url=keycloak_server_url(settings, issuer),
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            redirect_uri=settings.redirect_uri,
            http=http,
        )
        lifetimes = Lifetimes(
            idle=timedelta(seconds=settings.session_idle_seconds),
            absolute=timedelta(seconds=settings.session_absolute_seconds),
            warning=timedelta(seconds=settings.idle_warning_seconds),
        )
        store = SessionStore(runtime.engine, Sealer(settings.session_key.get_secret_value()))
        return cls(
            settings=settings,
            runtime=runtime,
            http=http,
            keycloak=keycloak,
            sessions=Sessions(store, keycloak, lifetimes),
            apis=Apis(http, settings.api_urls()),
        )

    def officer_apis(self, session: Session, locale: str) -> OfficerApis:
        return OfficerApis(self.apis, self.sessions, session, locale)

    async def close(self) -> None:
        await self.http.aclose()
        await self.runtime.close()


def keycloak_server_url(settings: Settings, issuer: str) -> str:
    """The realm's address for the console's server: `CONSOLE_KEYCLOAK_URL` (e.g.
    http://keycloak:8080 inside compose) with the issuer's realm path, else the issuer."""
    if not settings.keycloak_url:
        return issuer
    realm_path = issuer.split("/realms/", 1)[1]
    return f"{settings.keycloak_url.rstrip('/')}/realms/{realm_path}"
