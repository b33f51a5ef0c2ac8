"""The post's time of a hand-over (issue 16): a border post without a link records hand-overs on
the device and sends them later, each with `recorded_at`. The record, the manifest's arrival and
the event carry the post's time; `stored_at` is when Puebla got it.

The frozen clock stands at 2026-11-28 12:00 UTC when the manifest is dispatched; the tests move
it forward (the link came back) and put it back afterwards.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from puebla.clock import FrozenClock

PROBLEM = "application/problem+json"
DISPATCHED = "2026-11-28T12:00:00Z"  # the frozen clock's now when `api.dispatched` runs
POST_TIME = "2026-11-28T09:47:00-06:00"  # 15:47 UTC, at Tecún Umán
POST_TIME_UTC = "2026-11-28T15:47:00Z"
SENT = "2026-11-28T17:47:00Z"  # two hours later the link is back and the outbox is sent


@pytest.fixture
def clock(frozen_clock: FrozenClock) -> Iterator[FrozenClock]:
    frozen = frozen_clock
    start = frozen.now
    yield frozen
    frozen.now = start


def fields(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in response.json().get("errors", [])]


async def _handed_over_events(api: Any, manifest_id: str) -> list[dict[str, Any]]:
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT payload FROM outbox WHERE aggregateid = :m"
                " AND type = 'repatriation.returnee.handed_over.v1' ORDER BY created_at"
            ),
            {"m": manifest_id},
        )
        return [r[0] for r in rows]


async def _dispatched_then_later(api: Any, clock: FrozenClock, people: int = 2) -> dict[str, Any]:
    manifest: dict[str, Any] = await api.dispatched(
        api.manifest_body([api.returnee() for _ in range(people)])
    )
    assert manifest["dispatched_at"] == DISPATCHED
    clock.advance(timedelta(hours=5, minutes=47))  # now = SENT
    return manifest


class TestThePostsTime:
    async def test_the_record_shows_the_posts_time_and_when_puebla_stored_it(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        first = manifest["returnees"][0]["id"]
        path = f"/v1/manifests/{manifest['id']}"

        response = await api.post(
            "border.gt.tecun",
            f"{path}/handovers",
            {"items": [{"returnee_id": first, "outcome": "received", "recorded_at": POST_TIME}]},
        )

        assert response.status_code == 200, response.text
        (answered,) = response.json()["items"]
        assert (answered["recorded_at"], answered["stored_at"]) == (POST_TIME_UTC, SENT)
        record = (await api.get("igm.gt", f"{path}/handover-record")).json()
        (entry,) = [e for e in record["entries"] if e["returnee_id"] == first]
        assert (entry["recorded_at"], entry["stored_at"]) == (POST_TIME_UTC, SENT)
        # The bus was there when its first person was handed over, not when the link came back.
        assert (record["status"], record["arrived_at"]) == ("arrived", POST_TIME_UTC)
        pending = [e for e in record["entries"] if e["returnee_id"] != first]
        assert [(e["recorded_at"], e["stored_at"]) for e in pending] == [(None, None)]
        # The manifest's arrival.
        arrived_at = (await api.get("inm.mx", path)).json()["arrived_at"]
        assert datetime.fromisoformat(arrived_at) == datetime.fromisoformat(POST_TIME)
        # The event carries the post's time; its envelope the time Puebla stored it.
        (event,) = await _handed_over_events(api, manifest["id"])
        assert datetime.fromisoformat(event["data"]["recorded_at"]) == datetime.fromisoformat(
            POST_TIME
        )

    async def test_the_pdf_shows_the_posts_time(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        path = f"/v1/manifests/{manifest['id']}"
        item = {
            "returnee_id": manifest["returnees"][0]["id"],
            "outcome": "received",
            "recorded_at": POST_TIME,
        }
        recorded = await api.post("border.gt.tecun", f"{path}/handovers", {"items": [item]})
        assert recorded.status_code == 200, recorded.text

        response = await api.client.get(
            f"{path}/handover-record",
            headers={**api.headers("igm.gt"), "Accept": "application/pdf"},
        )

        assert response.status_code == 200
        whole = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        # 09:47 at the post: the arrival (named with its zone) and the person's line.
        assert whole.count("28/11/2026 09:47") == 2, whole
        assert "11:47" not in whole  # the time it reached Puebla is not the record's

    async def test_absent_is_the_servers_time(self, api, clock):
        manifest = await _dispatched_then_later(api, clock, people=1)
        first = manifest["returnees"][0]["id"]

        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {"items": [{"returnee_id": first, "outcome": "received"}]},
        )

        assert response.status_code == 200, response.text
        (answered,) = response.json()["items"]
        assert (answered["recorded_at"], answered["stored_at"]) == (SENT, SENT)
        record = (await api.get("igm.gt", f"/v1/manifests/{manifest['id']}/handover-record")).json()
        assert [(e["recorded_at"], e["stored_at"]) for e in record["entries"]] == [(SENT, SENT)]
        assert (record["arrived_at"], record["closed_at"]) == (SENT, SENT)

    async def test_closed_at_is_the_servers_time(self, api, clock):
        manifest = await _dispatched_then_later(api, clock, people=1)
        item = {
            "returnee_id": manifest["returnees"][0]["id"],
            "outcome": "received",
            "recorded_at": POST_TIME,
        }

        response = await api.post(
            "border.gt.tecun", f"/v1/manifests/{manifest['id']}/handovers", {"items": [item]}
        )

        assert response.json()["status"] == "closed"
        record = (await api.get("igm.gt", f"/v1/manifests/{manifest['id']}/handover-record")).json()
        assert (record["status"], record["arrived_at"], record["closed_at"]) == (
            "closed",
            POST_TIME_UTC,
            SENT,
        )


class TestRefusals:
    async def test_in_the_future_beyond_two_minutes_is_422_and_nothing_is_recorded(
        self, api, clock
    ):
        manifest = await _dispatched_then_later(api, clock, people=3)
        a, b, c = (r["id"] for r in manifest["returnees"])
        path = f"/v1/manifests/{manifest['id']}"

        response = await api.post(
            "border.gt.tecun",
            f"{path}/handovers",
            {
                "items": [
                    {"returnee_id": a, "outcome": "received", "recorded_at": POST_TIME},
                    {"returnee_id": b, "outcome": "received"},
                    # 17:50 UTC: three minutes ahead of the server.
                    {
                        "returnee_id": c,
                        "outcome": "received",
                        "recorded_at": "2026-11-28T11:50:00-06:00",
                    },
                ]
            },
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert fields(response) == [("items[2].recorded_at", "recorded_at_in_future")]
        record = (await api.get("igm.gt", f"{path}/handover-record")).json()
        assert (record["status"], record["arrived_at"]) == ("dispatched", None)
        assert record["totals"]["pending"] == 3
        assert await _handed_over_events(api, manifest["id"]) == []

    async def test_within_two_minutes_ahead_is_clock_skew(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        ahead = "2026-11-28T11:49:00-06:00"  # 17:49 UTC: two minutes ahead

        response = await api.post(
            "border.gt.tecun",
            f"/v1/manifests/{manifest['id']}/handovers",
            {
                "items": [
                    {
                        "returnee_id": manifest["returnees"][0]["id"],
                        "outcome": "received",
                        "recorded_at": ahead,
                    }
                ]
            },
        )

        assert response.status_code == 200, response.text

    async def test_before_the_dispatch_is_422_and_nothing_is_recorded(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        a, b = (r["id"] for r in manifest["returnees"])
        path = f"/v1/manifests/{manifest['id']}"

        response = await api.post(
            "border.gt.tecun",
            f"{path}/handovers",
            {
                "items": [
                    # 11:59 UTC: a minute before the bus left.
                    {
                        "returnee_id": a,
                        "outcome": "received",
                        "recorded_at": "2026-11-28T05:59:00-06:00",
                    },
                    {"returnee_id": b, "outcome": "received", "recorded_at": POST_TIME},
                ]
            },
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        assert fields(response) == [("items[0].recorded_at", "recorded_before_dispatch")]
        record = (await api.get("igm.gt", f"{path}/handover-record")).json()
        assert (record["status"], record["totals"]["pending"]) == ("dispatched", 2)
        assert await _handed_over_events(api, manifest["id"]) == []

    async def test_a_time_without_an_offset_is_422(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        item = {
            "returnee_id": manifest["returnees"][0]["id"],
            "outcome": "received",
            "recorded_at": "2026-11-28T09:47:00",
        }

        response = await api.post(
            "border.gt.tecun", f"/v1/manifests/{manifest['id']}/handovers", {"items": [item]}
        )

        assert response.status_code == 422
        assert fields(response) == [("items[0].recorded_at", "timezone_aware")]


class TestReplays:
    async def test_the_same_key_replays_the_first_answer_later(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        path = f"/v1/manifests/{manifest['id']}/handovers"
        body = {
            "items": [
                {
                    "returnee_id": manifest["returnees"][0]["id"],
                    "outcome": "received",
                    "recorded_at": POST_TIME,
                }
            ]
        }
        key = f"test-{uuid.uuid4()}"
        first = await api.post("border.gt.tecun", path, body, key=key)
        clock.advance(timedelta(hours=1))  # the outbox sends it again (the answer was lost)

        again = await api.post("border.gt.tecun", path, body, key=key)

        assert again.status_code == first.status_code == 200
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(await _handed_over_events(api, manifest["id"])) == 1

    async def test_without_a_key_the_same_outcome_keeps_its_first_times(self, api, clock):
        manifest = await _dispatched_then_later(api, clock)
        first = manifest["returnees"][0]["id"]
        path = f"/v1/manifests/{manifest['id']}/handovers"
        item = {"returnee_id": first, "outcome": "received", "recorded_at": POST_TIME}
        await api.post("border.gt.tecun", path, {"items": [item]})
        clock.advance(timedelta(minutes=30))

        later = {**item, "recorded_at": "2026-11-28T09:50:00-06:00"}
        response = await api.post("border.gt.tecun", path, {"items": [later]})

        assert response.json()["recorded"] == [False]
        (entry,) = response.json()["items"]
        assert entry["returnee_id"] == first
        assert (entry["recorded_at"], entry["stored_at"]) == (POST_TIME_UTC, SENT)
