"""Nationality verification over HTTP: requests made from a submitted manifest, decided by a
consul of the claimed nationality only; the decision is published for repatriation."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from puebla.runtime import Runtime

SUBMITTED = "repatriation.manifest.submitted.v1"


async def manifest(events: Any, consume: Any, *nationalities: str) -> dict[str, Any]:
    """A fresh manifest to Guatemala, consumed by the worker's handler; its data."""
    returnees = [
        events.returnee(n, given_names=f"Persona {i}") for i, n in enumerate(nationalities)
    ]
    access = sorted({"MX", "GT", *nationalities})
    data: dict[str, Any] = events.submitted(returnees)
    assert await consume(events.envelope(SUBMITTED, data, access=access)) == "applied"
    return data


async def pending_for(api: Any, user: str, manifest_id: str) -> list[dict[str, Any]]:
    answer = await api(user).get(
        "/v1/verifications", params={"status": "pending", "related_id": manifest_id}
    )
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def published(runtime: Runtime, verification_id: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT type, payload FROM outbox WHERE aggregateid = :a ORDER BY created_at"),
            {"a": verification_id},
        )
        return [{"type": r.type, **r.payload} for r in rows]


class TestListVerifications:
    async def test_the_consul_sees_one_request_per_returnee_of_their_nationality(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        data = await manifest(events, consume, "GT", "GT", "HN")
        mine = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        first = data["returnees"][0]
        assert len(mine) == 2
        by_returnee = {v["related"]["returnee_id"]: v for v in mine}
        assert set(by_returnee) == {r["returnee_id"] for r in data["returnees"][:2]}
        one = by_returnee[first["returnee_id"]]
        assert one["status"] == "pending"
        assert one["claimed_nationality"] == "GT"
        assert one["host_country"] == "MX"
        assert one["person"] == {
            "given_names": "Persona 0",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1994-05-17",
        }
        assert one["related"] == {
            "service": "repatriation",
            "id": data["manifest_id"],
            "returnee_id": first["returnee_id"],
        }
        assert (one["decided_by"], one["decided_at"], one["reason"]) == (None, None, None)
        honduran = await pending_for(api, "consul.hn.tapachula", data["manifest_id"])
        assert [v["related"]["returnee_id"] for v in honduran] == [
            data["returnees"][2]["returnee_id"]
        ]
        assert await pending_for(api, "consul.sv.tapachula", data["manifest_id"]) == []
        sending_side = await pending_for(api, "inm.mx", data["manifest_id"])
        assert len(sending_side) == 3

    async def test_a_consul_of_another_country_gets_404_on_one(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        assert (
            await api("consul.gt.tapachula").get(f"/v1/verifications/{v['id']}")
        ).status_code == 200
        assert (
            await api("consul.sv.tapachula").get(f"/v1/verifications/{v['id']}")
        ).status_code == 404


class TestDecideVerification:
    async def test_the_guatemalan_consul_confirms_and_the_decision_is_published(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        url = f"/v1/verifications/{v['id']}/decision"
        answer = await api("consul.gt.tapachula").post(url, json={"decision": "confirmed"})
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "confirmed"
        assert body["decided_by"] == "consul.gt.tapachula"
        assert body["reason"] is None
        again = await api("consul.gt.tapachula").post(url, json={"decision": "confirmed"})
        assert again.status_code == 200
        assert again.json()["version"] == body["version"]
        (event,) = await published(runtime, v["id"])
        assert event["type"] == "consular.nationality.confirmed.v1"
        assert event["access"] == ["GT", "MX"]
        assert event["data"]["related"] == {
            "service": "repatriation",
            "id": data["manifest_id"],
            "subject_id": data["returnees"][0]["returnee_id"],
        }
        assert event["data"]["claimed_nationality"] == "GT"
        assert event["data"]["decided_by"] == "consul.gt.tapachula"
        assert await pending_for(api, "consul.gt.tapachula", data["manifest_id"]) == []

    async def test_a_rejection_needs_a_reason_and_is_published_with_it(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        url = f"/v1/verifications/{v['id']}/decision"
        bare = await api("consul.gt.tapachula").post(url, json={"decision": "rejected"})
        assert bare.status_code == 422
        assert bare.json()["errors"][0]["field"] == "reason"
        assert bare.json()["errors"][0]["rule"] == "reason_required"
        answer = await api("consul.gt.tapachula").post(
            url, json={"decision": "rejected", "reason": "Not a Guatemalan national"}
        )
        assert answer.status_code == 200
        assert (answer.json()["status"], answer.json()["reason"]) == (
            "rejected",
            "Not a Guatemalan national",
        )
        (event,) = await published(runtime, v["id"])
        assert event["type"] == "consular.nationality.rejected.v1"
        assert event["data"]["reason"] == "Not a Guatemalan national"

    async def test_a_different_second_decision_is_409(
        self, api: Any, events: Any, consume: Any
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        url = f"/v1/verifications/{v['id']}/decision"
        await api("consul.gt.tapachula").post(url, json={"decision": "confirmed"})
        answer = await api("consul.gt.tapachula").post(
            url, json={"decision": "rejected", "reason": "changed my mind"}
        )
        assert answer.status_code == 409
        assert answer.json()["rule"] == "verification_already_decided"

    async def test_only_a_consul_of_the_claimed_nationality_decides(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        url = f"/v1/verifications/{v['id']}/decision"
        other = await api("consul.sv.tapachula").post(url, json={"decision": "confirmed"})
        assert other.status_code == 404
        sending = await api("inm.mx").post(url, json={"decision": "confirmed"})
        assert sending.status_code == 403
        assert sending.json()["rule"] == "consul_of_nationality_only"
        assert await published(runtime, v["id"]) == []

    async def test_an_unknown_decision_is_422(self, api: Any, events: Any, consume: Any) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        answer = await api("consul.gt.tapachula").post(
            f"/v1/verifications/{v['id']}/decision", json={"decision": "maybe", "note": "x"}
        )
        assert answer.status_code == 422
        assert {e["field"] for e in answer.json()["errors"]} == {"decision", "note"}


class TestConcurrentDecisions:
    async def test_a_confirmation_and_a_rejection_at_once_one_wins_whole(
        self, api: Any, events: Any, consume: Any, runtime: Runtime
    ) -> None:
        data = await manifest(events, consume, "GT")
        (v,) = await pending_for(api, "consul.gt.tapachula", data["manifest_id"])
        consul = api("consul.gt.tapachula")
        url = f"/v1/verifications/{v['id']}/decision"
        confirm, reject = await asyncio.gather(
            consul.post(url, json={"decision": "confirmed"}),
            consul.post(url, json={"decision": "rejected", "reason": "no record"}),
        )
        assert sorted([confirm.status_code, reject.status_code]) == [200, 409]
        winner = confirm if confirm.status_code == 200 else reject
        (event,) = await published(runtime, v["id"])
        assert event["type"] == f"consular.nationality.{winner.json()['status']}.v1"
        final = (await consul.get(f"/v1/verifications/{v['id']}")).json()
        assert final["status"] == winner.json()["status"]
