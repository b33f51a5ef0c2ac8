"""The protection exception in the Fund, over HTTP with real tokens and the real database:
nobody with a protection need is funded; a child's application points to a case whose BID
decided return — checked when filed and again when submitted and approved — and while that
case is blocked for the consulate, the child's own state sees nothing of the application, not
even through a replayed answer."""

from __future__ import annotations

import uuid
from typing import Any

CHILD = {
    "given_names": "Kevin Josué",
    "surnames": "Martínez Reyes",
    "sex": "M",
    "date_of_birth": "2012-04-09",
    "nationality": "HN",
    "protection_need": False,
}
CHILD_RULE = [{"field": "child_case_id", "rule": "child_case.no_return_determination"}]


def child_body(desk: Any, case_id: uuid.UUID | str | None) -> dict[str, Any]:
    """An unaccompanied Honduran child in Mexico, consent through the authority caring for him
    (for a desk on the real clock: his age is computed from today)."""
    body: dict[str, Any] = desk.body(
        beneficiary=CHILD,
        current_country="MX",
        categories=["unaccompanied_child"],
        voluntary_consent={
            "given": True,
            "given_by": "authority",
            "recorded_at": "2026-01-10T09:00:00+00:00",
        },
    )
    if case_id is not None:
        body["child_case_id"] = str(case_id)
    return body


def linked_body(desk: Any, case_id: uuid.UUID) -> dict[str, Any]:
    """For a desk whose clock runs in a budget year of its own, centuries ahead, no child can
    be born yet: the same Honduran, grown up, ill, with the link to his case (the rule on the
    link does not depend on age)."""
    body: dict[str, Any] = desk.body(
        beneficiary={**CHILD, "date_of_birth": "1990-04-09"},
        current_country="MX",
        child_case_id=str(case_id),
    )
    return body


def errors_of(response: Any) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [{"field": e["field"], "rule": e["rule"]} for e in response.json()["errors"]]


class TestProtectionNeed:
    async def test_a_beneficiary_with_a_protection_need_is_refused_naming_the_field(
        self, today_desk
    ):
        response = await today_desk.create(
            beneficiary={**today_desk.body()["beneficiary"], "protection_need": True}
        )
        assert response.status_code == 422, response.text
        assert errors_of(response) == [
            {"field": "beneficiary.protection_need", "rule": "eligibility.protection_need"}
        ]
        assert "never funded to return to the country they fear" in response.json()["detail"]

    async def test_the_field_is_required_and_a_real_boolean(self, today_desk):
        beneficiary = dict(today_desk.body()["beneficiary"])
        del beneficiary["protection_need"]
        missing = await today_desk.create(beneficiary=beneficiary)
        assert missing.status_code == 422
        assert errors_of(missing) == [{"field": "beneficiary.protection_need", "rule": "missing"}]
        stringly = await today_desk.create(beneficiary={**beneficiary, "protection_need": "false"})
        assert stringly.status_code == 422
        assert [e["field"] for e in errors_of(stringly)] == ["beneficiary.protection_need"]


class TestChildCaseAtFiling:
    async def test_a_case_whose_bid_decided_return_is_accepted(self, today_desk, child_cases):
        case_id = await child_cases.for_return()
        response = await today_desk.post(
            "consul.hn.tapachula", "/v1/applications", child_body(today_desk, case_id)
        )
        assert response.status_code == 201, response.text
        assert response.json()["child_case_id"] == str(case_id)

    async def test_every_other_case_gets_one_and_the_same_answer(self, today_desk, child_cases):
        no_bid = await child_cases.opened()
        stay = await child_cases.opened()
        await child_cases.determined(stay, "stay")
        blocked = await child_cases.for_return()
        await child_cases.blocked(blocked)
        closed = await child_cases.for_return()
        await child_cases.closed(closed)
        other_child = await child_cases.for_return(nationality="GT")
        answers = []
        for case_id in (uuid.uuid4(), no_bid, stay, blocked, closed, other_child):
            response = await today_desk.post(
                "inm.mx", "/v1/applications", child_body(today_desk, case_id)
            )
            assert response.status_code == 422, (case_id, response.text)
            problem = response.json()
            answers.append((errors_of(response), problem["detail"], problem["title"]))
        assert answers == [answers[0]] * 6
        assert answers[0][0] == CHILD_RULE


