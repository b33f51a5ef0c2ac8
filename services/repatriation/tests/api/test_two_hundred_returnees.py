"""A 200-returnee manifest from draft to closed through the API and the consular consumer.

What it takes is not asserted here (a functional test on a shared machine is no measurement):
`make bench` measures the API's speed."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import Tracking
from repatriation.entrypoints.consumers import nationality

EXAMPLE = (
    Path(__file__).resolve().parents[4]
    / "contracts/events/consular/consular.nationality.confirmed.v1.example.json"
)


def _people(api) -> list[dict[str, Any]]:
    """160 adults alone (the first 5 pregnant), then 10 families of two adults and two
    children: 200 people, in this order on the create body."""
    flags = {
        "pregnant": False,
        "disability": False,
        "illness_or_injury": False,
        "trafficking_indicator": False,
    }
    people = [
        api.returnee(given_names=f"Persona {n}", vulnerabilities={**flags, "pregnant": n <= 5})
        for n in range(1, 161)
    ]
    for family in range(1, 11):
        group = f"F{family}"
        people += [
            api.returnee(given_names=f"Madre {family}", family_group=group),
            api.returnee(given_names=f"Padre {family}", sex="M", family_group=group),
            api.returnee(
                given_names=f"Hija {family}", date_of_birth="2015-03-02", family_group=group
            ),
            api.returnee(
                given_names=f"Hijo {family}",
                sex="M",
                date_of_birth="2019-08-30",
                family_group=group,
            ),
        ]
    return people


class TestTwoHundredReturnees:
    async def test_created_submitted_confirmed_dispatched_and_fully_handed_over(
        self, api, runtime, svc
    ):
        body = api.manifest_body(_people(api), vehicle={"plate": "CHS-4521", "seats": 200})
        created = await api.post("inm.mx", "/v1/manifests", body)
        assert created.status_code == 201, created.text
        manifest = created.json()
        assert len(manifest["returnees"]) == 200
        assert [r["given_names"] for r in manifest["returnees"][:6]] == [
            "Persona 1",
            "Persona 2",
            "Persona 3",
            "Persona 4",
            "Persona 5",
            "Persona 6",
        ]

        submitted = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/submit")
        assert submitted.status_code == 200

        # The consulate confirms all 200, each through the consumer as from NATS.
        template = json.loads(EXAMPLE.read_text())
        for person in manifest["returnees"]:
            data = copy.deepcopy(template)
            data["related"]["id"] = manifest["id"]
            data["related"]["subject_id"] = person["id"]
            data["verification_id"] = str(uuid.uuid4())
            envelope = IncomingEnvelope(
                id=uuid.uuid4(),
                type="consular.nationality.confirmed.v1",
                source="puebla/consular",
                subject=data["verification_id"],
                time="2026-11-29T15:00:00Z",
                dataschema="puebla:contracts/events/consular/consular.nationality.confirmed.v1.schema.json",
                access=["GT", "MX"],
                data=data,
            )
            tracking = Tracking("test-nationality-decided", envelope.id, envelope.type)
            assert await nationality.apply(svc, envelope, tracking) is True

        dispatched = await api.post("inm.mx", f"/v1/manifests/{manifest['id']}/dispatch")
        assert dispatched.status_code == 200, dispatched.text
        assert dispatched.json()["version"] == 203

        ids = [r["id"] for r in manifest["returnees"]]
        path = f"/v1/manifests/{manifest['id']}/handovers"
        first = await api.post(
            "border.gt.tecun",
            path,
            {"items": [{"returnee_id": i, "outcome": "received"} for i in ids[:100]]},
        )
        assert first.status_code == 200
        assert first.json()["status"] == "arrived"
        rest = [{"returnee_id": i, "outcome": "received"} for i in ids[100:197]]
        rest += [
            {"returnee_id": ids[197], "outcome": "not_presented"},
            {"returnee_id": ids[198], "outcome": "refused", "reason": "medically_unfit"},
            {"returnee_id": ids[199], "outcome": "refused", "reason": "identity_mismatch"},
        ]
        second = await api.post("border.gt.tecun", path, {"items": rest})
        assert second.status_code == 200

        record = (await api.get("igm.gt", f"/v1/manifests/{manifest['id']}/handover-record")).json()
        assert record["status"] == "closed"
        assert record["totals"] == {
            "received": 197,
            "not_presented": 1,
            "refused": 2,
            "pending": 0,
            "arrived_not_listed": 0,
            "total": 200,
        }
        assert len(record["entries"]) == 200
        assert {e["officer"] for e in record["entries"]} == {"border.gt.tecun"}
        assert (
            record
            == (await api.get("inm.mx", f"/v1/manifests/{manifest['id']}/handover-record")).json()
        )

        async with runtime.sessions() as session:
            events = await session.execute(
                text("SELECT type, count(*) FROM outbox WHERE aggregateid = :m GROUP BY type"),
                {"m": manifest["id"]},
            )
            counted = dict(events.all())
            submitted_event = await session.execute(
                text(
                    "SELECT jsonb_array_length(payload->'data'->'returnees'), payload->'access'"
                    " FROM outbox WHERE aggregateid = :m"
                    " AND type = 'repatriation.manifest.submitted.v1'"
                ),
                {"m": manifest["id"]},
            )
            listed, access = submitted_event.one()
        assert counted == {
            "repatriation.manifest.submitted.v1": 1,
            "repatriation.manifest.dispatched.v1": 1,
            "repatriation.returnee.handed_over.v1": 200,
            "repatriation.manifest.closed.v1": 1,
        }
        assert listed == 200
        assert access == ["GT", "MX"]
