"""Notifications over HTTP with real tokens (POLICY.md "Consular notifications"): only an
immigration officer of the host country reports; the consul of the person's nationality sees
and acknowledges; every other consul gets 404, as for a record that does not exist."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from puebla.runtime import Runtime

RECENT = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)


def report(**overrides: Any) -> dict[str, Any]:
    """A Guatemalan detained in Tapachula two hours ago, who asked for his consulate; the
    surname is unique so each test finds its own record."""
    body: dict[str, Any] = {
        "kind": "detention",
        "person": {
            "given_names": "Juan Carlos",
            "surnames": f"López {uuid.uuid4().hex[:8]}",
            "sex": "M",
            "date_of_birth": "1990-04-02",
            "nationality": "GT",
        },
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "occurred_at": RECENT.isoformat(),
        "protection_need": False,
        "person_requests_notification": True,
    }
    for key, value in overrides.items():
        if key in ("person", "place"):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


async def reported(api: Any, **overrides: Any) -> dict[str, Any]:
    answer = await api("inm.mx").post("/v1/notifications", json=report(**overrides))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def outbox(runtime: Runtime, aggregate_id: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT type, payload FROM outbox WHERE aggregateid = :a ORDER BY created_at"),
            {"a": aggregate_id},
        )
        return [{"type": r.type, **r.payload} for r in rows]


class TestReportNotification:
    async def test_a_requested_detention_is_routed_to_the_consulate_covering_chiapas(
        self, api: Any
    ) -> None:
        body = report()
        answer = await api("inm.mx").post("/v1/notifications", json=body)
        assert answer.status_code == 201
        n = answer.json()
        assert n["kind"] == "detention"
        assert n["status"] == "pending"
        assert n["nationality"] == "GT"
        assert n["host_country"] == "MX"
        assert n["consular_post"] == "GT-CONS-TAPACHULA"
        assert n["suppression_reason"] is None
        assert n["person"] == {
            "given_names": "Juan Carlos",
            "surnames": body["person"]["surnames"],
            "sex": "M",
            "date_of_birth": "1990-04-02",
        }
        assert n["place"] == {"country": "MX", "state": "Chiapas", "city": "Tapachula"}
        assert n["reference"].startswith("CN-MX-GT-")
        assert n["time_zone"] == "America/Mexico_City"
        # Clocks from the detention, on Mexico's clock (UTC-6, no daylight saving time).
        occurred = datetime.fromisoformat(n["occurred_at"])
        assert occurred == RECENT
        assert n["occurred_at"].endswith("-06:00")
        assert datetime.fromisoformat(n["due_at"]) - occurred == timedelta(hours=24)
        assert datetime.fromisoformat(n["ack_due_at"]) - occurred == timedelta(hours=72)
        assert n["person_requests_notification"] is True
        assert n["do_not_act"] is False
        assert n["overdue"] is False
        assert n["acknowledged_at"] is None
        # Delivered in the consulate's inbox at once; the e-mail waits for the worker.
        assert [(d["channel"], d["status"]) for d in n["deliveries"]] == [
            ("in_app", "sent"),
            ("email", "pending"),
        ]
        assert n["sent_at"] is not None

    async def test_a_death_in_veracruz_goes_to_the_acayucan_consulate(self, api: Any) -> None:
        n = await reported(
            api,
            kind="death",
            person_requests_notification=None,
            person={"nationality": "SV"},
            place={"state": "MX-VER", "city": "Acayucan"},
        )
        assert (n["status"], n["consular_post"]) == ("pending", "SV-CONS-ACAYUCAN")

    async def test_an_unknown_state_falls_back_to_the_embassy(self, api: Any) -> None:
        n = await reported(
            api, kind="accident", person_requests_notification=None, place={"state": None}
        )
        assert n["consular_post"] == "GT-EMB-MEXICO"

    async def test_an_immigration_officer_of_another_country_may_not_report_in_mexico(
        self, api: Any
    ) -> None:
        answer = await api("igm.gt").post("/v1/notifications", json=report())
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["rule"] == "host_immigration_officer_only"

    async def test_a_consul_may_not_report(self, api: Any) -> None:
        answer = await api("consul.gt.tapachula").post("/v1/notifications", json=report())
        assert answer.status_code == 403

    async def test_a_protection_need_is_recorded_suppressed_with_the_reason_for_the_reporter(
        self, api: Any
    ) -> None:
        n = await reported(api, protection_need=True)
        assert n["status"] == "suppressed"
        assert n["suppression_reason"] == "protection_need"
        assert n["consular_post"] is None
        assert n["due_at"] is None
        assert n["deliveries"] == []
        assert n["sent_at"] is None

    async def test_a_detention_not_asked_for_nor_mandatory_is_not_sent(self, api: Any) -> None:
        # Colombia is not an RCM member: Mexico's table has no row for it.
        n = await reported(api, person_requests_notification=False, person={"nationality": "CO"})
        assert (n["status"], n["suppression_reason"]) == ("suppressed", "not_requested")

    async def test_mexico_notifies_a_detained_national_of_a_member_state_by_default(
        self, api: Any
    ) -> None:
        for nationality in ("GT", "HN", "SV", "NI", "CR", "PA", "BZ", "DO", "CA", "US"):
            n = await reported(
                api, person_requests_notification=False, person={"nationality": nationality}
            )
            assert (n["status"], n["mandatory"]) == ("pending", True), nationality
            assert n["consular_post"] is not None

    async def test_a_mandatory_detention_with_a_protection_need_is_not_sent(self, api: Any) -> None:
        n = await reported(api, person_requests_notification=False, protection_need=True)
        assert (n["status"], n["suppression_reason"]) == ("suppressed", "protection_need")

    async def test_a_mandatory_detention_records_and_shows_the_persons_objection(
        self, api: Any
    ) -> None:
        n = await reported(
            api, person_requests_notification=False, person_objects_to_consular_action=True
        )
        assert (n["status"], n["mandatory"], n["do_not_act"]) == ("pending", True, True)
        seen = await api("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")
        assert seen.json()["do_not_act"] is True

    async def test_a_host_national_is_never_notified_about(self, api: Any) -> None:
        n = await reported(api, person={"nationality": "MX"})
        assert (n["status"], n["suppression_reason"]) == ("suppressed", "host_national")

    async def test_the_objection_to_consular_action_is_shown_to_the_consul(self, api: Any) -> None:
        n = await reported(api, person_objects_to_consular_action=True)
        assert n["status"] == "pending"
        assert n["do_not_act"] is True

    async def test_a_detention_without_the_persons_wish_is_422(self, api: Any) -> None:
        answer = await api("inm.mx").post(
            "/v1/notifications", json=report(person_requests_notification=None)
        )
        assert answer.status_code == 422
        assert answer.json()["errors"] == [
            {
                "field": "person_requests_notification",
                "rule": "required_for_detention",
                "message": "say whether the detained person asked for notification",
            }
        ]

    async def test_the_wish_on_a_death_is_422(self, api: Any) -> None:
        answer = await api("inm.mx").post(
            "/v1/notifications", json=report(kind="death", person_requests_notification=True)
        )
        assert answer.status_code == 422
        error = answer.json()["errors"][0]
        assert (error["field"], error["rule"]) == (
            "person_requests_notification",
            "only_for_detention",
        )

    async def test_a_kind_from_another_service_cannot_be_reported(self, api: Any) -> None:
        answer = await api("inm.mx").post(
            "/v1/notifications", json=report(kind="repatriation_notice")
        )
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "kind"

    async def test_unknown_fields_and_bad_values_are_422_naming_each_field(self, api: Any) -> None:
        body = report(person={"nationality": "Guatemala", "eye_colour": "brown"})
        body["occurred_at"] = "2026-03-10T09:00:00"  # no offset
        body["protection_need"] = "no"
        answer = await api("inm.mx").post("/v1/notifications", json=body)
        assert answer.status_code == 422
        fields = {e["field"] for e in answer.json()["errors"]}
        assert fields == {
            "person.nationality",
            "person.eye_colour",
            "occurred_at",
            "protection_need",
        }

    async def test_a_future_detention_is_422(self, api: Any) -> None:
        later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
        answer = await api("inm.mx").post("/v1/notifications", json=report(occurred_at=later))
        assert answer.status_code == 422
        error = answer.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("occurred_at", "occurred_in_future")

    async def test_the_same_idempotency_key_returns_the_first_notification(self, api: Any) -> None:
        body = report()
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await api("inm.mx").post("/v1/notifications", json=body, headers=key)
        again = await api("inm.mx").post("/v1/notifications", json=body, headers=key)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        mine = await api("inm.mx").get("/v1/notifications", params={"limit": 200})
        surnames = [i["person"]["surnames"] for i in mine.json()["items"] if i["person"]]
        assert surnames.count(body["person"]["surnames"]) == 1


class TestReadNotification:
    async def test_the_guatemalan_consul_sees_it_without_any_suppression_detail(
        self, api: Any
    ) -> None:
        n = await reported(api)
        answer = await api("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")
        assert answer.status_code == 200
        assert answer.json()["id"] == n["id"]
        assert answer.json()["suppression_reason"] is None

    async def test_consuls_of_other_countries_and_other_roles_get_404(self, api: Any) -> None:
        n = await reported(api)
        for user in ("consul.sv.tapachula", "consul.hn.tapachula", "igm.gt", "dif.mx", "audit.rcm"):
            answer = await api(user).get(f"/v1/notifications/{n['id']}")
            assert answer.status_code == 404, user
            assert answer.json()["detail"] == "The notification was not found."

    async def test_a_suppressed_one_is_404_to_the_consul_of_the_nationality(self, api: Any) -> None:
        n = await reported(api, protection_need=True)
        answer = await api("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")
        assert answer.status_code == 404
        absent = await api("consul.gt.tapachula").get(f"/v1/notifications/{uuid.uuid4()}")
        assert answer.json()["detail"] == absent.json()["detail"]
        assert (await api("inm.mx").get(f"/v1/notifications/{n['id']}")).status_code == 200


class TestListNotifications:
    async def test_each_consul_lists_only_the_notifications_about_their_nationals(
        self, api: Any
    ) -> None:
        gt = await reported(api)
        sv = await reported(api, person={"nationality": "SV"})
        hidden = await reported(api, protection_need=True)
        gt_list = (await api("consul.gt.tapachula").get("/v1/notifications")).json()["items"]
        assert {i["nationality"] for i in gt_list} == {"GT"}
        # Never a suppressed or unroutable one; one its reporter took back (a cancelled Fund
        # return) stays in the consul's list as withdrawn.
        assert {i["status"] for i in gt_list} <= {"pending", "acknowledged", "withdrawn"}
        gt_ids = {i["id"] for i in gt_list}
        assert gt["id"] in gt_ids
        assert sv["id"] not in gt_ids
        assert hidden["id"] not in gt_ids
        sv_list = (await api("consul.sv.tapachula").get("/v1/notifications")).json()["items"]
        assert {i["nationality"] for i in sv_list} == {"SV"}
        assert sv["id"] in {i["id"] for i in sv_list}

    async def test_the_host_immigration_office_lists_what_was_reported_with_the_reasons(
        self, api: Any
    ) -> None:
        hidden = await reported(api, protection_need=True)
        answer = await api("inm.mx").get("/v1/notifications", params={"status": "suppressed"})
        items = answer.json()["items"]
        assert {i["status"] for i in items} == {"suppressed"}
        mine = next(i for i in items if i["id"] == hidden["id"])
        assert mine["suppression_reason"] == "protection_need"
        other_office = await api("igm.gt").get("/v1/notifications")
        assert hidden["id"] not in {i["id"] for i in other_office.json()["items"]}

    async def test_keyset_pages_follow_each_other_without_repeats(self, api: Any) -> None:
        for _ in range(3):
            await reported(api)
        first = (
            await api("consul.gt.tapachula").get("/v1/notifications", params={"limit": 2})
        ).json()
        assert len(first["items"]) == 2
        assert first["next_cursor"]
        second = (
            await api("consul.gt.tapachula").get(
                "/v1/notifications", params={"limit": 2, "cursor": first["next_cursor"]}
            )
        ).json()
        assert len(second["items"]) == 2
        page_one = [i["id"] for i in first["items"]]
        page_two = [i["id"] for i in second["items"]]
        assert not set(page_one) & set(page_two)
        created = [i["created_at"] for i in first["items"] + second["items"]]
        assert created == sorted(created, reverse=True)

    async def test_a_bad_status_or_cursor_is_422(self, api: Any) -> None:
        bad_status = await api("inm.mx").get("/v1/notifications", params={"status": "late"})
        assert bad_status.status_code == 422
        assert bad_status.json()["errors"][0]["field"] == "status"
        bad_cursor = await api("inm.mx").get("/v1/notifications", params={"cursor": "xyz"})
        assert bad_cursor.status_code == 422
        assert bad_cursor.json()["errors"][0]["rule"] == "invalid_cursor"

    async def test_nobody_else_sees_any(self, api: Any) -> None:
        # (IOM's Fund staff see the Reserve Fund returns' notices: they report them.)
        answer = await api("border.gt.tecun").get("/v1/notifications")
        assert answer.status_code == 200
        assert answer.json() == {"items": [], "next_cursor": None}


class TestAcknowledgeNotification:
    async def test_the_guatemalan_consul_acknowledges_once_and_it_is_published(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        url = f"/v1/notifications/{n['id']}/acknowledge"
        answer = await api("consul.gt.tapachula").post(url)
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "acknowledged"
        assert body["acknowledged_by"] == "consul.gt.tapachula"
        assert body["acknowledged_at"].endswith("-06:00")
        again = await api("consul.gt.tapachula").post(url)
        assert again.status_code == 200
        assert again.json()["acknowledged_at"] == body["acknowledged_at"]
        assert again.json()["version"] == body["version"]
        events = await outbox(runtime, n["id"])
        assert [e["type"] for e in events] == ["consular.notification.acknowledged.v1"]
        assert events[0]["access"] == ["GT", "MX"]
        assert events[0]["data"]["acknowledged_by"] == "consul.gt.tapachula"
        assert events[0]["data"]["consular_post"] == "GT-CONS-TAPACHULA"
        assert events[0]["data"]["kind"] == "detention"
        listed = await api("consul.gt.tapachula").get(
            "/v1/notifications", params={"status": "acknowledged", "limit": 200}
        )
        assert n["id"] in {i["id"] for i in listed.json()["items"]}

    async def test_the_salvadoran_consul_gets_404_and_changes_nothing(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        answer = await api("consul.sv.tapachula").post(f"/v1/notifications/{n['id']}/acknowledge")
        assert answer.status_code == 404
        still = await api("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")
        assert still.json()["status"] == "pending"
        assert await outbox(runtime, n["id"]) == []

    async def test_the_reporting_office_sees_it_but_may_not_acknowledge(self, api: Any) -> None:
        n = await reported(api)
        answer = await api("inm.mx").post(f"/v1/notifications/{n['id']}/acknowledge")
        assert answer.status_code == 403
        assert answer.json()["rule"] == "consul_of_nationality_only"

    async def test_a_suppressed_one_cannot_be_acknowledged_even_by_its_nationality(
        self, api: Any
    ) -> None:
        n = await reported(api, protection_need=True)
        answer = await api("consul.gt.tapachula").post(f"/v1/notifications/{n['id']}/acknowledge")
        assert answer.status_code == 404


class TestConcurrentAcknowledgments:
    async def test_two_at_once_record_one_acknowledgment_and_one_event(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        consul = api("consul.gt.tapachula")
        url = f"/v1/notifications/{n['id']}/acknowledge"
        answers = await asyncio.gather(*(consul.post(url) for _ in range(4)))
        assert [a.status_code for a in answers] == [200, 200, 200, 200]
        assert len({a.json()["acknowledged_at"] for a in answers}) == 1
        events = await outbox(runtime, n["id"])
        assert [e["type"] for e in events] == ["consular.notification.acknowledged.v1"]
