"""`POST /v1/notifications/{id}/actions` over HTTP with real tokens (POLICY.md: "record consular
access or a visit: consular_officer whose country = the person's nationality"; DOMAIN.md §4: an
action is refused when the person objected). The order of checks: 404 (may not see), 403 (may
see, may not act), then 409 (state) and 422 (input)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text

from puebla.runtime import Runtime

DETAINED_AT = (datetime.now(UTC) - timedelta(hours=6)).replace(microsecond=0)
VISITED_AT = DETAINED_AT + timedelta(hours=4, minutes=30)
CONSUL = "consul.gt.tapachula"
BAD = {"kind": "phone_call", "at": VISITED_AT.isoformat(), "colour": "red"}


def visit(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "visit",
        "at": VISITED_AT.isoformat(),
        "notes": "Estación Siglo XXI",
        **overrides,
    }


async def reported(api: Any, **overrides: Any) -> dict[str, Any]:
    """A Guatemalan detained in Tapachula six hours ago who asked for his consulate."""
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
        "occurred_at": DETAINED_AT.isoformat(),
        "protection_need": False,
        "person_requests_notification": True,
        **overrides,
    }
    answer = await api("inm.mx").post("/v1/notifications", json=body)
    assert answer.status_code == 201, answer.text
    n: dict[str, Any] = answer.json()
    return n


def url(n: dict[str, Any]) -> str:
    return f"/v1/notifications/{n['id']}/actions"


async def rows(runtime: Runtime, sql: str, **params: Any) -> list[Any]:
    async with runtime.sessions() as session:
        return list((await session.execute(text(sql), params)).all())


def field_rules(answer: Any) -> set[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return {(e["field"], e["rule"]) for e in answer.json()["errors"]}


class TestRecord:
    async def test_the_consul_records_a_visit_shown_on_the_hosts_clock(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        answer = await api(CONSUL).post(url(n), json=visit())
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["id"] == n["id"]
        assert body["version"] == n["version"] + 1
        (action,) = body["actions"]
        recorded_at = datetime.fromisoformat(action["recorded_at"])
        assert {k: v for k, v in action.items() if k != "recorded_at"} == {
            "kind": "visit",
            "at": VISITED_AT.astimezone(timezone(timedelta(hours=-6))).isoformat(),
            "notes": "Estación Siglo XXI",
            "by": CONSUL,
        }
        assert action["at"].endswith("-06:00")
        assert action["recorded_at"].endswith("-06:00")
        assert abs(recorded_at - datetime.now(UTC)) < timedelta(minutes=1)
        read = await api(CONSUL).get(f"/v1/notifications/{n['id']}")
        assert read.json()["actions"] == [action]
        assert read.json()["status"] == "pending"  # recording an action acknowledges nothing

    async def test_the_reporting_side_sees_what_was_done_but_not_the_consulates_notes(
        self, api: Any
    ) -> None:
        n = await reported(api)
        assert (await api(CONSUL).post(url(n), json=visit())).status_code == 201
        (seen,) = (await api("inm.mx").get(f"/v1/notifications/{n['id']}")).json()["actions"]
        assert (seen["kind"], seen["by"], seen["notes"]) == ("visit", CONSUL, None)

    async def test_in_the_audit_trail_without_notes_and_no_event_leaves(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        body = (await api(CONSUL).post(url(n), json=visit())).json()
        (entry,) = await rows(
            runtime,
            "SELECT actor, detail FROM audit WHERE entity_type = 'notification'"
            " AND entity_id = :n AND action = 'notification.consular_action_recorded'",
            n=n["id"],
        )
        assert entry.actor == CONSUL
        assert entry.detail["action"] == "visit"
        assert entry.detail["by"] == CONSUL
        assert entry.detail["version"] == body["version"]
        assert datetime.fromisoformat(entry.detail["at"]) == VISITED_AT
        assert "Siglo" not in str(entry.detail)
        outbox = await rows(runtime, "SELECT type FROM outbox WHERE aggregateid = :n", n=n["id"])
        assert outbox == []

    async def test_an_acknowledged_notice_takes_actions_too_and_they_accumulate(
        self, api: Any
    ) -> None:
        n = await reported(api)
        consul = api(CONSUL)
        assert (await consul.post(f"/v1/notifications/{n['id']}/acknowledge")).status_code == 200
        access = {"kind": "access", "at": DETAINED_AT.isoformat()}
        assert (await consul.post(url(n), json=access)).status_code == 201
        second = await consul.post(url(n), json=visit(notes=None))
        assert second.status_code == 201
        assert [(a["kind"], a["notes"]) for a in second.json()["actions"]] == [
            ("access", None),
            ("visit", None),
        ]

    async def test_the_same_idempotency_key_records_it_once(self, api: Any) -> None:
        n = await reported(api)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await api(CONSUL).post(url(n), json=visit(), headers=key)
        again = await api(CONSUL).post(url(n), json=visit(), headers=key)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        read = await api(CONSUL).get(f"/v1/notifications/{n['id']}")
        assert len(read.json()["actions"]) == 1


class TestWhoMay:
    async def test_another_consulate_gets_404_whatever_the_body_and_nothing_changes(
        self, api: Any
    ) -> None:
        n = await reported(api)
        for body in (visit(), BAD):
            hidden = await api("consul.sv.tapachula").post(url(n), json=body)
            assert hidden.status_code == 404
            assert hidden.json()["detail"] == "The notification was not found."
        absent = await api(CONSUL).post(f"/v1/notifications/{uuid.uuid4()}/actions", json=BAD)
        assert absent.status_code == 404
        assert (await api(CONSUL).get(f"/v1/notifications/{n['id']}")).json()["actions"] == []

    async def test_the_reporting_side_sees_it_but_gets_403_before_its_body_is_judged(
        self, api: Any
    ) -> None:
        n = await reported(api)
        for body in (visit(), BAD):
            answer = await api("inm.mx").post(url(n), json=body)
            assert answer.status_code == 403
            assert answer.json()["rule"] == "consul_of_nationality_only"

    async def test_404_and_403_are_answered_without_waiting_for_the_rows_lock(
        self, api: Any, runtime: Runtime
    ) -> None:
        n = await reported(api)
        async with runtime.sessions() as session, session.begin():
            await session.execute(
                text("SELECT id FROM notification WHERE id = :i FOR UPDATE"),
                {"i": uuid.UUID(n["id"])},
            )
            hidden = await asyncio.wait_for(
                api("consul.sv.tapachula").post(url(n), json=visit()), timeout=10
            )
            not_allowed = await asyncio.wait_for(api("inm.mx").post(url(n), json=visit()), 10)
        assert (hidden.status_code, not_allowed.status_code) == (404, 403)

    async def test_a_suppressed_notice_is_404_to_the_consul_of_the_nationality(
        self, api: Any
    ) -> None:
        n = await reported(api, protection_need=True)
        assert (await api(CONSUL).post(url(n), json=visit())).status_code == 404


class TestRefused:
    async def test_the_persons_objection_is_409_do_not_act(self, api: Any) -> None:
        n = await reported(api, person_objects_to_consular_action=True)
        assert n["do_not_act"] is True
        answer = await api(CONSUL).post(url(n), json=visit())
        assert answer.status_code == 409
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["rule"] == "do_not_act"
        assert (await api(CONSUL).get(f"/v1/notifications/{n['id']}")).json()["actions"] == []

    async def test_a_withdrawn_notice_is_409_notification_withdrawn(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        approved: dict[str, Any] = events.example("fund.application.approved.v1")
        approved.update(application_id=str(uuid.uuid4()), approved_at=events.clock().isoformat())
        await consume(
            events.envelope("fund.application.approved.v1", approved, access=["GT", "IOM"])
        )
        cancelled: dict[str, Any] = events.example("fund.application.cancelled.v1")
        cancelled.update(
            application_id=approved["application_id"], cancelled_at=events.clock().isoformat()
        )
        taken_back = events.envelope(
            "fund.application.cancelled.v1", cancelled, access=["GT", "IOM"]
        )
        assert await consume(taken_back) == "applied"
        (notice,) = (
            await api(CONSUL).get(
                "/v1/notifications", params={"related_id": approved["application_id"]}
            )
        ).json()["items"]
        assert notice["status"] == "withdrawn"
        answer = await api(CONSUL).post(url(notice), json=visit(at=notice["occurred_at"]))
        assert answer.status_code == 409
        assert answer.json()["rule"] == "notification_withdrawn"

    async def test_a_bad_kind_and_an_unknown_field_are_422_naming_each(self, api: Any) -> None:
        n = await reported(api)
        rules = field_rules(await api(CONSUL).post(url(n), json=BAD))
        assert {field for field, _ in rules} == {"kind", "colour"}
        assert ("colour", "extra_forbidden") in rules

    async def test_a_time_ahead_is_422_occurred_in_future(self, api: Any) -> None:
        n = await reported(api)
        later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        answer = await api(CONSUL).post(url(n), json=visit(at=later))
        assert field_rules(answer) == {("at", "occurred_in_future")}

    async def test_a_time_before_the_detention_is_422_before_occurred_at(self, api: Any) -> None:
        n = await reported(api)
        earlier = (DETAINED_AT - timedelta(minutes=1)).isoformat()
        answer = await api(CONSUL).post(url(n), json=visit(at=earlier))
        assert field_rules(answer) == {("at", "before_occurred_at")}

    async def test_times_without_offset_out_of_range_or_as_numbers_are_422(self, api: Any) -> None:
        n = await reported(api)
        consul = api(CONSUL)
        naive = await consul.post(url(n), json=visit(at="2026-03-10T09:00:00"))
        assert field_rules(naive) == {("at", "timezone_aware")}
        far = await consul.post(url(n), json=visit(at="3000-01-01T00:00:00+00:00"))
        assert field_rules(far) == {("at", "datetime_out_of_range")}
        number = await consul.post(url(n), json=visit(at=1_800_000_000))
        assert field_rules(number) == {("at", "date_as_number")}

    async def test_notes_are_bounded(self, api: Any) -> None:
        n = await reported(api)
        answer = await api(CONSUL).post(url(n), json=visit(notes="a" * 2001))
        assert field_rules(answer) == {("notes", "string_too_long")}
