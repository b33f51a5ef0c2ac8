"""POLICY.md "Unaccompanied-child cases" and the protection exception, with real tokens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text


class TestOpenCase:
    async def test_dif_opens_a_case_for_a_honduran_child(self, api, db) -> None:
        case = await api.open("dif.mx")

        assert case["reference"].startswith("CP-MX-")
        assert case["stage"] == "identified"
        assert case["host_country"] == "MX"
        assert case["nationality"] == "HN"
        assert case["version"] == 1
        assert case["blocked_for_consulate"] is False
        assert case["bid"] is None
        assert case["child"]["given_names"] == "Kevin Josué"
        assert case["child"]["sex"] == "M"
        assert [d["stage"] for d in case["deadlines"]] == [
            "notified",
            "interviewed",
            "assessed",
            "determined",
        ]
        assert all(d["overdue"] is False for d in case["deadlines"])
        opened, notice = await db.outbox(case["id"])
        assert opened["type"] == "child.case.opened.v1"
        assert opened["access"] == ["HN", "MX"]
        assert opened["data"]["notify_consulate"] is True
        # That the case exists goes to every context that follows cases; who the child is goes
        # only to the consulate, in the notice beside it.
        assert "child" not in opened["data"]
        assert "place" not in opened["data"]
        assert "Kevin" not in repr(opened)
        assert "2012-04-09" not in repr(opened)
        assert notice["type"] == "child.case.consular_notice.v1"
        assert notice["access"] == ["HN", "MX"]
        assert notice["data"]["occasion"] == "case_opened"
        assert notice["data"]["allowed_at"] == opened["data"]["opened_at"]
        assert notice["data"]["child"]["given_names"] == "Kevin Josué"
        assert notice["data"]["child"]["date_of_birth"] == "2012-04-09"
        assert notice["data"]["place"] == {"country": "MX", "state": "Chiapas", "city": "Tapachula"}

    async def test_only_the_host_officer_opens(self, api, new_case_body) -> None:
        for user in ("dinaf.hn", "consul.hn.tapachula", "dif.mx.supervisor", "inm.mx"):
            response = await api.post(user, "/v1/cases", new_case_body())
            assert response.status_code == 403, user
            assert response.json()["rule"] == "only_host_child_protection_officer"

    async def test_without_a_token_is_401(self, api, new_case_body) -> None:
        assert (await api.post(None, "/v1/cases", new_case_body())).status_code == 401


class TestNationalityCountry:
    async def test_dinaf_reads_the_summary_and_writes_the_origin_assessment(
        self, api, bodies
    ) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"

        read = await api.get("dinaf.hn", path)
        assert read.status_code == 200
        assert read.json()["reference"] == case["reference"]

        written = await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        assert written.status_code == 200, written.text
        assert written.json()["version"] == 2

    async def test_dinaf_cannot_write_the_bia(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.put("dinaf.hn", f"/v1/cases/{case['id']}/bia", bodies["bia"])

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["rule"] == "only_host_child_protection_officer"

    async def test_dinaf_reads_the_sensitive_sections(self, api) -> None:
        case = await api.open("dif.mx")

        response = await api.get(
            "dinaf.hn", f"/v1/cases/{case['id']}/sensitive", purpose="origin assessment"
        )

        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.json()["indicators"]["trafficking_indicator"] is False

    async def test_dinaf_gets_404_on_a_guatemalan_childs_case(self, api) -> None:
        case = await api.open("dif.mx", child={"nationality": "GT"})
        path = f"/v1/cases/{case['id']}"

        assert (await api.get("dinaf.hn", path)).status_code == 404
        assert (await api.get("dinaf.hn", f"{path}/sensitive", purpose="x")).status_code == 404
        origin = await api.put("dinaf.hn", f"{path}/origin-assessment", _origin_draft())
        assert origin.status_code == 404
        listed = await api.get("dinaf.hn", "/v1/cases", limit=200)
        assert case["id"] not in {c["id"] for c in listed.json()["items"]}
        # ...while Guatemala's SBS sees it.
        assert (await api.get("sbs.gt", path)).status_code == 200


class TestConsul:
    async def test_reads_the_summary_but_not_the_sensitive_sections(self, api, db) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"

        assert (await api.get("consul.hn.tapachula", path)).status_code == 200
        sensitive = await api.get("consul.hn.tapachula", f"{path}/sensitive", purpose="visit")

        assert sensitive.status_code == 403
        assert sensitive.json()["rule"] == "sensitive_sections_child_protection_only"
        refused = [e for e in await db.audit(case["id"]) if e["actor"] == "consul.hn.tapachula"]
        assert [e["action"] for e in refused] == ["child_case.sensitive_read_refused"]

    async def test_another_countrys_consul_sees_nothing(self, api) -> None:
        case = await api.open("dif.mx")

        response = await api.get("consul.gt.tapachula", f"/v1/cases/{case['id']}")

        assert response.status_code == 404

    async def test_cannot_write_anything(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.put(
            "consul.hn.tapachula", f"/v1/cases/{case['id']}/origin-assessment", bodies["origin"]
        )

        assert response.status_code == 403


class TestProtectionException:
    async def test_nationality_users_get_404_on_everything(self, api, db) -> None:
        case = await api.open("dif.mx", protection_need=True)
        path = f"/v1/cases/{case['id']}"
        assert case["blocked_for_consulate"] is True

        for user in ("dinaf.hn", "consul.hn.tapachula"):
            assert (await api.get(user, path)).status_code == 404, user
            assert (await api.get(user, f"{path}/sensitive", purpose="x")).status_code == 404
            assert (await api.get(user, f"{path}/audit")).status_code == 404
            listed = await api.get(user, "/v1/cases", limit=200)
            assert case["id"] not in {c["id"] for c in listed.json()["items"]}
        origin = await api.put("dinaf.hn", f"{path}/origin-assessment", _origin_draft())
        assert origin.status_code == 404
        assert (await api.get("dif.mx", path)).status_code == 200

    async def test_no_consular_notification_is_emitted(self, api, db) -> None:
        case = await api.open("dif.mx", trafficking_indicator=True)

        events = await db.outbox(case["id"])

        assert [e["type"] for e in events] == ["child.case.opened.v1"]
        assert events[0]["access"] == ["MX"]
        assert events[0]["data"]["notify_consulate"] is False
        assert events[0]["data"]["blocked_for_consulate"] is True
        # Who the child is never leaves the host while the case is blocked.
        for identity in ("Kevin", "Martínez", "2012-04-09", "Chiapas", "Tapachula"):
            assert identity not in repr(events), identity

    async def test_a_protection_decision_clearing_the_block_notifies_then(self, api, db) -> None:
        case = await api.open("dif.mx", trafficking_indicator=True)
        path = f"/v1/cases/{case['id']}"

        kept = await api.post(
            "dif.mx.supervisor",
            f"{path}/protection-decision",
            {"clear_block": False, "reasons": "Recruiter network may reach the family."},
        )
        assert kept.status_code == 200
        assert (await api.get("dinaf.hn", path)).status_code == 404
        cleared = await api.post(
            "dif.mx.supervisor",
            f"{path}/protection-decision",
            {"clear_block": True, "reasons": "Risk assessed; family not involved."},
        )

        assert cleared.status_code == 200, cleared.text
        assert cleared.json()["blocked_for_consulate"] is False
        events = await db.outbox(case["id"])
        assert [e["type"] for e in events] == [
            "child.case.opened.v1",
            "child.case.consular_block_cleared.v1",
            "child.case.consular_notice.v1",
        ]
        opened, clearing, notice = events
        assert "Kevin" not in repr(opened)
        assert "2012-04-09" not in repr(opened)
        assert clearing["access"] == ["HN", "MX"]
        assert clearing["data"]["notify_consulate"] is True
        assert clearing["data"]["cleared_by"] == "dif.mx.supervisor"
        assert "child" not in clearing["data"]
        assert notice["access"] == ["HN", "MX"]
        assert notice["data"]["occasion"] == "block_cleared"
        assert notice["data"]["allowed_at"] == clearing["data"]["cleared_at"]
        assert notice["data"]["version"] == clearing["data"]["version"]
        assert notice["data"]["child"]["date_of_birth"] == "2012-04-09"
        assert (await api.get("consul.hn.tapachula", path)).status_code == 200

    async def test_only_the_host_supervisor_decides_protection(self, api) -> None:
        case = await api.open("dif.mx", protection_need=True)

        response = await api.post(
            "dif.mx",
            f"/v1/cases/{case['id']}/protection-decision",
            {"clear_block": True, "reasons": "No fear of return."},
        )

        assert response.status_code == 403
        assert response.json()["rule"] == "only_host_child_protection_supervisor"

    async def test_a_screening_that_raises_a_flag_hides_the_case_again(self, api, runtime) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        assert (await api.get("dinaf.hn", path)).status_code == 200

        screened = await api.post(
            "dif.mx",
            f"{path}/screenings",
            {"protection_need": True, "trafficking_indicator": False, "notes": "Fears gangs."},
        )

        assert screened.status_code == 200
        assert screened.json()["blocked_for_consulate"] is True
        assert (await api.get("dinaf.hn", path)).status_code == 404
        async with runtime.sessions() as session:
            stored = await session.execute(
                text("SELECT blocked_for_consulate FROM child_case WHERE id = :id"),
                {"id": case["id"]},
            )
            assert stored.scalar_one() is True


class TestLateDiscovery:
    """A protection need or a trafficking indicator found after the consulate was told: from then
    on the child's country sees nothing, and the consular service is told to withdraw."""

    @pytest.mark.parametrize("flag", ["protection_need", "trafficking_indicator"])
    async def test_the_childs_country_gets_404_everywhere(self, api, db, bodies, flag) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        for user in ("dinaf.hn", "consul.hn.tapachula"):
            assert (await api.get(user, path)).status_code == 200, user

        screened = await api.post(
            "dif.mx",
            f"{path}/screenings",
            {
                "protection_need": flag == "protection_need",
                "trafficking_indicator": flag == "trafficking_indicator",
                "notes": "Found at the second interview.",
            },
        )
        assert screened.status_code == 200

        for user in ("dinaf.hn", "consul.hn.tapachula"):
            assert (await api.get(user, path)).status_code == 404, user
            assert (await api.get(user, f"{path}/sensitive", purpose="x")).status_code == 404
            assert (await api.get(user, f"{path}/audit")).status_code == 404
            listed = await api.get(user, "/v1/cases", limit=200)
            assert case["id"] not in {c["id"] for c in listed.json()["items"]}
            written = await api.put(user, f"{path}/origin-assessment", bodies["origin"])
            assert written.status_code == 404, user
        events = await db.outbox(case["id"])
        assert [(e["type"], e["access"]) for e in events] == [
            ("child.case.opened.v1", ["HN", "MX"]),
            ("child.case.consular_notice.v1", ["HN", "MX"]),
            ("child.case.consular_block_set.v1", ["MX"]),
        ]


