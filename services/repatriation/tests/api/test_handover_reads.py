"""What a hand-over asks PostgreSQL for the manifest's scope: once. The route decides 404/403 on
the unlocked row before it reads the body; the handler then locks the row and decides again on
what the lock holds. A second unlocked read between the two would say nothing new (issue 19)."""

from __future__ import annotations

from typing import Any

from puebla_dev.testing.statements import sent_statements

from .conftest import manifest_body, returnee

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
    assert len([s for s in sent if s.endswith("FOR UPDATE")]) == 1, sent


async def test_a_hand_over_reads_only_the_people_it_names(api: Any) -> None:
    """Three people, handed over one at a time: each request reads its own person's row (the
    others are counted in SQL), and the totals and the close are those of the whole bus."""
    people = [returnee(given_names=name) for name in ("Rosa", "Ana", "Luis")]
    manifest = await api.dispatched(manifest_body(people))
    path = f"/v1/manifests/{manifest['id']}/handovers"
    outcomes = ["received", "not_presented", "received"]
    answers = []
    for person, outcome in zip(manifest["returnees"], outcomes, strict=True):
        async with sent_statements(api.runtime.engine) as sent:
            answer = await api.post(
                "border.gt.tecun",
                path,
                {"items": [{"returnee_id": person["id"], "outcome": outcome}]},
            )
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
        # The people are read after the lock, only the one named; nobody reads the whole bus.
        people_read = [s for s in sent if "FROM returnee r WHERE r.manifest_id = $1" in s]
        assert len(people_read) == 1, sent
        assert "r.id = ANY($2::uuid[])" in people_read[0]
        # The manifest and its person are written by one statement.
        writes = [s for s in sent if "UPDATE manifest" in s or "UPDATE returnee" in s]
        assert len(writes) == 1, writes
        assert "UPDATE returnee" in writes[0]

    assert [(a["status"], a["totals"]["pending"]) for a in answers] == [
        ("arrived", 2),
        ("arrived", 1),
        ("closed", 0),
    ]
    assert answers[-1]["totals"] == {
        "received": 2,
        "not_presented": 1,
        "refused": 0,
        "pending": 0,
        "arrived_not_listed": 0,
        "total": 3,
    }
    record = await api.get("border.gt.tecun", f"/v1/manifests/{manifest['id']}/handover-record")
    assert record.status_code == 200, record.text
    assert record.json()["totals"] == answers[-1]["totals"]
