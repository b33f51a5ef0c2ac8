"""What an outside fuzzer found on the Reserve Fund API (issue 13): a consent time near
Python's limits (a 500 from `astimezone`), bodies that are not JSON and a 405 without every
method of the path — each the project's problem+json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from puebla_dev.testing.problems import refused


class TestExtremeTimes:
    @pytest.mark.parametrize(
        "recorded_at",
        ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00"],
    )
    async def test_a_consent_recorded_outside_the_range_is_422_naming_it(
        self, today_desk: Any, recorded_at: str
    ) -> None:
        consent = {"given": True, "given_by": "beneficiary", "recorded_at": recorded_at}
        answer = await today_desk.create(voluntary_consent=consent)
        assert refused(answer) == {("voluntary_consent.recorded_at", "datetime_out_of_range")}


class TestBodiesAndMethods:
    async def test_a_budget_body_that_is_not_utf8_is_422_naming_the_body(
        self, today_desk: Any, client: httpx.AsyncClient
    ) -> None:
        headers = {**today_desk.auth("iom.approver"), "Content-Type": "application/json"}
        answer = await client.put(
            f"/v1/budgets/{today_desk.year}", content=b'{"allocated": "\xff"}', headers=headers
        )
        assert refused(answer) == {("body", "json_invalid")}

    @pytest.mark.parametrize("method", ["OPTIONS", "DELETE"])
    async def test_405_lists_every_method_of_the_path(
        self, today_desk: Any, client: httpx.AsyncClient, method: str
    ) -> None:
        answer = await client.request(
            method, f"/v1/budgets/{today_desk.year}", headers=today_desk.auth("iom.approver")
        )
        assert answer.status_code == 405
        assert answer.json()["type"] == "https://puebla.rcm/problems/method-not-allowed"
        assert answer.headers["allow"] == "GET, PUT"

    async def test_a_nul_in_the_status_filter_is_422_naming_it(self, today_desk: Any) -> None:
        answer = await today_desk.get("iom.officer", "/v1/applications?status=draft%00")
        assert ("status", "text_nul") in refused(answer)