class TestChildCaseLater:
    async def test_a_case_blocked_after_filing_stops_the_submission(self, today_desk, child_cases):
        desk = today_desk
        case_id = await child_cases.for_return()
        created = await desk.post("inm.mx", "/v1/applications", child_body(desk, case_id))
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        await child_cases.blocked(case_id)
        submitted = await desk.submit(app_id, "inm.mx")
        assert submitted.status_code == 422, submitted.text
        assert errors_of(submitted) == CHILD_RULE
        assert (await desk.read(app_id)).json()["status"] == "draft"

    async def test_a_later_determination_stops_the_approval_and_reserves_nothing(
        self, desk, child_cases
    ):
        await desk.set_budget("2100.00")
        case_id = await child_cases.for_return()
        app_id = await desk.reviewed("inm.mx", **linked_body(desk, case_id))
        await child_cases.determined(case_id, "stay", version=12)
        approved = await desk.approve(app_id)
        assert approved.status_code == 422, approved.text
        assert errors_of(approved) == CHILD_RULE
        after = (await desk.read(app_id)).json()
        assert (after["status"], after["approvals"]) == ("under_review", [])
        assert (await desk.budget())["reserved"] == "0.00"

    async def test_once_the_block_is_cleared_the_application_goes_ahead(self, desk, child_cases):
        await desk.set_budget("2100.00")
        case_id = await child_cases.for_return()
        app_id = await desk.reviewed("inm.mx", **linked_body(desk, case_id))
        await child_cases.blocked(case_id)
        assert (await desk.approve(app_id)).status_code == 422
        await child_cases.cleared(case_id)
        approved = await desk.approve(app_id)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"


class TestHiddenFromTheChildsState:
    async def test_the_childs_consul_loses_sight_of_it_when_the_case_is_blocked(
        self, today_desk, child_cases
    ):
        desk = today_desk
        case_id = await child_cases.for_return()
        created = await desk.post("inm.mx", "/v1/applications", child_body(desk, case_id))
        app_id = created.json()["id"]
        consul = "consul.hn.tapachula"
        assert (await desk.read(app_id, consul)).status_code == 200

        await child_cases.blocked(case_id)
        assert (await desk.read(app_id, consul)).status_code == 404
        listed = (await desk.get(consul, "/v1/applications?limit=200")).json()["items"]
        assert app_id not in [item["id"] for item in listed]
        # The host country that filed it, and IOM, still see it.
        assert (await desk.read(app_id, "inm.mx")).status_code == 200
        assert (await desk.read(app_id, "iom.officer")).status_code == 200

    async def test_filed_by_the_childs_own_consul_it_disappears_for_them_too(
        self, today_desk, child_cases
    ):
        desk = today_desk
        case_id = await child_cases.for_return()
        consul = "consul.hn.tapachula"
        created = await desk.post(consul, "/v1/applications", child_body(desk, case_id))
        app_id = created.json()["id"]
        await child_cases.blocked(case_id)
        assert (await desk.read(app_id, consul)).status_code == 404
        assert (await desk.submit(app_id, consul)).status_code == 404
        cancel = await desk.post(consul, f"/v1/applications/{app_id}/cancel", {"reason": "x"})
        assert cancel.status_code == 404


class TestReplayRechecksVisibility:
    async def test_a_filing_replayed_after_the_case_was_blocked_is_404(
        self, today_desk, child_cases
    ):
        desk = today_desk
        case_id = await child_cases.for_return()
        consul = "consul.hn.tapachula"
        key = {"Idempotency-Key": f"file-{uuid.uuid4()}"}
        body = child_body(desk, case_id)
        first = await desk.post(consul, "/v1/applications", body, **key)
        assert first.status_code == 201, first.text
        replay = await desk.post(consul, "/v1/applications", body, **key)
        assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")

        await child_cases.blocked(case_id)
        hidden = await desk.post(consul, "/v1/applications", body, **key)
        assert hidden.status_code == 404, hidden.text
        assert "Kevin" not in hidden.text
        assert first.json()["id"] not in hidden.text
        # The host side, whose key it is not, is unaffected; the stored answer is still there
        # for the day the block is cleared.
        await child_cases.cleared(case_id)
        again = await desk.post(consul, "/v1/applications", body, **key)
        assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])

    async def test_a_submission_replayed_after_the_case_was_blocked_is_404(
        self, today_desk, child_cases
    ):
        desk = today_desk
        case_id = await child_cases.for_return()
        consul = "consul.hn.tapachula"
        created = await desk.post(consul, "/v1/applications", child_body(desk, case_id))
        app_id = created.json()["id"]
        key = {"Idempotency-Key": f"submit-{uuid.uuid4()}"}
        first = await desk.post(consul, f"/v1/applications/{app_id}/submit", None, **key)
        assert first.status_code == 200, first.text
        await child_cases.blocked(case_id)
        hidden = await desk.post(consul, f"/v1/applications/{app_id}/submit", None, **key)
        assert hidden.status_code == 404, hidden.text
        assert "Kevin" not in hidden.text
