from __future__ import annotations

import httpx

from puebla_dev.testing.keycloak import KeycloakTokens


class TestMe:
    async def test_border_officer_sees_own_post(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        response = await client.get(
            "/v1/me", headers={"Authorization": f"Bearer {tokens.get('border.gt.tecun')}"}
        )
        assert response.status_code == 200
        assert response.json()["border_post"] == "GT-TECUN-UMAN"
        assert response.json()["roles"] == ["border_officer"]

    async def test_ready_on_its_test_database(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/readyz")).json()["checks"] == {"database": True, "nats": True}
