"""What a hand-over asks PostgreSQL for the manifest's scope: once. The route decides 404/403 on
the unlocked row before it reads the body; the handler then locks the row and decides again on
what the lock holds. A second unlocked read between the two would say nothing new (issue 19)."""

from __future__ import annotations

from typing import Any

from puebla_dev.testing.statements import sent_statements

SCOPE_READ = (
    "SELECT sending_country, receiving_country, reception_point, submitted_at FROM manifest"
)


async def test_a_hand_over_reads_the_manifests_scope_once(api: Any) -> None:
    manifest = await api.dispatched()
    person = manifest["returnees"][0]["id"]
    path = f"/v1/manifests/{manifest['id']}/handovers"

    async with sent_statements(api.runtime.engine) as sent:
        answer = await api.post(
            "border.gt.tecun", path, {"items": [{"returnee_id": person, "outcome": "received"}]}
        )

    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["outcome"] == "received"
    assert [s for s in sent if s.startswith(SCOPE_READ)] == [SCOPE_READ + " WHERE id = $1"]
    # …and the lock still decides: the locked row is read once, FOR UPDATE.
    assert len([s for s in sent if s.endswith("FOR UPDATE OF m")]) == 1, sent
