"""The API on its own test database (`repatriation_test`), real Keycloak tokens, a frozen clock.

The clock stands at Saturday 2026-11-28 12:00 UTC. The default manifest goes from Mexico to
Guatemala through GT-TECUN-UMAN (America/Guatemala, UTC-6, no DST): leaving Tuesday 2026-12-01
02:00 local, arriving the same day 10:00 local (16:00 UTC) — inside both reception windows and
more than 24 h after "now". Tests that depend on one of these values restate it literally.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from puebla.audit_anchor import PublicKeys, SigningKey
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from repatriation.bootstrap import Repatriation
from repatriation.config import definition
from repatriation.domain import commands as c
from repatriation.entrypoints.api.app import create_app
from repatriation.service_layer import handlers

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DEPARTURE = "2026-12-01T02:00:00-06:00"
ARRIVAL = "2026-12-01T10:00:00-06:00"


# The service's audit key, which seals the documents it issues (the hand-over record): made
# for the session, its public half given to the tests that verify a seal (`seal_keys`).
SEAL_KEY = SigningKey.generate("repatriation-test")


@pytest.fixture(scope="session")
def seal_keys_setting() -> str:
    """`PUEBLA_AUDIT_PUBLIC_KEYS` as a member state holds it: what the verifier is given."""
    return SEAL_KEY.public_setting("repatriation")


@pytest.fixture(scope="session")
def seal_keys(seal_keys_setting: str) -> PublicKeys:
    return PublicKeys.parse(seal_keys_setting)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    base = definition()
    platform = base.platform.model_copy(update={"audit_signing_key": SecretStr(SEAL_KEY.setting())})
    rt = await service_runtime(infra, dataclasses.replace(base, platform=platform))
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
def frozen_clock() -> FrozenClock:
    """The app's clock (and `svc`'s): NOW, unless a test moves it (and puts it back)."""
    return FrozenClock(NOW)


@pytest.fixture(scope="session")
def svc(runtime: Runtime, frozen_clock: FrozenClock) -> Repatriation:
    """The service object as the app builds it, on the same clock: for what a test does
    through the handlers (the consulate's decisions)."""
    return Repatriation(runtime, clock=frozen_clock)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def client(runtime: Runtime, frozen_clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(create_app(runtime, clock=frozen_clock)) as http:
        yield http


def returnee(**overrides: Any) -> dict[str, Any]:
    """An adult Guatemalan, no flags, no protection need."""
    body: dict[str, Any] = {
        "given_names": "Ana María",
        "surnames": "López Pérez",
        "sex": "F",
        "date_of_birth": "1990-05-17",
        "nationality": "GT",
        "place_of_origin": "Quetzaltenango",
        "vulnerabilities": {
            "pregnant": False,
            "disability": False,
            "illness_or_injury": False,
            "trafficking_indicator": False,
        },
        "protection_need": False,
    }
    body.update(overrides)
    return body


def manifest_body(
    returnees: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receiving_country": "GT",
        "reception_point": "GT-TECUN-UMAN",
        "scheduled_departure": DEPARTURE,
        "scheduled_arrival": ARRIVAL,
        "vehicle": {"plate": "CHS-4521", "seats": 50},
        "returnees": [returnee()] if returnees is None else returnees,
    }
    body.update(overrides)
    return body


class Api:
    """The client with a user's real token; `key` adds an Idempotency-Key."""

    def __init__(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens, runtime: Runtime, svc: Repatriation
    ):
        self.client = client
        self.tokens = tokens
        self.runtime = runtime
        self.svc = svc

    # The body builders, reachable from tests (conftest modules cannot be imported).
    returnee = staticmethod(returnee)
    manifest_body = staticmethod(manifest_body)

    def headers(self, user: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens.get(user)}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def get(self, user: str, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(user), params=params)

    async def post(
        self, user: str, path: str, json: Any = None, *, key: str | None = None
    ) -> httpx.Response:
        return await self.client.post(path, headers=self.headers(user, key), json=json)

    async def delete(
        self, user: str, path: str, *, key: str | None = None, **params: Any
    ) -> httpx.Response:
        return await self.client.delete(path, headers=self.headers(user, key), params=params)

    # -- states ---------------------------------------------------------------------------

    async def draft(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post("inm.mx", "/v1/manifests", body or manifest_body())
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def submitted(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        draft = await self.draft(body)
        response = await self.post("inm.mx", f"/v1/manifests/{draft['id']}/submit")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def confirm_all(self, manifest: dict[str, Any]) -> None:
        """The consulate's confirmations, straight through the handler the consumer uses."""
        for person in manifest["returnees"]:
            await handlers.confirm_nationality(
                c.ConfirmNationality(
                    manifest_id=uuid.UUID(manifest["id"]), returnee_id=uuid.UUID(person["id"])
                ),
                self.svc.uow(actor="consul.gt.tapachula"),
            )

    async def dispatched(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        manifest = await self.submitted(body)
        await self.confirm_all(manifest)
        response = await self.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(
    client: httpx.AsyncClient, tokens: KeycloakTokens, runtime: Runtime, svc: Repatriation
) -> Api:
    return Api(client, tokens, runtime, svc)


def new_key() -> str:
    return f"test-{uuid.uuid4()}"
