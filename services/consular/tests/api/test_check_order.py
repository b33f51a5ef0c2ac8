"""The order of checks on the write routes (POLICY.md): visibility first (404: the record's
existence never leaks), then permission (403), then state (409) and input (422) — also for a
body that fails validation — and no row lock for a caller who may not see the record. An
idempotent replay answers the stored body only while the caller may still see the record.
And no notice is ever refused to the reporting officer for a missing directory row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from puebla.runtime import Runtime

SUBMITTED = "repatriation.manifest.submitted.v1"
PROTECTION = "repatriation.returnee.protection_need_recorded.v1"
OPENED = "child.case.opened.v1"
NOTICE = "child.case.consular_notice.v1"
BLOCK_SET = "child.case.consular_block_set.v1"
BAD_DECISION = {"decision": "maybe", "colour": "red"}
MEMBERS = {"BZ", "CA", "CR", "DO", "SV", "GT", "HN", "MX", "NI", "PA", "US"}


async def verification(events: Any, consume: Any, api: Any) -> tuple[dict[str, Any], Any]:
    """A pending request for a Guatemalan returnee of a fresh manifest; (request, manifest)."""
    data = events.submitted([events.returnee("GT")])
    assert await consume(events.envelope(SUBMITTED, data)) == "applied"
    (found,) = (
        await api("consul.gt.tapachula").get(
            "/v1/verifications", params={"related_id": data["manifest_id"]}
        )
    ).json()["items"]
    return found, data


async def child_notice(events: Any, consume: Any, api: Any) -> tuple[dict[str, Any], str]:
    """The pending notice to Honduras's consulate of a fresh child case; (notice, case id)."""
    data: dict[str, Any] = events.example(OPENED)
    case_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    data.update(case_id=case_id, opened_at=now.isoformat())
    assert await consume(events.envelope(OPENED, data, access=["HN", "MX"])) == "applied"
    told = events.envelope(NOTICE, events.child_notice(data), access=["HN", "MX"])
    assert await consume(told) == "applied"
    (notice,) = (
        await api("consul.hn.tapachula").get("/v1/notifications", params={"related_id": case_id})
    ).json()["items"]
    return notice, case_id


@asynccontextmanager
async def row_locked(runtime: Runtime, table: str, record_id: str) -> AsyncIterator[None]:
    """Another transaction holds the record's row lock meanwhile."""
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            text(f"SELECT id FROM {table} WHERE id = :i FOR UPDATE"),
            {"i": uuid.UUID(record_id)},
        )
        yield


