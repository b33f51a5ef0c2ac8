"""POLICY.md's order of checks on every route about one case: visibility (404) first, then
permission (403), then state (409) and input (422) — also for a body that fails schema validation.

For every write route and every caller who may not see the case (a third country; the child's own
country while the case is blocked), an invalid body answers exactly what the same request answers
for a random id: 404, so not even a 422 tells a hidden case from no case. Callers who see the case
but may not perform the act get 403, whatever the body.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

FUTURE = "2099-01-01T00:00:00Z"
SCHEMA_INVALID = {"no_such_field": True}

HOST_OFFICER = {"dif.mx"}
NATIONALITY_OFFICER = {"dinaf.hn"}
HOST_SUPERVISOR = {"dif.mx.supervisor"}
HOST_CHILD_PROTECTION = {"dif.mx", "dif.mx.supervisor"}  # closes a case not yet returned

# (method, path after /v1/cases/{id}, who may act, a body that passes the schema but breaks an
# input rule of the case: a future-dated act, a blank required section, an unknown code).
ROUTES: list[tuple[str, str, set[str], dict[str, Any]]] = [
    (
        "POST",
        "protection-measures",
        HOST_OFFICER,
        {"kind": "shelter", "description": "DIF shelter", "taken_at": FUTURE},
    ),
    ("POST", "notifications", HOST_OFFICER, {"authority": "PFPNNA", "notified_at": FUTURE}),
    ("POST", "interviews", HOST_OFFICER, {"language": "es", "notes": "x", "conducted_at": FUTURE}),
    (
        "POST",
        "screenings",
        HOST_OFFICER,
        {
            "protection_need": False,
            "trafficking_indicator": False,
            "notes": "x",
            "screened_at": FUTURE,
        },
    ),
    ("POST", "family-tracing", HOST_OFFICER, {"traced_at": FUTURE}),
    (
        "PUT",
        "bia",
        HOST_OFFICER,
        {
            "safety": "",
            "family": "",
            "health": "",
            "education": "",
            "child_views": "",
            "recommendation": "",
            "complete": True,
        },
    ),
    ("PUT", "risk-assessment", HOST_OFFICER, {"findings": "x", "assessed_at": FUTURE}),
    (
        "POST",
        "return-plan",
        HOST_OFFICER,
        {"reception_point": "HN-NOWHERE", "scheduled_at": FUTURE, "escort": "x"},
    ),
    (
        "PUT",
        "origin-assessment",
        NATIONALITY_OFFICER,
        {
            "family_situation": "",
            "home_situation": "",
            "risks_on_return": "",
            "caregiver_agrees_and_able": False,
            "complete": True,
        },
    ),
    (
        "POST",
        "reception",
        NATIONALITY_OFFICER,
        {"received_at": FUTURE, "received_by_institution": "DINAF"},
    ),
    ("POST", "follow-ups", NATIONALITY_OFFICER, {"notes": "x", "visited_at": FUTURE}),
    (
        "POST",
        "bid",
        HOST_SUPERVISOR,
        {"decision": "return", "reasons": "", "panel": ["A"], "child_views_considered": ""},
    ),
    ("POST", "bid-review", HOST_SUPERVISOR, {"reasons": ""}),
    ("POST", "protection-decision", HOST_SUPERVISOR, {"clear_block": True, "reasons": ""}),
    ("POST", "close", HOST_CHILD_PROTECTION, {"reason": ""}),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]

# Who may not see a Honduran child's case opened in Mexico...
THIRD_COUNTRY = ("sbs.gt", "consul.gt.tapachula", "inm.mx")
# ...and who may not see it once it is blocked for the consulate (protection exception).
NATIONALITY_WHILE_BLOCKED = ("dinaf.hn", "consul.hn.tapachula")
# Who sees an unblocked case.
SEES_IT = ("dif.mx", "dif.mx.supervisor", "dinaf.hn", "consul.hn.tapachula")


async def _send(api, user: str, method: str, path: str, body: Any) -> Any:
    send = api.post if method == "POST" else api.put
    return await send(user, path, body)


def _comparable(response: Any, case_id: str) -> tuple[int, dict[str, Any]]:
    body = dict(response.json())
    body["instance"] = str(body.get("instance", "")).replace(case_id, "{id}")
    return response.status_code, body


@pytest.fixture
async def cases(api) -> dict[str, str]:
    return {
        "open": (await api.open("dif.mx"))["id"],
        "blocked": (await api.open("dif.mx", protection_need=True))["id"],
    }


class TestInvisibleCaseAnswersLikeNoCase:
    @pytest.mark.parametrize(("method", "path", "may_act", "invalid"), ROUTES, ids=ROUTE_IDS)
    async def test_every_write_route(self, api, cases, method, path, may_act, invalid) -> None:
        hidden = [(cases["open"], user) for user in THIRD_COUNTRY] + [
            (cases["blocked"], user) for user in NATIONALITY_WHILE_BLOCKED
        ]
        random_id = str(uuid.uuid4())
        for case_id, user in hidden:
            for body in (SCHEMA_INVALID, invalid):
                on_case = await _send(api, user, method, f"/v1/cases/{case_id}/{path}", body)
                on_nothing = await _send(api, user, method, f"/v1/cases/{random_id}/{path}", body)

                assert on_case.status_code == 404, (user, body, on_case.text)
                assert _comparable(on_case, case_id) == _comparable(on_nothing, random_id)

    async def test_the_sensitive_sections_and_the_audit_trail(self, api, cases) -> None:
        random_id = str(uuid.uuid4())
        hidden = [(cases["open"], user) for user in THIRD_COUNTRY] + [
            (cases["blocked"], user) for user in NATIONALITY_WHILE_BLOCKED
        ]
        for case_id, user in hidden:
            for path, params in (("sensitive", {"purpose": " "}), ("audit", {"limit": 0})):
                on_case = await api.get(user, f"/v1/cases/{case_id}/{path}", **params)
                on_nothing = await api.get(user, f"/v1/cases/{random_id}/{path}", **params)

                assert on_case.status_code == 404, (user, path, on_case.text)
                assert _comparable(on_case, case_id) == _comparable(on_nothing, random_id)


class TestVisibleButNotAllowedIs403:
    @pytest.mark.parametrize(("method", "path", "may_act", "invalid"), ROUTES, ids=ROUTE_IDS)
    async def test_every_write_route(self, api, cases, method, path, may_act, invalid) -> None:
        case_path = f"/v1/cases/{cases['open']}/{path}"
        for user in SEES_IT:
            if user in may_act:
                continue
            for body in (SCHEMA_INVALID, invalid):
                response = await _send(api, user, method, case_path, body)

                assert response.status_code == 403, (user, body, response.text)
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["rule"].startswith("only_"), response.json()

    @pytest.mark.parametrize(("method", "path", "may_act", "invalid"), ROUTES, ids=ROUTE_IDS)
    async def test_whoever_may_act_still_gets_the_422(
        self, api, cases, method, path, may_act, invalid
    ) -> None:
        case_path = f"/v1/cases/{cases['open']}/{path}"
        for user in may_act:
            response = await _send(api, user, method, case_path, SCHEMA_INVALID)

            assert response.status_code == 422, (user, response.text)
            assert "no_such_field" in {e["field"] for e in response.json()["errors"]}

    async def test_opening_a_case(self, api) -> None:
        for user in ("consul.hn.tapachula", "dif.mx.supervisor", "inm.mx"):
            response = await api.post(user, "/v1/cases", SCHEMA_INVALID)

            assert response.status_code == 403, (user, response.text)
            assert response.json()["rule"] == "only_host_child_protection_officer"

    async def test_a_consul_reading_the_audit_trail(self, api, cases) -> None:
        response = await api.get("consul.hn.tapachula", f"/v1/cases/{cases['open']}/audit")

        assert response.status_code == 403
