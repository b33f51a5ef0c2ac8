"""`GET /v1/consular-posts`: the seeded directory, for any authenticated user."""

from __future__ import annotations

from typing import Any

import httpx


class TestListConsularPosts:
    async def test_any_authenticated_user_reads_the_directory(self, api: Any) -> None:
        for user in ("audit.rcm", "border.hn.corinto", "consul.sv.tapachula"):
            answer = await api(user).get("/v1/consular-posts")
            assert answer.status_code == 200
            codes = {p["code"] for p in answer.json()["items"]}
            assert "GT-CONS-TAPACHULA" in codes
            assert answer.json()["next_cursor"] is None

    async def test_guatemala_in_mexico_has_three_consulates_and_its_embassy(self, api: Any) -> None:
        answer = await api("inm.mx").get(
            "/v1/consular-posts", params={"country": "GT", "host_country": "MX"}
        )
        posts = {p["code"]: p for p in answer.json()["items"]}
        assert sorted(posts) == [
            "GT-CONS-ACAYUCAN",
            "GT-CONS-MEXICO",
            "GT-CONS-TAPACHULA",
            "GT-EMB-MEXICO",
        ]
        tapachula = posts["GT-CONS-TAPACHULA"]
        assert tapachula["kind"] == "consulate"
        assert tapachula["city"] == "Tapachula"
        assert tapachula["jurisdiction"] == ["MX-CAM", "MX-CHP", "MX-ROO", "MX-TAB", "MX-YUC"]
        assert tapachula["email"] == "consulado.tapachula@gt.example"
        assert tapachula["valid_from"] == "2006-05-01"
        assert tapachula["valid_to"] is None
        assert posts["GT-EMB-MEXICO"]["jurisdiction"] == []

    async def test_nothing_is_valid_before_the_memorandum(self, api: Any) -> None:
        answer = await api("inm.mx").get("/v1/consular-posts", params={"on": "2006-04-30"})
        assert answer.json()["items"] == []

    async def test_without_a_token_401(self, client: httpx.AsyncClient) -> None:
        answer = await client.get("/v1/consular-posts")
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"

    async def test_a_bad_country_filter_is_422_naming_it(self, api: Any) -> None:
        answer = await api("inm.mx").get("/v1/consular-posts", params={"country": "gt"})
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "country"
