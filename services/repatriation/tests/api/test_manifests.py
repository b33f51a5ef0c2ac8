"""The manifest endpoints: shapes of API.md, DOMAIN.md §1 rules through HTTP, problem+json."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import text

PROBLEM = "application/problem+json"


def fields(response) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in response.json().get("errors", [])]


class TestCreateManifest:
    async def test_answers_201_with_the_manifest_read_of_api_md(self, api):
        body = api.manifest_body(
            [
                api.returnee(
                    document={"type": "passport", "number": "A1234567"}, family_group="F1"
                ),
                api.returnee(
                    given_names="Luis",
                    sex="M",
                    date_of_birth="2015-03-02",
                    family_group="F1",
                    age_disputed=False,
                ),
            ]
        )
        response = await api.post("inm.mx", "/v1/manifests", body)

        assert response.status_code == 201
        m = response.json()
        assert re.fullmatch(r"MX-GT-2026-\d{6}", m["reference"])
        assert uuid.UUID(m["id"]).version == 7
        assert {k: v for k, v in m.items() if k not in ("id", "reference", "returnees")} == {
            "sending_country": "MX",
            "receiving_country": "GT",
            "reception_point": "GT-TECUN-UMAN",
            "scheduled_departure": "2026-12-01T08:00:00Z",
            "scheduled_arrival": "2026-12-01T16:00:00Z",
            "vehicle": {"plate": "CHS-4521", "seats": 50},
            "status": "draft",
            "version": 1,
            "late_notice": False,
            "late_notice_reason": None,
            "cancellation_reason": None,
            "created_by": "inm.mx",
            "created_at": "2026-11-28T12:00:00Z",
            "submitted_at": None,
            "dispatched_at": None,
            "arrived_at": None,
            "closed_at": None,
            "cancelled_at": None,
            "protection_removals": [],
        }
        adult, child = m["returnees"]
        assert {k: v for k, v in adult.items() if k != "id"} == {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-05-17",
            "nationality": "GT",
            "place_of_origin": "Quetzaltenango",
            "document": {"type": "passport", "number": "A1234567"},
            "family_group": "F1",
            "vulnerabilities": {
                "pregnant": False,
                "disability": False,
                "illness_or_injury": False,
                "trafficking_indicator": False,
            },
            "protection_need": False,
            "age_disputed": False,
            "vulnerable": False,
            "nationality_status": "pending",
            "nationality_rejection_reason": None,
            "handover_outcome": None,
            "handover_reason": None,
        }
        assert child["given_names"] == "Luis"
        again = await api.get("igm.gt", f"/v1/manifests/{m['id']}")
        # The same read for the receiving side, but for the sending state's own record.
        assert again.json() == {**m, "protection_removals": None}

    async def test_references_come_from_a_sequence(self, api):
        first = await api.draft()
        second = await api.draft()
        n1 = int(first["reference"].rsplit("-", 1)[1])
        n2 = int(second["reference"].rsplit("-", 1)[1])
        assert n2 > n1

    async def test_a_person_with_a_protection_need_is_refused_and_nothing_is_kept(
        self, api, runtime
    ):
        marker = f"Protegida {uuid.uuid4().hex[:8]}"
        body = api.manifest_body(
            [api.returnee(), api.returnee(given_names=marker, protection_need=True)]
        )
        response = await api.post("inm.mx", "/v1/manifests", body)

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert fields(response) == [("returnees[1].protection_need", "protection_need")]
        assert marker not in response.text
        async with runtime.sessions() as session:
            stored = await session.execute(
                text("SELECT count(*) FROM returnee WHERE given_names = :n"), {"n": marker}
            )
            published = await session.execute(
                text("SELECT count(*) FROM outbox WHERE payload::text LIKE :n"),
                {"n": f"%{marker}%"},
            )
        assert stored.scalar_one() == 0
        assert published.scalar_one() == 0

    async def test_an_unaccompanied_child_is_refused_with_a_pointer_to_child_protection(self, api):
        body = api.manifest_body([api.returnee(date_of_birth="2012-01-01")])
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert response.status_code == 422
        assert fields(response) == [("returnees[0].family_group", "unaccompanied_minor")]
        assert "child_protection" in response.json()["errors"][0]["message"]

    async def test_a_disputed_age_is_treated_as_a_child(self, api):
        body = api.manifest_body([api.returnee(age_disputed=True)])
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert response.status_code == 422
        assert fields(response) == [("returnees[0].family_group", "unaccompanied_minor")]

    async def test_people_aged_60_or_more_are_vulnerable_and_listed_first(self, api):
        body = api.manifest_body(
            [
                api.returnee(given_names="Joven"),
                api.returnee(given_names="Mayor", date_of_birth="1966-11-30"),
            ]
        )
        manifest = await api.draft(body)
        assert [(r["given_names"], r["vulnerable"]) for r in manifest["returnees"]] == [
            ("Mayor", True),
            ("Joven", False),
        ]

    async def test_vulnerable_people_only_inside_the_stricter_window(self, api):
        # 16:00 local: inside 08:00-17:00, outside the 08:00-15:00 window for vulnerable people.
        late = {"scheduled_arrival": "2026-12-01T16:00:00-06:00"}
        assert (
            await api.post("inm.mx", "/v1/manifests", api.manifest_body(**late))
        ).status_code == 201
        pregnant = api.returnee(
            vulnerabilities={
                "pregnant": True,
                "disability": False,
                "illness_or_injury": False,
                "trafficking_indicator": False,
            }
        )
        response = await api.post("inm.mx", "/v1/manifests", api.manifest_body([pregnant], **late))
        assert response.status_code == 422
        assert fields(response) == [("scheduled_arrival", "outside_reception_window")]

    async def test_window_is_judged_in_the_posts_time_zone(self, api):
        # 17:30 UTC is 11:30 in Guatemala (inside) although it is after 17:00 UTC.
        body = api.manifest_body(scheduled_arrival="2026-12-01T17:30:00Z")
        assert (await api.post("inm.mx", "/v1/manifests", body)).status_code == 201
        # Sunday 10:00 local: closed.
        body = api.manifest_body(
            scheduled_departure="2026-12-06T02:00:00-06:00",
            scheduled_arrival="2026-12-06T10:00:00-06:00",
        )
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert fields(response) == [("scheduled_arrival", "outside_reception_window")]

    async def test_a_reception_point_of_another_country_is_refused(self, api):
        body = api.manifest_body(reception_point="SV-LAS-CHINAMAS")
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert response.status_code == 422
        assert fields(response) == [("reception_point", "reception_point_not_in_receiving_country")]

    async def test_an_arrival_already_past_is_refused(self, api):
        body = api.manifest_body(
            scheduled_departure="2026-11-27T02:00:00-06:00",
            scheduled_arrival="2026-11-27T10:00:00-06:00",
        )
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert fields(response) == [("scheduled_arrival", "arrival_in_past")]

    async def test_a_returnee_of_another_nationality_is_refused(self, api):
        body = api.manifest_body([api.returnee(nationality="HN")])
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert fields(response) == [
            ("returnees[0].nationality", "nationality_not_receiving_country")
        ]

    async def test_a_child_with_a_trafficking_indicator_is_sent_to_child_protection(self, api):
        child = api.returnee(
            date_of_birth="2014-06-01",
            family_group="F1",
            vulnerabilities={
                "pregnant": False,
                "disability": False,
                "illness_or_injury": False,
                "trafficking_indicator": True,
            },
        )
        body = api.manifest_body([api.returnee(family_group="F1"), child])
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert fields(response) == [
            ("returnees[1].vulnerabilities.trafficking_indicator", "child_trafficking_indicator")
        ]

    async def test_up_to_300_returnees_301_is_too_many(self, api):
        body = api.manifest_body([api.returnee()] * 301)
        response = await api.post("inm.mx", "/v1/manifests", body)
        assert response.status_code == 422
        assert [f for f, _ in fields(response)] == ["returnees"]


class TestSubmit:
    async def test_submit_moves_to_submitted_and_a_second_submit_is_409(self, api):
        manifest = await api.submitted()
        assert manifest["status"] == "submitted"
        assert manifest["version"] == 2
        assert manifest["submitted_at"] == "2026-11-28T12:00:00Z"

        again = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/submit")
        assert again.status_code == 409
        assert again.headers["content-type"] == PROBLEM
        assert again.json()["rule"] == "invalid_transition"

    async def test_late_submission_needs_a_reason_and_is_flagged(self, api):
        # Saturday 14:00 in Guatemala (20:00 UTC) is 8 h after the clock's 12:00 UTC.
        soon = api.manifest_body(
            scheduled_departure="2026-11-28T08:00:00-06:00",
            scheduled_arrival="2026-11-28T14:00:00-06:00",
        )
        manifest = await api.draft(soon)
        path = f"/v1/manifests/{manifest['id']}/submit"

        refused = await api.post("inm.mx", path)
        assert refused.status_code == 422
        assert fields(refused) == [("late_notice_reason", "advance_notice_too_short")]

        accepted = await api.post("inm.mx", path, {"late_notice_reason": "Court order"})
        assert accepted.status_code == 200
        assert accepted.json()["late_notice"] is True
        assert accepted.json()["late_notice_reason"] == "Court order"

    async def test_an_empty_manifest_cannot_be_submitted(self, api):
        manifest = await api.draft(api.manifest_body([]))
        response = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/submit")
        assert response.status_code == 409
        assert response.json()["rule"] == "empty_manifest"

    async def test_unknown_fields_in_the_submit_body_are_refused(self, api):
        manifest = await api.draft()
        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/submit", {"late": "yes"}
        )
        assert fields(response) == [("late", "extra_forbidden")]


class TestAmend:
    async def test_add_in_draft_then_remove_without_reason(self, api):
        manifest = await api.draft()
        added = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees", api.returnee(given_names="Rosa")
        )
        assert added.status_code == 201
        returnee_id = added.json()["returnee_id"]
        assert [r["given_names"] for r in added.json()["manifest"]["returnees"]] == [
            "Ana María",
            "Rosa",
        ]
        removed = await api.delete(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees/{returnee_id}"
        )
        assert removed.status_code == 200
        assert [r["given_names"] for r in removed.json()["returnees"]] == ["Ana María"]
        assert removed.json()["version"] == 3

    async def test_after_submission_removal_needs_a_reason(self, api):
        manifest = await api.submitted(api.manifest_body([api.returnee(), api.returnee()]))
        path = f"/v1/manifests/{manifest['id']}/returnees/{manifest['returnees'][0]['id']}"
        refused = await api.delete("inm.mx", path)
        assert refused.status_code == 422
        assert fields(refused) == [("reason", "removal_reason_required")]
        assert (
            await api.delete("inm.mx", path, reason="Transferred to hospital")
        ).status_code == 200

    async def test_separating_a_family_needs_a_reason(self, api):
        family = [
            api.returnee(family_group="F1"),
            api.returnee(given_names="Pedro", sex="M", family_group="F1"),
        ]
        manifest = await api.submitted(api.manifest_body(family))
        path = f"/v1/manifests/{manifest['id']}/returnees/{manifest['returnees'][1]['id']}"
        refused = await api.delete("inm.mx", path)
        assert fields(refused) == [("reason", "family_separation_needs_reason")]

    async def test_the_last_adult_of_a_family_with_children_stays(self, api):
        family = [
            api.returnee(family_group="F1"),
            api.returnee(given_names="Luis", date_of_birth="2015-03-02", family_group="F1"),
        ]
        manifest = await api.draft(api.manifest_body(family))
        adult = next(r for r in manifest["returnees"] if r["given_names"] == "Ana María")
        response = await api.delete(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees/{adult['id']}"
        )
        assert response.status_code == 409
        assert response.json()["rule"] == "child_would_be_unaccompanied"

    async def test_an_unknown_returnee_is_404(self, api):
        manifest = await api.draft()
        response = await api.delete(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees/{uuid.uuid4()}"
        )
        assert response.status_code == 404
        assert response.json()["rule"] == "returnee_not_found"


class TestDispatch:
    async def test_needs_every_nationality_confirmed(self, api):
        manifest = await api.submitted()
        response = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert response.status_code == 409
        assert response.json()["rule"] == "nationality_not_confirmed"
        assert response.json()["returnee_ids"] == [manifest["returnees"][0]["id"]]

    async def test_needs_a_seat_for_each(self, api):
        body = api.manifest_body(
            [api.returnee(), api.returnee()], vehicle={"plate": "P-1", "seats": 1}
        )
        manifest = await api.submitted(body)
        await api.confirm_all(manifest)
        response = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert response.status_code == 409
        assert response.json()["rule"] == "not_enough_seats"

    async def test_dispatched(self, api):
        manifest = await api.dispatched()
        assert manifest["status"] == "dispatched"
        assert [r["nationality_status"] for r in manifest["returnees"]] == ["confirmed"]


class TestCancel:
    async def test_cancel_needs_a_reason(self, api):
        manifest = await api.draft()
        response = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/cancel", {})
        assert fields(response) == [("reason", "missing")]
        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/cancel", {"reason": "  "}
        )
        assert fields(response) == [("reason", "string_too_short")]

    async def test_cancelled_then_nothing_more(self, api):
        manifest = await api.submitted()
        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/cancel", {"reason": "Bus broke down"}
        )
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancellation_reason"] == "Bus broke down"
        again = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert again.status_code == 409


class TestHandovers:
    async def test_outcomes_once_same_again_is_a_no_op_different_is_409(self, api):
        manifest = await api.dispatched(api.manifest_body([api.returnee(), api.returnee()]))
        first, second = (r["id"] for r in manifest["returnees"])
        path = f"/v1/manifests/{manifest['id']}/handovers"

        response = await api.post(
            "border.gt.tecun", path, {"items": [{"returnee_id": first, "outcome": "received"}]}
        )
        assert response.status_code == 200
        assert response.json()["recorded"] == [True]
        assert response.json()["status"] == "arrived"

        same = await api.post(
            "border.gt.tecun", path, {"items": [{"returnee_id": first, "outcome": "received"}]}
        )
        assert same.status_code == 200
        assert same.json()["recorded"] == [False]

        other = await api.post(
            "border.gt.tecun",
            path,
            {
                "items": [
                    {"returnee_id": first, "outcome": "refused", "reason": "identity_mismatch"}
                ]
            },
        )
        assert other.status_code == 409
        assert other.json()["rule"] == "handover_already_recorded"
        assert other.json()["field"] == "items[0].outcome"

        last = await api.post(
            "border.gt.tecun",
            path,
            {"items": [{"returnee_id": second, "outcome": "not_presented"}]},
        )
        assert last.json()["status"] == "closed"
        assert last.json()["version"] == manifest["version"] + 2
        assert last.json()["totals"] == {
            "received": 1,
            "not_presented": 1,
            "refused": 0,
            "pending": 0,
            "arrived_not_listed": 0,
            "total": 2,
        }

    async def test_a_refusal_needs_a_reason_code(self, api):
        manifest = await api.dispatched()
        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": manifest["returnees"][0]["id"], "outcome": "refused"}]},
        )
        assert response.status_code == 422
        assert fields(response) == [("items[0].reason", "refusal_reason_required")]

    async def test_an_unknown_reason_code_is_422(self, api):
        manifest = await api.dispatched()
        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {
                "items": [
                    {
                        "returnee_id": manifest["returnees"][0]["id"],
                        "outcome": "refused",
                        "reason": "bad_mood",
                    }
                ]
            },
        )
        assert fields(response) == [("items[0].reason", "literal_error")]

    async def test_hand_overs_only_after_dispatch(self, api):
        manifest = await api.submitted()
        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": manifest["returnees"][0]["id"], "outcome": "received"}]},
        )
        assert response.status_code == 409
        assert response.json()["rule"] == "invalid_transition"

    async def test_the_record_is_the_same_document_for_both_countries(self, api):
        manifest = await api.dispatched(
            api.manifest_body(
                [api.returnee(), api.returnee(given_names="Mayor", date_of_birth="1950-01-01")]
            )
        )
        young, old = manifest["returnees"][1]["id"], manifest["returnees"][0]["id"]
        await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {
                "items": [
                    {"returnee_id": old, "outcome": "received"},
                    {"returnee_id": young, "outcome": "refused", "reason": "medically_unfit"},
                ]
            },
        )
        path = f"/v1/manifests/{manifest['id']}/handover-record"
        documents = [
            (await api.get(user, path)).json()
            for user in ("inm.mx", "igm.gt", "border.gt.tecun", "consul.gt.tapachula")
        ]
        assert documents[0] == documents[1] == documents[2] == documents[3]
        record = documents[0]
        assert record["reference"] == manifest["reference"]
        assert record["reception_point_name"] == "Ciudad Hidalgo - Tecún Umán"
        assert record["receiving_institution"] == (
            "Instituto Guatemalteco de Migración (IGM), Centro de Recepción de Retornados"
        )
        assert [
            (
                e["given_names"],
                e["vulnerable"],
                e["outcome"],
                e["reason"],
                e["officer"],
                e["post"],
                e["recorded_at"],
            )
            for e in record["entries"]
        ] == [
            (
                "Mayor",
                True,
                "received",
                None,
                "border.gt.tecun",
                "GT-TECUN-UMAN",
                "2026-11-28T12:00:00Z",
            ),
            (
                "Ana María",
                False,
                "refused",
                "medically_unfit",
                "border.gt.tecun",
                "GT-TECUN-UMAN",
                "2026-11-28T12:00:00Z",
            ),
        ]
        assert record["totals"] == {
            "received": 1,
            "not_presented": 0,
            "refused": 1,
            "pending": 0,
            "arrived_not_listed": 0,
            "total": 2,
        }
        assert record["status"] == "closed"


class TestList:
    async def test_keyset_pages_newest_first_without_gaps_or_repeats(self, api):
        created = [(await api.draft())["id"] for _ in range(3)]
        first = await api.get("inm.mx", "/v1/manifests", limit=2)
        assert first.status_code == 200
        assert [m["id"] for m in first.json()["items"]] == [created[2], created[1]]
        cursor = first.json()["next_cursor"]
        assert cursor
        second = await api.get("inm.mx", "/v1/manifests", limit=2, cursor=cursor)
        assert second.json()["items"][0]["id"] == created[0]

    async def test_an_item_is_the_manifest_with_counts_of_its_people_not_the_people(self, api):
        people = [api.returnee(given_names=name) for name in ("Ana", "Luis", "Marta")]
        manifest = await api.dispatched(api.manifest_body(returnees=people))
        first = manifest["returnees"][0]["id"]
        handed = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": first, "outcome": "received"}]},
        )
        assert handed.status_code == 200, handed.text
        listed = await api.get("inm.mx", "/v1/manifests", status="arrived", limit=200)
        item = next(m for m in listed.json()["items"] if m["id"] == manifest["id"])
        assert "returnees" not in item
        assert item["people"] == {
            "total": 3,
            "nationality_confirmed": 3,
            "nationality_rejected": 0,
            "handed_over": 1,
        }
        assert item["reference"] == manifest["reference"]

    async def test_filters_by_status(self, api):
        manifest = await api.submitted()
        listed = await api.get("inm.mx", "/v1/manifests", status="submitted", limit=200)
        statuses = {m["status"] for m in listed.json()["items"]}
        assert statuses == {"submitted"}
        assert manifest["id"] in [m["id"] for m in listed.json()["items"]]

    async def test_bad_paging_parameters_are_422(self, api):
        assert fields(await api.get("inm.mx", "/v1/manifests", cursor="nonsense")) == [
            ("cursor", "invalid_cursor")
        ]
        assert fields(await api.get("inm.mx", "/v1/manifests", limit=0)) == [
            ("limit", "greater_than_equal")
        ]
        assert fields(await api.get("inm.mx", "/v1/manifests", status="lost")) == [
            ("status", "literal_error")
        ]


class TestIdempotency:
    async def test_a_replayed_create_returns_the_first_result(self, api):
        key = f"test-{uuid.uuid4()}"
        first = await api.post("inm.mx", "/v1/manifests", api.manifest_body(), key=key)
        again = await api.post("inm.mx", "/v1/manifests", api.manifest_body(), key=key)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        listed = await api.get("inm.mx", "/v1/manifests", limit=5)
        assert [m["id"] for m in listed.json()["items"]].count(first.json()["id"]) == 1
        assert listed.json()["items"][0]["id"] == first.json()["id"]

    async def test_the_same_key_for_another_body_is_422(self, api):
        key = f"test-{uuid.uuid4()}"
        await api.post("inm.mx", "/v1/manifests", api.manifest_body(), key=key)
        other = await api.post(
            "inm.mx",
            "/v1/manifests",
            api.manifest_body(vehicle={"plate": "X", "seats": 9}),
            key=key,
        )
        assert fields(other) == [("Idempotency-Key", "reused_with_different_request")]

    async def test_a_replayed_hand_over_and_a_replayed_refusal(self, api):
        manifest = await api.dispatched()
        path = f"/v1/manifests/{manifest['id']}/handovers"
        item = {"returnee_id": manifest["returnees"][0]["id"], "outcome": "received"}
        key = f"test-{uuid.uuid4()}"
        first = await api.post("border.gt.tecun", path, {"items": [item]}, key=key)
        again = await api.post("border.gt.tecun", path, {"items": [item]}, key=key)
        assert again.json() == first.json()
        assert again.json()["recorded"] == [True]  # the first answer, not a fresh no-op

        submit = f"/v1/manifests/{manifest['id']}/submit"
        key = f"test-{uuid.uuid4()}"
        refused = await api.post("inm.mx", submit, key=key)
        replayed = await api.post("inm.mx", submit, key=key)
        assert refused.status_code == replayed.status_code == 409
        assert replayed.json() == refused.json()

    async def test_a_replayed_removal(self, api):
        manifest = await api.draft(api.manifest_body([api.returnee(), api.returnee()]))
        path = f"/v1/manifests/{manifest['id']}/returnees/{manifest['returnees'][0]['id']}"
        key = f"test-{uuid.uuid4()}"
        first = await api.delete("inm.mx", path, key=key)
        again = await api.delete("inm.mx", path, key=key)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert len(again.json()["returnees"]) == 1


class TestReceptionPoints:
    async def test_the_seeded_directory(self, api):
        response = await api.get("border.hn.corinto", "/v1/reception-points")
        assert response.status_code == 200
        items = response.json()["items"]
        assert [p["code"] for p in items] == [
            "GT-EL-CARMEN",
            "GT-LA-MESILLA",
            "GT-TECUN-UMAN",
            "HN-AGUA-CALIENTE",
            "HN-CORINTO",
            "NI-EL-GUASAULE",
            "SV-LA-HACHADURA",
            "SV-LAS-CHINAMAS",
        ]
        tecun = items[2]
        assert tecun == {
            "code": "GT-TECUN-UMAN",
            "country": "GT",
            "name": "Ciudad Hidalgo - Tecún Umán",
            "institution": (
                "Instituto Guatemalteco de Migración (IGM), Centro de Recepción de Retornados"
            ),
            "time_zone": "America/Guatemala",
            "window": {"opens": "08:00", "closes": "17:00", "weekdays": [1, 2, 3, 4, 5, 6]},
            "vulnerable_window": {
                "opens": "08:00",
                "closes": "15:00",
                "weekdays": [1, 2, 3, 4, 5, 6],
            },
            "valid_from": "2006-05-01",
            "valid_to": None,
        }

    async def test_by_country(self, api):
        response = await api.get("inm.mx", "/v1/reception-points", country="SV")
        assert [p["code"] for p in response.json()["items"]] == [
            "SV-LA-HACHADURA",
            "SV-LAS-CHINAMAS",
        ]
