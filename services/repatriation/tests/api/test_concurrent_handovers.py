"""Two border officers' requests for the same returnee at the same moment: the manifest row is
locked for the whole write, so they run one after the other and the domain decides the second
against what the first committed. Exactly one outcome is recorded, once, with its event."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text


async def _trace(runtime, manifest_id: str, returnee_id: str) -> tuple[int, int]:
    async with runtime.sessions() as session:
        events = await session.execute(
            text(
                "SELECT count(*) FROM outbox WHERE type = 'repatriation.returnee.handed_over.v1'"
                " AND payload->'data'->>'returnee_id' = :r"
            ),
            {"r": returnee_id},
        )
        audits = await session.execute(
            text(
                "SELECT count(*) FROM audit WHERE entity_id = :m"
                " AND action = 'manifest.returnee_handed_over' AND detail->>'returnee_id' = :r"
            ),
            {"m": manifest_id, "r": returnee_id},
        )
        return events.scalar_one(), audits.scalar_one()


class TestConcurrentHandovers:
    @pytest.mark.parametrize("round_", range(5))
    async def test_different_outcomes_one_200_one_409_nothing_half_applied(
        self, api, runtime, round_
    ):
        manifest = await api.dispatched()
        returnee_id = manifest["returnees"][0]["id"]
        path = f"/v1/manifests/{manifest['id']}/handovers"
        received = {"items": [{"returnee_id": returnee_id, "outcome": "received"}]}
        refused = {
            "items": [
                {"returnee_id": returnee_id, "outcome": "refused", "reason": "identity_mismatch"}
            ]
        }

        first, second = await asyncio.gather(
            api.post("border.gt.tecun", path, received, key=f"test-{uuid.uuid4()}"),
            api.post("border.gt.tecun", path, refused, key=f"test-{uuid.uuid4()}"),
        )

        assert sorted([first.status_code, second.status_code]) == [200, 409]
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert loser.json()["rule"] == "handover_already_recorded"
        (won,) = winner.json()["items"]
        stored = (await api.get("inm.mx", f"/v1/manifests/{manifest['id']}")).json()
        assert stored["returnees"][0]["handover_outcome"] == won["outcome"]
        assert stored["status"] == "closed"
        assert stored["version"] == manifest["version"] + 1
        assert await _trace(runtime, manifest["id"], returnee_id) == (1, 1)

    async def test_the_same_outcome_twice_records_it_once(self, api, runtime):
        manifest = await api.dispatched()
        returnee_id = manifest["returnees"][0]["id"]
        path = f"/v1/manifests/{manifest['id']}/handovers"
        body = {"items": [{"returnee_id": returnee_id, "outcome": "not_presented"}]}

        first, second = await asyncio.gather(
            api.post("border.gt.tecun", path, body), api.post("border.gt.tecun", path, body)
        )

        assert first.status_code == second.status_code == 200
        assert sorted([first.json()["recorded"], second.json()["recorded"]]) == [[False], [True]]
        assert await _trace(runtime, manifest["id"], returnee_id) == (1, 1)
