"""Every service of the running stack: alive, ready, and knows who is calling."""

from __future__ import annotations

import httpx
import pytest

from puebla.testing.keycloak import KeycloakTokens

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]


@pytest.mark.parametrize("service", SERVICES)
class TestEveryService:
    def test_is_alive_and_ready(self, system: dict[str, str], service: str) -> None:
        base = system[service]
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "checks": {}}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": True, "nats": True}

    def test_me_shows_the_verified_claims(
        self, system: dict[str, str], tokens: KeycloakTokens, service: str
    ) -> None:
        token = tokens.get("consul.gt.tapachula")
        me = httpx.get(f"{system[service]}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        body = me.json()
        assert body["username"] == "consul.gt.tapachula"
        assert body["roles"] == ["consular_officer"]
        assert body["country"] == "GT"
        assert body["agency"] == "MINEX-GT"
        assert body["consular_post"] == "GT-CONS-TAPACHULA"
        assert body["border_post"] is None

    def test_no_token_is_401_problem(self, system: dict[str, str], service: str) -> None:
        me = httpx.get(f"{system[service]}/v1/me")
        assert me.status_code == 401
        assert me.headers["content-type"] == "application/problem+json"
        assert me.headers["www-authenticate"].startswith("Bearer")

    def test_publishes_its_openapi_document(self, system: dict[str, str], service: str) -> None:
        doc = httpx.get(f"{system[service]}/openapi.json").json()
        assert "/v1/me" in doc["paths"]
        assert "HTTPBearer" in doc["components"]["securitySchemes"]
