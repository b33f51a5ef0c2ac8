"""Every service of the running stack: alive, ready, and knows who is calling."""

from __future__ import annotations

import httpx
import pytest

from puebla_dev.testing.keycloak import KeycloakTokens

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


@pytest.mark.parametrize("service", SERVICES)
class TestAuditTrail:
    def test_the_auditor_reads_the_whole_trail_and_its_chain_verifies(
        self, system: dict[str, str], tokens: KeycloakTokens, service: str
    ) -> None:
        auditor = {"Authorization": f"Bearer {tokens.get('audit.rcm')}"}
        chain = httpx.get(f"{system[service]}/v1/audit/verification", headers=auditor)
        assert chain.status_code == 200
        assert chain.json()["ok"] is True
        page = httpx.get(f"{system[service]}/v1/audit", params={"limit": 2}, headers=auditor)
        assert page.status_code == 200
        first = page.json()
        assert len(first["items"]) <= 2
        if first["next_cursor"]:
            second = httpx.get(
                f"{system[service]}/v1/audit",
                params={"limit": 2, "cursor": first["next_cursor"]},
                headers=auditor,
            ).json()
            seen = {e["id"] for e in first["items"]}
            assert second["items"]
            assert not seen & {e["id"] for e in second["items"]}

    @pytest.mark.parametrize("user", ["inm.mx", "dif.mx.supervisor", "iom.approver", "ts.rcm"])
    def test_nobody_else_reads_the_whole_trail(
        self, system: dict[str, str], tokens: KeycloakTokens, service: str, user: str
    ) -> None:
        headers = {"Authorization": f"Bearer {tokens.get(user)}"}
        assert httpx.get(f"{system[service]}/v1/audit", headers=headers).status_code == 403
