"""A Honduran boy found alone in Tapachula, from identification to a closed case, through the API
with the real tokens of everyone involved, and the events the other services get."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def _soon(hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


class TestReturnPath:
    async def test_identified_to_closed(self, api, db, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        stages = [case["stage"]]

        async def step(user: str, method: str, suffix: str, body: dict[str, Any]) -> None:
            call = api.post if method == "POST" else api.put
            response = await call(user, f"{path}{suffix}", body)
            assert response.status_code == 200, f"{suffix}: {response.text}"
            stages.append(response.json()["stage"])

        await step(
            "dif.mx",
            "POST",
            "/protection-measures",
            {"kind": "shelter", "description": "DIF shelter Tapachula."},
        )
        await step("dif.mx", "POST", "/notifications", {"authority": "PFPNNA Chiapas"})
        await step(
            "dif.mx",
            "POST",
            "/interviews",
            {"language": "es", "notes": "Travelled with a group; lost them in Tapachula."},
        )
        await step(
            "dif.mx",
            "POST",
            "/screenings",
            {"protection_need": False, "trafficking_indicator": False, "notes": "No fear."},
        )
        await step(
            "dif.mx",
            "POST",
            "/family-tracing",
            {
                "actions": ["Called the mother via DINAF"],
                "contacts": [
                    {
                        "name": "Rosa Reyes",
                        "relationship": "mother",
                        "contact_details": "+504 9999-0000",
                        "location": "San Pedro Sula",
                    }
                ],
            },
        )
        await step("dif.mx", "PUT", "/bia", bodies["bia"])
        await step("dinaf.hn", "PUT", "/origin-assessment", bodies["origin"])
        await step("dif.mx.supervisor", "POST", "/bid", bodies["bid"])
        await step(
            "dif.mx",
            "POST",
            "/return-plan",
            {
                "reception_point": "HN-CORINTO",
                "scheduled_at": _soon(48),
                "escort": "Lic. Pedro Gómez (DIF)",
            },
        )
        await step(
            "dinaf.hn",
            "POST",
            "/reception",
            {"received_at": _soon(), "received_by_institution": "DINAF San Pedro Sula"},
        )
        await step("dinaf.hn", "POST", "/follow-ups", {"notes": "Back at school; mother coping."})
        await step("dinaf.hn", "POST", "/close", {"reason": "Reintegrated with his mother."})

        assert stages == [
            "identified",
            "in_protective_custody",
            "notified",
            "interviewed",
            "screened",
            "family_tracing",
            "assessed",
            "assessed",  # the origin assessment is not a stage of its own
            "determined",
            "return_planned",
            "handed_over",
            "follow_up",
            "closed",
        ]
        final = (await api.get("consul.hn.tapachula", path)).json()
        assert final["version"] == 13
        assert final["bid"] == {"decision": "return"}
        assert {d["stage"]: d["overdue"] for d in final["deadlines"]} == {
            "notified": False,
            "interviewed": False,
            "assessed": False,
            "determined": False,
        }

        events = await db.outbox(case["id"])
        assert [e["type"] for e in events] == [
            "child.case.opened.v1",
            "child.case.consular_notice.v1",
            "child.case.determined.v1",
            "child.case.returned.v1",
            "child.case.closed.v1",
        ]
        assert all(e["access"] == ["HN", "MX"] for e in events)
        assert events[2]["data"]["decision"] == "return"
        assert events[3]["data"]["reception_point"] == "HN-CORINTO"
        assert events[3]["data"]["received_by_institution"] == "DINAF San Pedro Sula"
        assert events[4]["data"]["closed_by"] == "dinaf.hn"
        assert events[4]["data"]["bid_decision"] == "return"
        dumped = repr(events)
        for secret in ("Rosa Reyes", "+504", "dehydration", "mother coping", "Reintegrated"):
            assert secret not in dumped

        trail = await api.get("dif.mx.supervisor", f"{path}/audit")
        actions = [(e["actor"], e["action"]) for e in trail.json()["items"]]
        assert actions[0] == ("dif.mx", "child_case.opened")
        assert ("dinaf.hn", "child_case.origin_assessment_written") in actions
        assert ("dif.mx.supervisor", "child_case.determined") in actions
        assert actions[-1] == ("dinaf.hn", "child_case.closed")

        closed = await api.post(
            "dif.mx",
            f"{path}/protection-measures",
            {"kind": "urgent_care", "description": "Too late."},
        )
        assert closed.status_code == 409
        assert closed.json()["rule"] == "case_closed"


class TestReturnGates:
    async def test_return_needs_a_return_bid_and_a_post_with_child_protection(
        self, api, bodies
    ) -> None:
        # A Guatemalan child: SBS is present at Tecún Umán, nobody of child protection at La
        # Mesilla (seed data).
        case = await api.open("dif.mx", child={"nationality": "GT"})
        path = f"/v1/cases/{case['id']}"
        plan = {"reception_point": "GT-TECUN-UMAN", "scheduled_at": _soon(48), "escort": "Pedro"}

        early = await api.post("dif.mx", f"{path}/return-plan", plan)
        assert early.status_code == 409
        assert early.json()["rule"] == "return_requires_return_bid"

        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("sbs.gt", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        no_authority = await api.post(
            "dif.mx", f"{path}/return-plan", {**plan, "reception_point": "GT-LA-MESILLA"}
        )
        assert no_authority.status_code == 409
        assert no_authority.json()["rule"] == "return_requires_origin_child_protection_authority"
        no_escort = await api.post("dif.mx", f"{path}/return-plan", {**plan, "escort": " "})
        assert no_escort.status_code == 409
        assert no_escort.json()["rule"] == "return_requires_escort"

        assert (await api.post("dif.mx", f"{path}/return-plan", plan)).status_code == 200

    async def test_dinaf_receives_children_at_agua_caliente(self, api, bodies) -> None:
        # Seed data corrected by migration 0004: DINAF is present at Agua Caliente.
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])

        planned = await api.post(
            "dif.mx",
            f"{path}/return-plan",
            {"reception_point": "HN-AGUA-CALIENTE", "scheduled_at": _soon(48), "escort": "Pedro"},
        )

        assert planned.status_code == 200, planned.text
        assert planned.json()["stage"] == "return_planned"

    async def test_a_trafficking_indicator_requires_a_risk_assessment(self, api, bodies) -> None:
        case = await api.open("dif.mx", trafficking_indicator=True)
        path = f"/v1/cases/{case['id']}"
        await api.post(
            "dif.mx.supervisor",
            f"{path}/protection-decision",
            {"clear_block": True, "reasons": "Family not involved."},
        )
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        plan = {"reception_point": "HN-CORINTO", "scheduled_at": _soon(48), "escort": "Pedro"}

        refused = await api.post("dif.mx", f"{path}/return-plan", plan)
        assert refused.status_code == 409
        assert refused.json()["rule"] == "risk_assessment_required"

        risk = await api.put(
            "dif.mx",
            f"{path}/risk-assessment",
            {"findings": "Recruiter abroad.", "mitigation": "DINAF visits."},
        )
        assert risk.status_code == 200
        assert (await api.post("dif.mx", f"{path}/return-plan", plan)).status_code == 200

    async def test_only_the_nationality_receives_and_follows_up(self, api, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        await api.post(
            "dif.mx",
            f"{path}/return-plan",
            {"reception_point": "HN-CORINTO", "scheduled_at": _soon(48), "escort": "Pedro"},
        )

        by_host = await api.post(
            "dif.mx",
            f"{path}/reception",
            {"received_at": _soon(), "received_by_institution": "DINAF"},
        )

        assert by_host.status_code == 403
        assert by_host.json()["rule"] == "only_nationality_child_protection_officer"


class TestBidReview:
    async def test_a_review_reopens_and_cancels_the_return_plan(self, api, db, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        await api.post(
            "dif.mx",
            f"{path}/return-plan",
            {"reception_point": "HN-CORINTO", "scheduled_at": _soon(48), "escort": "Pedro"},
        )

        reviewed = await api.post(
            "dif.mx.supervisor", f"{path}/bid-review", {"reasons": "New threats reported."}
        )

        assert reviewed.status_code == 200
        assert reviewed.json()["stage"] == "assessed"
        assert reviewed.json()["bid"] is None
        stay = await api.post(
            "dif.mx.supervisor", f"{path}/bid", {**bodies["bid"], "decision": "stay"}
        )
        assert stay.json()["stage"] == "local_protection"
        closed = await api.post("dif.mx", f"{path}/close", {"reason": "Foster family in Mexico."})
        assert closed.json()["stage"] == "closed"
        decisions = [
            e["data"]["decision"]
            for e in await db.outbox(case["id"])
            if e["type"] == "child.case.determined.v1"
        ]
        assert decisions == ["return", "stay"]
