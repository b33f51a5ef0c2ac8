"""Filing, reading and walking an application through the Fund over HTTP, as the demo users."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from puebla.pagination import Cursor

SV_BENEFICIARY = {
    "given_names": "José Roberto",
    "surnames": "Martínez Cruz",
    "sex": "M",
    "date_of_birth": "1984-07-21",
    "nationality": "SV",
    "protection_need": False,
}


def problem(response):
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json()


def fields_of(response) -> dict[str, str]:
    return {e["field"]: e["rule"] for e in problem(response)["errors"]}


class TestCreateApplication:
    async def test_consul_files_a_draft(self, today_desk):
        response = await today_desk.create()
        assert response.status_code == 201, response.text
        data = response.json()
        assert data["status"] == "draft"
        assert re.fullmatch(r"RF-\d{4}-\d{6}", data["reference"])
        assert data["requesting_country"] == "GT"
        assert data["requested_by"] == {
            "username": "consul.gt.tapachula",
            "country": "GT",
            "role": "consular_officer",
        }
        assert data["beneficiary"] == {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-03-01",
            "nationality": "GT",
        }
        assert data["requested_total"] == "300.00"
        assert data["approved_total"] == "0.00"
        assert data["approvals"] == []
        assert data["reviewed_by"] is None

    async def test_money_round_trips_exactly(self, today_desk, runtime):
        three_dimes = [{"kind": "meals", "amount": "0.10"} for _ in range(3)]
        response = await today_desk.create(items=three_dimes)
        assert response.status_code == 201, response.text
        assert '"requested_total":"0.30"' in response.text
        assert [i["amount"] for i in response.json()["items"]] == ["0.10", "0.10", "0.10"]
        app_id = response.json()["id"]
        read = await today_desk.read(app_id, "consul.gt.tapachula")
        assert read.json()["requested_total"] == "0.30"
        async with runtime.engine.connect() as conn:
            stored = (
                await conn.execute(
                    text("SELECT requested_total::text FROM application WHERE id = :i"),
                    {"i": uuid.UUID(app_id)},
                )
            ).scalar_one()
        assert stored == "0.30"

    async def test_one_decimal_place_reads_back_with_two(self, today_desk):
        response = await today_desk.create(items=[{"kind": "escort", "amount": "12.5"}])
        assert response.status_code == 201, response.text
        assert response.json()["items"] == [{"kind": "escort", "amount": "12.50"}]

    async def test_amount_as_json_number_is_refused(self, today_desk):
        response = await today_desk.create(items=[{"kind": "meals", "amount": 0.1}])
        assert response.status_code == 422
        assert fields_of(response) == {"items[0].amount": "string_type"}

    async def test_over_the_cap_is_refused(self, today_desk):
        response = await today_desk.create(
            items=[
                {"kind": "transport", "amount": "600.00"},
                {"kind": "medical", "amount": "400.01"},
            ]
        )
        assert response.status_code == 422
        assert fields_of(response) == {"items": "cap.over_case_cap"}

    async def test_exactly_the_cap_is_allowed(self, today_desk):
        response = await today_desk.create(
            items=[
                {"kind": "transport", "amount": "600.00"},
                {"kind": "medical", "amount": "400.00"},
            ]
        )
        assert response.status_code == 201, response.text
        assert response.json()["requested_total"] == "1000.00"

    async def test_zero_item_is_refused_naming_it(self, today_desk):
        response = await today_desk.create(
            items=[{"kind": "transport", "amount": "10.00"}, {"kind": "meals", "amount": "0.00"}]
        )
        assert response.status_code == 422
        assert fields_of(response) == {"items[1].amount": "items.amount_zero"}

    async def test_someone_in_their_own_country_is_not_eligible(self, today_desk):
        response = await today_desk.create(current_country="GT")
        assert response.status_code == 422
        assert fields_of(response) == {"current_country": "eligibility.not_in_another_member_state"}

    async def test_over_70_is_computed_from_the_date_of_birth(self, today_desk):
        elder = {**SV_BENEFICIARY, "nationality": "GT", "date_of_birth": "1950-01-01"}
        response = await today_desk.create(beneficiary=elder, categories=[])
        assert response.status_code == 201, response.text
        assert response.json()["categories"] == ["over_70"]

    async def test_over_70_claimed_for_a_younger_person_is_refused(self, today_desk):
        response = await today_desk.create(categories=["over_70"])
        assert response.status_code == 422
        assert fields_of(response) == {"categories": "eligibility.not_over_70"}

    async def test_no_category_is_refused(self, today_desk):
        response = await today_desk.create(categories=[])
        assert response.status_code == 422
        assert fields_of(response) == {"categories": "eligibility.no_category"}

    async def test_consent_not_given_is_refused(self, today_desk):
        consent = {"given": False, "given_by": "beneficiary", "recorded_at": "2026-01-10T09:00:00Z"}
        response = await today_desk.create(voluntary_consent=consent)
        assert response.status_code == 422
        assert fields_of(response) == {"voluntary_consent": "consent.missing"}

    async def test_unknown_field_is_refused(self, today_desk):
        response = await today_desk.create(priority="high")
        assert response.status_code == 422
        assert fields_of(response) == {"priority": "extra_forbidden"}

    async def test_third_country_authority_cannot_apply(self, today_desk):
        # A Honduran consul filing for a Guatemalan in Mexico: neither departure nor return.
        response = await today_desk.create("consul.hn.tapachula")
        assert response.status_code == 403
        assert problem(response)["rule"] == "applicant.not_departure_or_return_authority"

    async def test_departure_country_authority_may_apply(self, today_desk):
        response = await today_desk.create("inm.mx")
        assert response.status_code == 201, response.text
        assert response.json()["requesting_country"] == "MX"

    async def test_fund_officer_and_border_officer_cannot_apply(self, today_desk):
        for user in ("iom.officer", "border.gt.tecun", "ts.rcm"):
            response = await today_desk.create(user)
            assert response.status_code == 403, (user, response.text)

    async def test_without_a_token_is_401(self, today_desk):
        response = await today_desk.client.post("/v1/applications", json={})
        assert response.status_code == 401

    async def test_idempotency_key_replays_the_first_answer(self, today_desk, runtime):
        key = f"create-{uuid.uuid4()}"
        body = today_desk.body(justification=f"Idempotent {key}")
        headers = {"Idempotency-Key": key}
        first = await today_desk.post("consul.gt.tapachula", "/v1/applications", body, **headers)
        again = await today_desk.post("consul.gt.tapachula", "/v1/applications", body, **headers)
        assert first.status_code == 201
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        async with runtime.engine.connect() as conn:
            count = (
                await conn.execute(
                    text("SELECT count(*) FROM application WHERE justification = :j"),
                    {"j": f"Idempotent {key}"},
                )
            ).scalar_one()
        assert count == 1


class TestReadApplication:
    async def test_consul_of_a_third_country_cannot_see_a_salvadoran_filed_by_el_salvador(
        self, today_desk
    ):
        created = await today_desk.create("dgme.sv", beneficiary=SV_BENEFICIARY)
        assert created.status_code == 201, created.text
        app_id = created.json()["id"]
        hidden = await today_desk.read(app_id, "consul.gt.tapachula")
        assert hidden.status_code == 404
        assert problem(hidden)["detail"] == "The application was not found."
        unknown = await today_desk.read(str(uuid.uuid4()), "consul.gt.tapachula")
        assert unknown.json()["detail"] == hidden.json()["detail"]  # nothing leaks

    async def test_who_reads_a_salvadoran_filed_by_el_salvador(self, today_desk):
        created = await today_desk.create("dgme.sv", beneficiary=SV_BENEFICIARY)
        app_id = created.json()["id"]
        expected = {
            "dgme.sv": 200,  # requesting country, immigration
            "consul.sv.tapachula": 200,  # requesting country and nationality, consular
            "iom.officer": 200,
            "iom.approver": 200,
            "iom.approver2": 200,
            "consul.gt.tapachula": 404,
            "consul.hn.tapachula": 404,
            "inm.mx": 404,  # the country the beneficiary is in did not file it
            "igm.gt": 404,
            "border.gt.tecun": 404,
            "ts.rcm": 404,  # aggregates only
            "audit.rcm": 404,
        }
        got = {user: (await today_desk.read(app_id, user)).status_code for user in expected}
        assert got == expected

    async def test_consul_of_the_nationality_reads_but_immigration_of_it_does_not(self, today_desk):
        created = await today_desk.create("inm.mx")  # a Guatemalan, filed by Mexico
        app_id = created.json()["id"]
        assert (await today_desk.read(app_id, "consul.gt.tapachula")).status_code == 200
        assert (await today_desk.read(app_id, "igm.gt")).status_code == 404

    async def test_the_nationality_consul_cannot_submit_what_another_country_filed(
        self, today_desk
    ):
        created = await today_desk.create("inm.mx")
        app_id = created.json()["id"]
        response = await today_desk.submit(app_id, "consul.gt.tapachula")
        assert response.status_code == 403
        assert problem(response)["rule"] == "applicant.not_requesting_country"
        invisible = await today_desk.submit(app_id, "consul.hn.tapachula")
        assert invisible.status_code == 404


class TestListApplications:
    async def test_keyset_pages_hold_only_what_the_caller_may_read(self, desk):
        gt_ids = []
        for _ in range(3):
            created = await desk.create()
            assert created.status_code == 201
            gt_ids.append(created.json()["id"])
        sv = await desk.create("dgme.sv", beneficiary=SV_BENEFICIARY)
        assert sv.status_code == 201
        # Start right after this test's year: the applications filed in it come first, newest
        # first (the year is this test's alone, so nobody else's are among them).
        start = Cursor(datetime(desk.year + 1, 1, 1, tzinfo=UTC), uuid.UUID(int=0)).encode()

        async def walk(user: str, pages: int) -> tuple[list[str], list[int]]:
            seen: list[str] = []
            sizes: list[int] = []
            cursor = start
            for _ in range(pages):
                page = await desk.client.get(
                    "/v1/applications",
                    params={"limit": 2, "cursor": cursor},
                    headers=desk.auth(user),
                )
                assert page.status_code == 200, page.text
                items = page.json()["items"]
                sizes.append(len(items))
                seen.extend(i["id"] for i in items if i["created_at"].startswith(str(desk.year)))
                cursor = page.json()["next_cursor"]
                if cursor is None:
                    break
            return seen, sizes

        officer_ids, sizes = await walk("iom.officer", 2)
        assert officer_ids == [sv.json()["id"], *reversed(gt_ids)]
        assert sizes == [2, 2]
        consul_ids, _ = await walk("consul.gt.tapachula", 2)
        assert consul_ids == list(reversed(gt_ids))
        salvadoran_ids, _ = await walk("consul.sv.tapachula", 1)
        assert salvadoran_ids == [sv.json()["id"]]

    async def test_status_filter(self, desk):
        created = await desk.create()
        app_id = created.json()["id"]
        assert (await desk.submit(app_id)).status_code == 200
        page = await desk.client.get(
            "/v1/applications",
            params={"status": "submitted", "limit": 200},
            headers=desk.auth("consul.gt.tapachula"),
        )
        assert page.status_code == 200
        assert {i["status"] for i in page.json()["items"]} == {"submitted"}
        assert app_id in [i["id"] for i in page.json()["items"]]

    async def test_secretariat_lists_nothing(self, desk):
        page = await desk.get("ts.rcm", "/v1/applications")
        assert page.status_code == 200
        assert page.json() == {"items": [], "next_cursor": None}

    async def test_bad_cursor_and_status_are_422(self, desk):
        bad_cursor = await desk.client.get(
            "/v1/applications", params={"cursor": "nope"}, headers=desk.auth("iom.officer")
        )
        assert bad_cursor.status_code == 422
        assert fields_of(bad_cursor) == {"cursor": "invalid_cursor"}
        bad_status = await desk.client.get(
            "/v1/applications", params={"status": "paid"}, headers=desk.auth("iom.officer")
        )
        assert bad_status.status_code == 422
        assert list(fields_of(bad_status)) == ["status"]


class TestLifecycle:
    async def test_full_journey_moves_the_money(self, desk):
        assert (await desk.set_budget("2100.00")).status_code == 200
        app_id = await desk.approved()
        assert await desk.budget() == {
            "year": desk.year,
            "allocated": "2100.00",
            "reserved": "300.00",
            "disbursed": "0.00",
            "available": "1800.00",
            "version": 2,
        }
        paid = await desk.post(
            "iom.officer",
            f"/v1/applications/{app_id}/disbursements",
            {"amount": "250.00", "purpose": "Bus ticket and escort"},
        )
        assert paid.status_code == 201, paid.text
        assert paid.json()["status"] == "disbursed"
        assert paid.json()["disbursed_total"] == "250.00"
        assert paid.json()["reserved"] == "50.00"
        budget = await desk.budget()
        assert (budget["reserved"], budget["disbursed"], budget["available"]) == (
            "50.00",
            "250.00",
            "1800.00",
        )
        done = await desk.post("iom.officer", f"/v1/applications/{app_id}/complete")
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "returned"
        assert done.json()["released_total"] == "50.00"
        budget = await desk.budget()
        assert (budget["reserved"], budget["disbursed"], budget["available"]) == (
            "0.00",
            "250.00",
            "1850.00",
        )
        closed = await desk.post("iom.officer", f"/v1/applications/{app_id}/close")
        assert closed.status_code == 200
        assert closed.json()["status"] == "closed"

    async def test_question_and_answer_with_new_items(self, desk):
        created = await desk.create()
        app_id = created.json()["id"]
        await desk.submit(app_id)
        asked = await desk.post(
            "iom.officer",
            f"/v1/applications/{app_id}/request-info",
            {"question": "Is the escort needed?"},
        )
        assert asked.status_code == 200, asked.text
        assert asked.json()["status"] == "info_requested"
        answered = await desk.post(
            "consul.gt.tapachula",
            f"/v1/applications/{app_id}/provide-information",
            {
                "answer": "No; the ticket only.",
                "items": [{"kind": "transport", "amount": "180.00"}],
            },
        )
        assert answered.status_code == 200, answered.text
        data = answered.json()
        assert data["status"] == "under_review"
        assert data["requested_total"] == "180.00"
        assert data["information_requests"][0]["answer"] == "No; the ticket only."
        assert data["information_requests"][0]["answered_by"] == "consul.gt.tapachula"

    async def test_only_the_requesting_authority_answers(self, desk):
        created = await desk.create()
        app_id = created.json()["id"]
        await desk.submit(app_id)
        await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/request-info", {"question": "Why?"}
        )
        response = await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/provide-information", {"answer": "x"}
        )
        assert response.status_code == 403

    async def test_cancelling_an_approved_application_releases_the_reservation(self, desk):
        await desk.set_budget("1000.00")
        app_id = await desk.approved()
        assert (await desk.budget())["available"] == "700.00"
        cancelled = await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/cancel", {"reason": "Consent withdrawn"}
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["released_total"] == "300.00"
        budget = await desk.budget()
        assert (budget["reserved"], budget["available"]) == ("0.00", "1000.00")

    async def test_the_requesting_authority_may_withdraw_but_a_reader_may_not(self, desk):
        created = await desk.create("inm.mx")
        app_id = created.json()["id"]
        by_reader = await desk.post(
            "consul.gt.tapachula", f"/v1/applications/{app_id}/cancel", {"reason": "No"}
        )
        assert by_reader.status_code == 403
        by_filer = await desk.post("inm.mx", f"/v1/applications/{app_id}/cancel", {"reason": "No"})
        assert by_filer.status_code == 200
        assert by_filer.json()["status"] == "cancelled"

    async def test_no_cancelling_after_a_disbursement(self, desk):
        await desk.set_budget("1000.00")
        app_id = await desk.approved()
        await desk.post(
            "iom.officer",
            f"/v1/applications/{app_id}/disbursements",
            {"amount": "100.00", "purpose": "Ticket"},
        )
        response = await desk.post(
            "iom.officer", f"/v1/applications/{app_id}/cancel", {"reason": "Too late"}
        )
        assert response.status_code == 409
        assert problem(response)["rule"] == "lifecycle.invalid_transition"

    async def test_disbursing_more_than_approved_is_409(self, desk):
        await desk.set_budget("1000.00")
        app_id = await desk.approved()
        response = await desk.post(
            "iom.officer",
            f"/v1/applications/{app_id}/disbursements",
            {"amount": "300.01", "purpose": "Ticket"},
        )
        assert response.status_code == 409
        assert problem(response)["rule"] == "disbursement.exceeds_approved"
        assert (await desk.budget())["reserved"] == "300.00"

    async def test_disbursing_before_approval_is_409_and_needs_a_fund_officer(self, desk):
        app_id = await desk.reviewed()
        early = await desk.post(
            "iom.officer",
            f"/v1/applications/{app_id}/disbursements",
            {"amount": "10.00", "purpose": "Ticket"},
        )
        assert early.status_code == 409
        assert problem(early)["rule"] == "lifecycle.invalid_transition"
        by_approver = await desk.post(
            "iom.approver",
            f"/v1/applications/{app_id}/disbursements",
            {"amount": "10.00", "purpose": "Ticket"},
        )
        assert by_approver.status_code == 403

    async def test_completing_an_unapproved_application_is_409(self, desk):
        app_id = await desk.reviewed()
        response = await desk.post("iom.officer", f"/v1/applications/{app_id}/complete")
        assert response.status_code == 409
        assert problem(response)["rule"] == "lifecycle.invalid_transition"

    async def test_approving_a_draft_is_409(self, desk):
        created = await desk.create()
        response = await desk.approve(created.json()["id"])
        assert response.status_code == 409
        assert problem(response)["rule"] == "lifecycle.invalid_transition"


class TestAnswerOrder:
    async def test_invisible_comes_before_forbidden(self, today_desk):
        created = await today_desk.create("dgme.sv", beneficiary=SV_BENEFICIARY)
        app_id = created.json()["id"]
        for user in ("ts.rcm", "consul.gt.tapachula", "border.gt.tecun"):
            for action, body in (
                ("submit", None),
                ("provide-information", {"answer": "x"}),
                ("review", {"recommendation": "approve", "note": "x"}),
                ("approve", {}),
                ("cancel", {"reason": "x"}),
            ):
                response = await today_desk.post(user, f"/v1/applications/{app_id}/{action}", body)
                assert response.status_code == 404, (user, action, response.text)
        missing = await today_desk.submit(str(uuid.uuid4()), "iom.officer")
        assert missing.status_code == 404
        visible = await today_desk.submit(app_id, "iom.officer")
        assert visible.status_code == 403
