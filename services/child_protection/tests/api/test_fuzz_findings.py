"""What an outside fuzzer found on the child-protection API (issue 13): a NUL in a parameter
(`purpose` of `/sensitive` answered 500), times near Python's limits (a 500 from `as_utc`),
bodies that are not JSON and methods a path does not take — each the project's problem+json,
and the 404 of a case the caller may not see still comes first."""

from __future__ import annotations

import uuid

import httpx
import pytest

from puebla_dev.testing.problems import refused


class TestParameters:
    async def test_a_nul_in_a_sensitive_reads_purpose_is_422_and_not_read(self, api, db) -> None:
        case = await api.open("dif.mx")
        # The purpose is the Puebla-Purpose header now (never the URL); a NUL there, or in a
        # `purpose` still sent in the query string, is refused naming where it was.
        answer = await api.get("dif.mx", f"/v1/cases/{case['id']}/sensitive", purpose="a\x00b")
        assert ("puebla-purpose", "text_nul") in refused(answer)
        in_query = await api.client.get(
            f"/v1/cases/{case['id']}/sensitive?purpose=a%00b",
            headers=api.headers("dif.mx", step_up=True),
        )
        assert ("purpose", "text_nul") in refused(in_query)
        actions = [e["action"] for e in await db.audit(case["id"])]
        assert "child_case.sensitive_read" not in actions

    async def test_a_case_the_caller_may_not_see_is_404_first(self, api) -> None:
        case = await api.open("dif.mx")
        for path in (f"/v1/cases/{case['id']}/sensitive", f"/v1/cases/{uuid.uuid4()}/sensitive"):
            answer = await api.get("consul.gt.tapachula", path, purpose="a\x00b")
            assert answer.status_code == 404, answer.text

    async def test_a_control_character_in_a_list_filter(self, api) -> None:
        answer = await api.get("dif.mx", "/v1/cases", cursor="\x1b[2J")
        assert ("cursor", "control_character") in refused(answer)


class TestExtremeTimes:
    @pytest.mark.parametrize(
        "identified_at",
        ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "1899-12-31T23:00:00Z"],
    )
    async def test_a_case_identified_outside_the_range_is_422_naming_it(
        self, api, new_case_body, identified_at: str
    ) -> None:
        answer = await api.post("dif.mx", "/v1/cases", new_case_body(identified_at=identified_at))
        assert refused(answer) == {("identified_at", "datetime_out_of_range")}

    async def test_a_return_planned_in_year_9999_is_422_naming_it(self, api) -> None:
        case = await api.open("dif.mx")
        body = {
            "reception_point": "HN-SPS",
            "scheduled_at": "9999-12-31T23:59:59-14:00",
            "escort": "",
        }
        answer = await api.post("dif.mx", f"/v1/cases/{case['id']}/return-plan", body)
        assert ("scheduled_at", "datetime_out_of_range") in refused(answer)

    async def test_a_screening_dated_by_a_number_is_422_naming_it(self, api) -> None:
        # was 200: read as a Unix time (2017-03-28)
        case = await api.open("dif.mx")
        body = {
            "protection_need": False,
            "trafficking_indicator": False,
            "notes": "No indicators.",
            "screened_at": 1490695880,
        }
        answer = await api.post("dif.mx", f"/v1/cases/{case['id']}/screenings", body)
        assert refused(answer) == {("screened_at", "date_as_number")}


class TestBodiesAndMethods:
    async def test_a_body_that_is_not_utf8_is_422_naming_the_body(
        self, api, client: httpx.AsyncClient
    ) -> None:
        case = await api.open("dif.mx")
        headers = {**api.headers("dif.mx"), "Content-Type": "application/json"}
        answer = await client.post(
            f"/v1/cases/{case['id']}/interviews", content=b'{"\xff": 1}', headers=headers
        )
        assert refused(answer) == {("body", "json_invalid")}

    async def test_405_lists_every_method_of_the_path(self, api, client: httpx.AsyncClient) -> None:
        answer = await client.delete("/v1/cases", headers=api.headers("dif.mx"))
        assert answer.status_code == 405
        assert answer.json()["type"] == "https://puebla.rcm/problems/method-not-allowed"
        assert answer.headers["allow"] == "GET, POST"