class TestDecisionCheckOrder:
    async def test_an_invalid_body_answers_404_then_403_then_422(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        v, _ = await verification(events, consume, api)
        url = f"/v1/verifications/{v['id']}/decision"
        hidden = await api("consul.sv.tapachula").post(url, json=BAD_DECISION)
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == "application/problem+json"
        unknown = await api("consul.gt.tapachula").post(
            f"/v1/verifications/{uuid.uuid4()}/decision", json=BAD_DECISION
        )
        assert unknown.status_code == 404
        assert unknown.json() == {**hidden.json(), "instance": unknown.json()["instance"]}
        not_allowed = await api("inm.mx").post(url, json=BAD_DECISION)
        assert not_allowed.status_code == 403
        assert not_allowed.json()["rule"] == "consul_of_nationality_only"
        invalid = await api("consul.gt.tapachula").post(url, json=BAD_DECISION)
        assert invalid.status_code == 422
        assert {e["field"] for e in invalid.json()["errors"]} == {"decision", "colour"}

    async def test_a_request_withdrawn_for_protection_answers_404_to_its_consul_whatever_the_body(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        v, data = await verification(events, consume, api)
        protected: dict[str, Any] = events.example(PROTECTION)
        protected.update(
            manifest_id=data["manifest_id"],
            returnee_ids=[v["related"]["returnee_id"]],
            returnee_count=0,
            version=3,
        )
        await consume(events.envelope(PROTECTION, protected, access=["MX"]))
        url = f"/v1/verifications/{v['id']}/decision"
        for body in (BAD_DECISION, {"decision": "confirmed"}):
            assert (await api("consul.gt.tapachula").post(url, json=body)).status_code == 404

    async def test_a_caller_who_may_not_see_it_takes_no_lock_on_it(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        v, _ = await verification(events, consume, api)
        url = f"/v1/verifications/{v['id']}/decision"
        async with row_locked(runtime, "verification", v["id"]):
            # Answered while another transaction holds the row: visibility needs no lock.
            hidden = await asyncio.wait_for(
                api("consul.sv.tapachula").post(url, json={"decision": "confirmed"}), timeout=10
            )
        assert hidden.status_code == 404


class TestAcknowledgeCheckOrder:
    async def test_404_for_another_consul_403_for_the_reporting_side_without_a_lock(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        notice, _ = await child_notice(events, consume, api)
        url = f"/v1/notifications/{notice['id']}/acknowledge"
        async with row_locked(runtime, "notification", notice["id"]):
            hidden = await asyncio.wait_for(api("consul.gt.tapachula").post(url), timeout=10)
            not_allowed = await asyncio.wait_for(api("dif.mx").post(url), timeout=10)
        assert hidden.status_code == 404
        assert not_allowed.status_code == 403
        assert not_allowed.json()["rule"] == "consul_of_nationality_only"


class TestReplaysRecheckVisibility:
    async def test_an_acknowledgment_replayed_after_a_block_answers_404(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        notice, case_id = await child_notice(events, consume, api)
        consul = api("consul.hn.tapachula")
        url = f"/v1/notifications/{notice['id']}/acknowledge"
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await consul.post(url, headers=key)
        assert first.status_code == 200
        replayed = await consul.post(url, headers=key)
        assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (200, "true")
        blocked: dict[str, Any] = events.example(BLOCK_SET)
        blocked.update(case_id=case_id, blocked_at=datetime.now(UTC).isoformat())
        assert await consume(events.envelope(BLOCK_SET, blocked, access=["MX"])) == "applied"
        after = await consul.post(url, headers=key)
        assert after.status_code == 404
        assert "Kevin" not in after.text

    async def test_a_decision_replayed_after_a_protection_need_answers_404(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        v, data = await verification(events, consume, api)
        consul = api("consul.gt.tapachula")
        url = f"/v1/verifications/{v['id']}/decision"
        key = {"Idempotency-Key": str(uuid.uuid4())}
        assert (await consul.post(url, json={"decision": "confirmed"}, headers=key)).is_success
        protected: dict[str, Any] = events.example(PROTECTION)
        protected.update(
            manifest_id=data["manifest_id"],
            returnee_ids=[v["related"]["returnee_id"]],
            returnee_count=0,
            version=3,
        )
        await consume(events.envelope(PROTECTION, protected, access=["MX"]))
        after = await consul.post(url, json={"decision": "confirmed"}, headers=key)
        assert after.status_code == 404
        assert "Persona" not in after.text
        assert "López" not in after.text


class TestNoNoticeIsDropped:
    async def test_a_report_for_a_nationality_without_a_post_is_201_unroutable(
        self, api: Any
    ) -> None:
        body = {
            "kind": "detention",
            "person": {
                "given_names": "Luis",
                "surnames": f"Pérez {uuid.uuid4().hex[:8]}",
                "sex": "M",
                "date_of_birth": "1988-01-05",
                "nationality": "VE",  # no Venezuelan post in the directory
            },
            "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
            "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "protection_need": False,
            "person_requests_notification": True,
        }
        answer = await api("inm.mx").post("/v1/notifications", json=body)
        assert answer.status_code == 201
        n = answer.json()
        assert (n["status"], n["consular_post"], n["deliveries"]) == ("unroutable", None, [])
        assert (await api("audit.rcm").get(f"/v1/notifications/{n['id']}")).status_code == 200
        for consul in ("consul.gt.tapachula", "consul.hn.tapachula"):
            assert (await api(consul).get(f"/v1/notifications/{n['id']}")).status_code == 404
        listed = await api("inm.mx").get(
            "/v1/notifications", params={"status": "unroutable", "limit": 200}
        )
        assert n["id"] in {i["id"] for i in listed.json()["items"]}
        counts = await api("inm.mx").get("/v1/operations/counts")
        assert counts.json()["unroutable_notifications"] >= 1

    async def test_the_directory_has_every_member_state_in_every_other_one(self, api: Any) -> None:
        for host in sorted(MEMBERS):
            posts = (
                await api("consul.gt.tapachula").get(
                    "/v1/consular-posts", params={"host_country": host}
                )
            ).json()["items"]
            assert {p["country"] for p in posts} == MEMBERS - {host}, host
            assert all(p["placeholder"] for p in posts)
            assert all(p["email"].endswith(".example") for p in posts)