class TestBid:
    async def test_decided_only_once_both_assessments_exist(self, api, bodies) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"

        before = await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        assert before.status_code == 409
        assert before.json()["rule"] == "bid_requires_complete_assessments"
        assert before.json()["field"] == "bia"

        assert (await api.put("dif.mx", f"{path}/bia", bodies["bia"])).status_code == 200
        missing_origin = await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])
        assert missing_origin.status_code == 409
        assert missing_origin.json()["field"] == "origin_assessment"

        origin = await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])
        assert origin.status_code == 200
        decided = await api.post("dif.mx.supervisor", f"{path}/bid", bodies["bid"])

        assert decided.status_code == 200, decided.text
        assert decided.json()["stage"] == "determined"
        assert decided.json()["bid"] == {"decision": "return"}

    async def test_the_officer_cannot_decide(self, api, bodies) -> None:
        case = await api.open("dif.mx")

        response = await api.post("dif.mx", f"/v1/cases/{case['id']}/bid", bodies["bid"])

        assert response.status_code == 403


class TestAudit:
    async def test_only_the_host_supervisor_reads_a_cases_audit_trail(self, api) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/audit"

        for user in ("dif.mx", "dinaf.hn", "consul.hn.tapachula"):
            assert (await api.get(user, path)).status_code == 403, user
        response = await api.get("dif.mx.supervisor", path)

        assert response.status_code == 200
        entries: list[dict[str, Any]] = response.json()["items"]
        assert [(e["actor"], e["action"]) for e in entries] == [("dif.mx", "child_case.opened")]
        assert entries[0]["entity_id"] == case["id"]


def _origin_draft() -> dict[str, Any]:
    return {
        "family_situation": "",
        "home_situation": "",
        "risks_on_return": "",
        "caregiver": None,
        "caregiver_agrees_and_able": False,
        "complete": False,
    }
