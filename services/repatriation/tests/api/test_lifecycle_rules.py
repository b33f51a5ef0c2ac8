"""DOMAIN.md §1 rules the review found wrong, on real PostgreSQL: no cancelling once the bus has
left (a bus that turns back is `not_presented`, `returned_to_station`); the advance-notice rule
for amendments; the ids consular needs to withdraw verification requests in the events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

# A manifest created on the frozen "now" (Saturday 2026-11-28 12:00 UTC = 06:00 in Guatemala)
# arriving the same day at 14:00 local (20:00 UTC): 8 h ahead, inside GT's 24 h notice period.
LATE_DEPARTURE = "2026-11-28T10:00:00-06:00"
LATE_ARRIVAL = "2026-11-28T14:00:00-06:00"


async def _outbox(api: Any, manifest_id: str) -> list[dict[str, Any]]:
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT type, payload FROM outbox WHERE aggregateid = :m ORDER BY created_at"),
            {"m": manifest_id},
        )
        return [{"type": r[0], **r[1]} for r in rows]


async def _audit(api: Any, manifest_id: str, action: str) -> list[dict[str, Any]]:
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            text("SELECT detail FROM audit WHERE entity_id = :m AND action = :a ORDER BY seq"),
            {"m": manifest_id, "a": action},
        )
        return [r[0] for r in rows]


class TestNoCancelOnceDispatched:
    async def test_a_dispatched_manifest_cannot_be_cancelled(self, api):
        manifest = await api.dispatched()

        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/cancel", {"reason": "Bus broke down"}
        )

        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["rule"] == "invalid_transition"
        after = await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")
        assert (after.json()["status"], after.json()["cancelled_at"]) == ("dispatched", None)

    async def test_a_bus_that_turns_back_is_recorded_not_presented_returned_to_station(self, api):
        manifest = await api.dispatched(api.manifest_body([api.returnee(), api.returnee()]))
        items = [
            {"returnee_id": r["id"], "outcome": "not_presented", "reason": "returned_to_station"}
            for r in manifest["returnees"]
        ]

        response = await api.post(
            "border.gt.tecun", f"/v1/manifests/{manifest['id']}/handovers", {"items": items}
        )

        assert response.status_code == 200, response.text
        record = response.json()
        assert [(e["outcome"], e["reason"]) for e in record["items"]] == [
            ("not_presented", "returned_to_station")
        ] * 2
        assert record["status"] == "closed"
        assert record["totals"] == {
            "received": 0,
            "not_presented": 2,
            "refused": 0,
            "pending": 0,
            "arrived_not_listed": 0,
            "total": 2,
        }
        (handed,) = [
            e
            for e in await _outbox(api, manifest["id"])
            if e["type"] == "repatriation.returnee.handed_over.v1"
            and e["data"]["returnee_id"] == manifest["returnees"][0]["id"]
        ]
        assert (handed["data"]["outcome"], handed["data"]["reason"]) == (
            "not_presented",
            "returned_to_station",
        )

    async def test_not_presented_takes_no_other_reason(self, api):
        manifest = await api.dispatched()
        item = {
            "returnee_id": manifest["returnees"][0]["id"],
            "outcome": "not_presented",
            "reason": "other",
        }
        response = await api.post(
            "border.gt.tecun", f"/v1/manifests/{manifest['id']}/handovers", {"items": [item]}
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("items[0].reason", "reason_only_for_refusal")
        ]


class TestAdvanceNoticeOnAmendments:
    async def _late_submitted(self, api: Any) -> dict[str, Any]:
        body = api.manifest_body(
            scheduled_departure=LATE_DEPARTURE,
            scheduled_arrival=LATE_ARRIVAL,
            late_notice_reason="Court order to return today",
        )
        manifest: dict[str, Any] = await api.submitted(body)
        assert manifest["late_notice"] is True
        return manifest

    async def test_adding_inside_the_notice_period_needs_late_notice_reason(self, api):
        manifest = await self._late_submitted(api)

        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees", api.returnee()
        )

        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("late_notice_reason", "advance_notice_too_short")
        ]
        after = await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")
        assert len(after.json()["returnees"]) == 1

    async def test_with_a_reason_it_is_added_and_flagged_late_in_the_audit(self, api):
        manifest = await self._late_submitted(api)

        response = await api.post(
            "inm.mx",
            f"/v1/manifests/{manifest['id']}/returnees",
            {**api.returnee(given_names="Hermano"), "late_notice_reason": "Brother found"},
        )

        assert response.status_code == 201, response.text
        (amended,) = await _audit(api, manifest["id"], "manifest.amended")
        assert amended["added"] == [response.json()["returnee_id"]]
        assert (amended["late_notice"], amended["late_notice_reason"]) == (True, "Brother found")

    async def test_an_amendment_on_time_is_not_flagged(self, api):
        manifest = await api.submitted()  # arrives 2026-12-01 16:00 UTC: 76 h ahead

        response = await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/returnees", api.returnee()
        )

        assert response.status_code == 201
        (amended,) = await _audit(api, manifest["id"], "manifest.amended")
        assert (amended["late_notice"], amended["late_notice_reason"]) == (False, None)


class TestWithdrawalIdsInTheEvents:
    """consular withdraws the verification requests of a person removed (manifest.amended.v1
    `removed`) and of everyone on a cancelled manifest (by its manifest_id)."""

    async def test_a_removal_names_the_removed_id_in_the_amended_event(self, api):
        manifest = await api.submitted(api.manifest_body([api.returnee(), api.returnee()]))
        leaving = manifest["returnees"][0]["id"]

        response = await api.delete(
            "inm.mx",
            f"/v1/manifests/{manifest['id']}/returnees/{leaving}",
            reason="Found to be a Salvadoran national",
        )

        assert response.status_code == 200
        (amended,) = [
            e
            for e in await _outbox(api, manifest["id"])
            if e["type"] == "repatriation.manifest.amended.v1"
        ]
        assert amended["data"]["removed"] == [leaving]
        assert amended["data"]["returnee_count"] == 1
        assert sorted(amended["access"]) == ["GT", "MX"]

    async def test_a_cancellation_names_the_manifest_in_the_cancelled_event(self, api):
        manifest = await api.submitted()

        await api.post(
            "inm.mx", f"/v1/manifests/{manifest['id']}/cancel", {"reason": "Bus broke down"}
        )

        (cancelled,) = [
            e
            for e in await _outbox(api, manifest["id"])
            if e["type"] == "repatriation.manifest.cancelled.v1"
        ]
        assert uuid.UUID(cancelled["data"]["manifest_id"]) == uuid.UUID(manifest["id"])
        assert cancelled["subject"] == manifest["id"]
        assert cancelled["data"]["previous_status"] == "submitted"
        assert sorted(cancelled["access"]) == ["GT", "MX"]
