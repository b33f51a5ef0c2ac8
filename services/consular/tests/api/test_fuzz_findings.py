"""What an outside fuzzer found on the consular API (issue 13), each a 422 or 405 problem+json
naming the field or the methods, never a 500, a 200 or FastAPI's `about:blank`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.problems import refused

RECENT = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


def report(occurred_at: str) -> dict[str, Any]:
    return {
        "kind": "death",
        "person": {
            "given_names": "Juan Carlos",
            "surnames": f"López {uuid.uuid4().hex[:8]}",
            "sex": "M",
            "nationality": "GT",
        },
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "occurred_at": occurred_at,
        "protection_need": False,
    }


class TestExtremeTimes:
    @pytest.mark.parametrize(
        "occurred_at",
        [
            "0001-01-01T00:00:00Z",  # was a 500: OverflowError in as_utc / astimezone
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
            "1899-12-31T23:59:59Z",
        ],
    )
    async def test_a_notice_dated_outside_the_range_is_422_naming_occurred_at(
        self, api: Any, occurred_at: str
    ) -> None:
        answer = await api("inm.mx").post("/v1/notifications", json=report(occurred_at))
        assert refused(answer) == {("occurred_at", "datetime_out_of_range")}

    async def test_a_recent_notice_is_still_taken(self, api: Any) -> None:
        answer = await api("inm.mx").post("/v1/notifications", json=report(RECENT.isoformat()))
        assert answer.status_code == 201, answer.text


class TestDateParameters:
    @pytest.mark.parametrize(
        ("on", "rule"),
        [
            ("0", "date_format"),  # was 200: read as 1970-01-01
            ("1700000000", "date_format"),
            ("2026-12-1", "date_format"),
            ("0001-01-01", "date_out_of_range"),
        ],
    )
    async def test_on_is_only_a_date(self, api: Any, on: str, rule: str) -> None:
        answer = await api("inm.mx").get("/v1/consular-posts", params={"on": on})
        assert refused(answer) == {("on", rule)}

    async def test_a_date_is_still_taken(self, api: Any) -> None:
        answer = await api("inm.mx").get("/v1/consular-posts", params={"on": "2006-05-01"})
        assert answer.status_code == 200, answer.text
        assert "GT-CONS-TAPACHULA" in {p["code"] for p in answer.json()["items"]}


class TestParametersAndBodies:
    async def test_a_nul_in_a_query_parameter_is_422_naming_it(self, api: Any) -> None:
        answer = await api("consul.gt.tapachula").get(
            "/v1/notifications", params={"related_id": "a\x00b"}
        )
        assert refused(answer) == {("related_id", "text_nul")}

    async def test_a_body_that_is_not_utf8_is_422_naming_the_body(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        headers = {
            "Authorization": f"Bearer {tokens.get('inm.mx')}",
            "Content-Type": "application/json",
        }
        answer = await client.post(
            "/v1/notifications", content=b'{"kind": "\xff"}', headers=headers
        )
        assert refused(answer) == {("body", "json_invalid")}

    async def test_405_lists_every_method_of_the_path(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        headers = {"Authorization": f"Bearer {tokens.get('inm.mx')}"}
        answer = await client.put("/v1/notifications", headers=headers)
        assert answer.status_code == 405
        assert answer.json()["type"] == "https://puebla.rcm/problems/method-not-allowed"
        assert answer.headers["allow"] == "GET, POST"
