"""`/sensitive`: a stated purpose, child-protection roles only, every read an audit entry in the
hash chain; `/audit`: the case's trail for the host supervisor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from puebla.transparency import log


class TestSensitiveRead:
    async def test_returns_every_section(self, api, bodies) -> None:
        case = await api.open("dif.mx", indicator_details="Adult stranger paid his bus fare.")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", bodies["bia"])
        await api.put("dinaf.hn", f"{path}/origin-assessment", bodies["origin"])

        response = await api.get("dif.mx", f"{path}/sensitive", purpose="BID preparation")

        assert response.status_code == 200
        body = response.json()
        assert body["reference"] == case["reference"]
        assert body["version"] == 3
        assert body["indicators"]["details"] == "Adult stranger paid his bus fare."
        assert body["bia"]["health"] == "Healthy; minor dehydration treated on arrival."
        assert body["bia"]["written_by"] == "dif.mx"
        assert body["origin_assessment"]["caregiver"] == {
            "name": "Rosa Reyes",
            "relationship": "mother",
        }
        assert body["origin_assessment"]["written_by"] == "dinaf.hn"
        assert body["bids"] == []

    async def test_each_read_is_an_audit_entry_the_chain_covers(self, api, db, runtime) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/sensitive"

        await api.get("dif.mx", path, purpose="Prepare the BIA")
        await api.get("dinaf.hn", path, purpose="Origin assessment visit")

        reads = [
            e for e in await db.audit(case["id"]) if e["action"] == "child_case.sensitive_read"
        ]
        assert [(e["actor"], e["detail"]["purpose"], e["detail"]["country"]) for e in reads] == [
            ("dif.mx", "Prepare the BIA", "MX"),
            ("dinaf.hn", "Origin assessment visit", "HN"),
        ]
        assert all(isinstance(e["at"], datetime) for e in reads)
        last = reads[-1]["seq"]
        async with runtime.sessions() as session:
            chain = await log.verify(session)
            upto = await session.execute(
                text("SELECT count(*) FROM audit WHERE seq <= :last"), {"last": last}
            )
        assert chain.ok, chain
        # Every entry up to and including these reads had its commitment recomputed.
        assert chain.entries + chain.pending >= upto.scalar_one()

    async def test_rewriting_the_stated_purpose_breaks_the_log_there(
        self, api, db, runtime
    ) -> None:
        case = await api.open("dif.mx")
        await api.get("dif.mx", f"/v1/cases/{case['id']}/sensitive", purpose="Prepare the BIA")
        (read,) = [
            e for e in await db.audit(case["id"]) if e["action"] == "child_case.sensitive_read"
        ]

        async with runtime.sessions() as session:  # rolled back: the real trail is untouched
            await session.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await session.execute(
                text(
                    "UPDATE audit SET detail = jsonb_set(detail, '{purpose}', '\"curiosity\"')"
                    " WHERE seq = :seq"
                ),
                {"seq": read["seq"]},
            )
            chain = await log.verify(session)
            await session.rollback()

        assert (chain.ok, chain.broken_at_seq, chain.reason) == (
            False,
            read["seq"],
            "entry content was changed",
        )

    async def test_the_host_supervisor_sees_the_reads_in_the_cases_trail(self, api) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        await api.get("dinaf.hn", f"{path}/sensitive", purpose="Home visit planning")

        trail = (await api.get("dif.mx.supervisor", f"{path}/audit")).json()["items"]

        read = trail[-1]
        assert (read["actor"], read["action"]) == ("dinaf.hn", "child_case.sensitive_read")
        assert read["detail"]["purpose"] == "Home visit planning"
        assert read["entity_type"] == "child_case"
        again = (await api.get("dif.mx.supervisor", f"{path}/audit")).json()["items"]
        assert again[-1]["action"] == "child_case.audit_read"  # reading the trail is recorded

    async def test_a_purpose_is_required(self, api, db) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/sensitive"

        missing = await api.get("dif.mx", path)
        blank = await api.get("dif.mx", path, purpose="   ")

        for response in (missing, blank):
            assert response.status_code == 422
            assert response.headers["content-type"] == "application/problem+json"
            (error,) = response.json()["errors"]
            assert error["field"] == "puebla-purpose"  # the header (it is never in the URL)
        assert missing.json()["errors"][0]["rule"] == "missing"
        assert blank.json()["errors"][0]["rule"] == "purpose_required"
        actions = [e["action"] for e in await db.audit(case["id"])]
        assert "child_case.sensitive_read" not in actions

    async def test_the_summary_never_carries_a_sensitive_section(self, api, bodies) -> None:
        case = await api.open("dif.mx", indicator_details="SECRET-DETAIL")
        path = f"/v1/cases/{case['id']}"
        await api.put("dif.mx", f"{path}/bia", {**bodies["bia"], "health": "SECRET-HEALTH"})

        summary = await api.get("dinaf.hn", path)
        listed = await api.get("dinaf.hn", "/v1/cases", limit=5)

        assert "SECRET" not in summary.text
        assert "SECRET" not in listed.text
        assert set(summary.json()) == {
            "id",
            "reference",
            "version",
            "stage",
            "host_country",
            "nationality",
            "child",
            "deadlines",
            "bid",
            "blocked_for_consulate",
        }
