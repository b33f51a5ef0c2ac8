"""Bad input is a 422 problem naming the field and the rule — never a 5xx, never half-applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def _errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


class TestOpenCase:
    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            ({"surprise": True}, ("surprise", "extra_forbidden")),
            ({"identified_at": "2026-11-20T13:30:00"}, ("identified_at", "timezone_aware")),
            ({"child": {"sex": "male"}}, ("child.sex", "literal_error")),
            (
                {"child": {"nationality": "Honduras"}},
                ("child.nationality", "string_pattern_mismatch"),
            ),
            (
                {"child": {"date_of_birth": "2012-02-30"}},
                ("child.date_of_birth", "date_from_datetime_parsing"),
            ),
            (
                {"child": {"estimated_age": -1, "date_of_birth": None}},
                ("child.estimated_age", "greater_than_equal"),
            ),
            (
                {"place": {"country": "MX", "city": "Tapachula", "zip": "30700"}},
                ("place.zip", "extra_forbidden"),
            ),
            ({"accompaniment": "alone"}, ("accompaniment", "literal_error")),
            ({"protection_need": None}, ("protection_need", "bool_type")),
        ],
    )
    async def test_malformed_bodies_name_the_field(
        self, api, new_case_body, overrides, expected
    ) -> None:
        response = await api.post("dif.mx", "/v1/cases", new_case_body(**overrides))

        assert expected in _errors(response)

    async def test_a_required_field_missing(self, api, new_case_body) -> None:
        body = new_case_body()
        del body["trafficking_indicator"]

        assert _errors(await api.post("dif.mx", "/v1/cases", body)) == [
            ("trafficking_indicator", "missing")
        ]

    @pytest.mark.parametrize(
        ("overrides", "expected"),
        [
            (
                {"child": {"date_of_birth": None}},
                ("child.date_of_birth", "date_of_birth_or_estimated_age_required"),
            ),
            ({"child": {"date_of_birth": "2001-01-01"}}, ("child.date_of_birth", "not_a_child")),
            (
                {"child": {"nationality": "MX"}},
                ("child.nationality", "nationality_is_host_country"),
            ),
            (
                {"identified_at": "2099-01-01T00:00:00Z"},
                ("identified_at", "identified_after_opening"),
            ),
        ],
    )
    async def test_domain_rules_name_the_field(
        self, api, new_case_body, overrides, expected
    ) -> None:
        response = await api.post("dif.mx", "/v1/cases", new_case_body(**overrides))

        assert _errors(response) == [expected]

    async def test_a_disputed_age_is_treated_as_a_child(self, api) -> None:
        case = await api.open("dif.mx", child={"date_of_birth": "2001-01-01"}, age_disputed=True)

        assert case["child"]["age_disputed"] is True
        assert case["child"]["age"] >= 25

    async def test_an_estimated_age_is_enough(self, api) -> None:
        case = await api.open("dif.mx", child={"date_of_birth": None, "estimated_age": 12})

        assert (case["child"]["date_of_birth"], case["child"]["age"]) == (None, 12)


class TestSections:
    async def test_a_complete_bia_needs_every_section(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.put(
            "dif.mx", f"/v1/cases/{case['id']}/bia", {**bodies["bia"], "health": "  "}
        )

        assert _errors(response) == [("health", "section_required")]
        after = (await api.get("dif.mx", f"/v1/cases/{case['id']}")).json()
        assert after["version"] == 1

    async def test_the_childs_views_or_a_reason_tied_to_age(self, api, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/bia"

        no_views = await api.put("dif.mx", path, {**bodies["bia"], "child_views": ""})
        bad_reason = await api.put(
            "dif.mx",
            path,
            {**bodies["bia"], "child_views": "", "child_views_absent_reason": "refused"},
        )
        too_young = await api.put(
            "dif.mx",
            path,
            {**bodies["bia"], "child_views": "", "child_views_absent_reason": "too_young"},
        )

        assert _errors(no_views) == [("child_views", "child_views_required")]
        assert _errors(bad_reason) == [("child_views_absent_reason", "literal_error")]
        assert too_young.status_code == 200
        assert too_young.json()["stage"] == "assessed"

    async def test_a_draft_may_be_partial_and_a_complete_one_stays_complete(
        self, api, bodies
    ) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/bia"
        draft = {**bodies["bia"], "health": "", "complete": False}

        assert (await api.put("dif.mx", path, draft)).json()["stage"] == "identified"
        assert (await api.put("dif.mx", path, bodies["bia"])).json()["stage"] == "assessed"
        reopened = await api.put("dif.mx", path, draft)

        assert reopened.status_code == 409
        assert (reopened.json()["rule"], reopened.json()["field"]) == (
            "assessment_cannot_be_reopened",
            "complete",
        )

    async def test_a_bid_needs_a_panel(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.post(
            "dif.mx.supervisor", f"/v1/cases/{case['id']}/bid", {**bodies["bid"], "panel": []}
        )

        assert _errors(response) == [("panel", "too_short")]

    async def test_an_unknown_reception_point(self, api, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])

        response = await api.post(
            "dif.mx",
            f"{path}/return-plan",
            {
                "reception_point": "HN-NOWHERE",
                "scheduled_at": "2027-01-05T10:00:00Z",
                "escort": "P",
            },
        )

        assert _errors(response) == [("reception_point", "unknown_reception_point")]

    async def test_an_interview_dated_tomorrow(self, api) -> None:
        case = await api.open("dif.mx")
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()

        response = await api.post(
            "dif.mx",
            f"/v1/cases/{case['id']}/interviews",
            {"language": "es", "notes": "", "conducted_at": tomorrow},
        )

        assert _errors(response) == [("conducted_at", "not_in_the_future")]

    async def test_a_tracing_record_needs_an_action_or_a_contact(self, api) -> None:
        case = await api.open("dif.mx")

        response = await api.post("dif.mx", f"/v1/cases/{case['id']}/family-tracing", {})

        assert _errors(response) == [("actions", "tracing_record_empty")]

    async def test_an_origin_assessment_agreeing_without_a_caregiver(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.put(
            "dinaf.hn",
            f"/v1/cases/{case['id']}/origin-assessment",
            {**bodies["origin"], "caregiver": None},
        )

        assert _errors(response) == [("caregiver", "caregiver_required")]


class TestIdentifiers:
    async def test_a_malformed_case_id(self, api) -> None:
        assert _errors(await api.get("dif.mx", "/v1/cases/not-a-uuid")) == [
            ("case_id", "uuid_parsing")
        ]

    async def test_an_unknown_case_is_404(self, api) -> None:
        response = await api.get("dif.mx", "/v1/cases/01900000-0000-7000-8000-000000000000")

        assert response.status_code == 404
        assert response.json()["detail"] == "The case was not found."

    async def test_a_cursor_we_did_not_issue(self, api) -> None:
        assert _errors(await api.get("dif.mx", "/v1/cases", cursor="garbage")) == [
            ("cursor", "invalid_cursor")
        ]
