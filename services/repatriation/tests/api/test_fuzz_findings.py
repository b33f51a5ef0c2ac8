"""What an outside fuzzer found on the repatriation API (issue 13): times near Python's limits
(a 500 from `astimezone` into the reception point's zone), control characters in parameters,
bodies that are not JSON and methods a path does not take — each the project's problem+json."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from puebla_dev.testing.problems import refused


class TestExtremeTimes:
    @pytest.mark.parametrize(
        ("departure", "arrival"),
        [
            # was a 500: OverflowError moving year 10000 (UTC) into the point's zone
            ("9999-12-31T20:00:00-06:00", "9999-12-31T22:00:00-06:00"),
            ("3000-01-01T00:00:00Z", "3000-01-01T08:00:00Z"),
        ],
    )
    async def test_a_manifest_scheduled_past_the_range_is_422_naming_both_times(
        self, api: Any, departure: str, arrival: str
    ) -> None:
        body = api.manifest_body(scheduled_departure=departure, scheduled_arrival=arrival)
        answer = await api.post("inm.mx", "/v1/manifests", body)
        assert refused(answer) == {
            ("scheduled_departure", "datetime_out_of_range"),
            ("scheduled_arrival", "datetime_out_of_range"),
        }

    async def test_a_departure_in_year_1_is_422_naming_it(self, api: Any) -> None:
        body = api.manifest_body(scheduled_departure="0001-01-01T00:00:00+14:00")
        answer = await api.post("inm.mx", "/v1/manifests", body)
        assert ("scheduled_departure", "datetime_out_of_range") in refused(answer)


class TestParameters:
    async def test_a_nul_in_the_removal_reason_is_422_after_the_404(self, api: Any) -> None:
        manifest = await api.draft()
        returnee = manifest["returnees"][0]["id"]
        path = f"/v1/manifests/{manifest['id']}/returnees/{returnee}"
        answer = await api.delete("inm.mx", path, reason="a\x00b")
        assert refused(answer) == {("reason", "text_nul")}
        # A manifest the caller may not see is still 404 first, whatever the parameter.
        hidden = await api.delete(
            "inm.mx", f"/v1/manifests/{uuid.uuid4()}/returnees/{returnee}", reason="a\x00b"
        )
        assert hidden.status_code == 404, hidden.text

    async def test_a_control_character_in_a_list_filter(self, api: Any) -> None:
        answer = await api.get("border.gt.tecun", "/v1/manifests", reception_point="GT\x01")
        assert ("reception_point", "control_character") in refused(answer)


class TestBodiesAndMethods:
    async def test_a_body_that_is_not_utf8_is_422_naming_the_body(
        self, api: Any, client: httpx.AsyncClient
    ) -> None:
        manifest = await api.draft()
        headers = {**api.headers("inm.mx"), "Content-Type": "application/json"}
        answer = await client.post(
            f"/v1/manifests/{manifest['id']}/submit", content=b"\xff\xfe\xfd", headers=headers
        )
        assert refused(answer) == {("body", "json_invalid")}

    async def test_405_lists_every_method_of_the_path(
        self, api: Any, client: httpx.AsyncClient
    ) -> None:
        answer = await client.patch("/v1/manifests", headers=api.headers("inm.mx"))
        assert answer.status_code == 405
        assert answer.json()["type"] == "https://puebla.rcm/problems/method-not-allowed"
        assert answer.headers["allow"] == "GET, POST"
