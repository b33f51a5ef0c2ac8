"""The yearly budget and the Secretariat's aggregate report (JSON and CSV, no personal data)."""

from __future__ import annotations

SV_BENEFICIARY = {
    "given_names": "José Roberto",
    "surnames": "Martínez Cruz",
    "sex": "M",
    "date_of_birth": "1984-07-21",
    "nationality": "SV",
    "protection_need": False,
}
PERSONAL = ["Ana", "María", "López", "Pérez", "José", "Roberto", "Martínez", "Cruz"]
PERSONAL_KEYS = ["given_names", "surnames", "date_of_birth", "beneficiary", "sex"]


class TestBudget:
    async def test_approver_sets_and_reads(self, desk):
        response = await desk.set_budget("2100.00")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "year": desk.year,
            "allocated": "2100.00",
            "reserved": "0.00",
            "disbursed": "0.00",
            "available": "2100.00",
            "version": 1,
        }
        read = await desk.get("ts.rcm", f"/v1/budgets/{desk.year}")
        assert read.status_code == 200
        assert read.json()["allocated"] == "2100.00"

    async def test_only_an_approver_sets_it(self, desk):
        for user in ("iom.officer", "ts.rcm", "consul.gt.tapachula"):
            response = await desk.set_budget("5.00", user)
            assert response.status_code == 403, user
        assert (await desk.budget())["allocated"] == "0.00"

    async def test_authorities_cannot_read_it(self, desk):
        response = await desk.get("consul.gt.tapachula", f"/v1/budgets/{desk.year}")
        assert response.status_code == 403

    async def test_a_year_nobody_set_reads_as_zeros(self, desk):
        assert await desk.budget() == {
            "year": desk.year,
            "allocated": "0.00",
            "reserved": "0.00",
            "disbursed": "0.00",
            "available": "0.00",
            "version": 0,
        }

    async def test_allocation_cannot_go_below_what_is_committed(self, desk):
        await desk.set_budget("1000.00")
        await desk.approved()
        response = await desk.set_budget("299.99")
        assert response.status_code == 409
        assert response.json()["rule"] == "budget.below_committed"
        assert (await desk.set_budget("300.00")).json()["available"] == "0.00"

    async def test_approval_without_enough_money_is_409_and_changes_nothing(self, desk):
        await desk.set_budget("299.99")
        app_id = await desk.reviewed()
        response = await desk.approve(app_id)
        assert response.status_code == 409
        body = response.json()
        assert body["rule"] == "budget.exhausted"
        assert body["available"] == "299.99"
        assert body["requested"] == "300.00"
        assert body["detail"] == (
            f"the {desk.year} budget has USD 299.99 available; this approval needs USD 300.00"
        )
        assert (await desk.read(app_id)).json()["status"] == "under_review"
        assert (await desk.budget())["reserved"] == "0.00"

    async def test_bad_years_and_amounts_are_422(self, desk):
        cases = {
            "/v1/budgets/2003": ({"allocated": "1.00"}, "year"),
            "/v1/budgets/10000": ({"allocated": "1.00"}, "year"),
            "/v1/budgets/abc": ({"allocated": "1.00"}, "year"),
            f"/v1/budgets/{desk.year}#neg": ({"allocated": "-5.00"}, "allocated"),
            f"/v1/budgets/{desk.year}#num": ({"allocated": 100}, "allocated"),
            f"/v1/budgets/{desk.year}#dec": ({"allocated": "12.345"}, "allocated"),
            f"/v1/budgets/{desk.year}#big": ({"allocated": "12345678901.00"}, "allocated"),
            f"/v1/budgets/{desk.year}#exp": ({"allocated": "1e3"}, "allocated"),
        }
        for path, (payload, field) in cases.items():
            response = await desk.client.put(
                path.split("#")[0], json=payload, headers=desk.auth("iom.approver")
            )
            assert response.status_code == 422, (path, response.text)
            assert [e["field"] for e in response.json()["errors"]] == [field], path


class TestReport:
    async def _fill(self, desk) -> None:
        """Two funded applications (one paid in part), one cancelled after approval, one still
        under review — in this test's own year."""
        await desk.set_budget("2100.00")
        gt = await desk.approved()  # GT national in MX, filed by GT, 300.00
        paid = await desk.post(
            "iom.officer",
            f"/v1/applications/{gt}/disbursements",
            {"amount": "120.50", "purpose": "Ticket"},
        )
        assert paid.status_code == 201
        await desk.approved(
            "dgme.sv",
            beneficiary=SV_BENEFICIARY,
            categories=["disability"],
            items=[{"kind": "transport", "amount": "700.00"}],
        )
        gone = await desk.approved()
        await desk.post("iom.officer", f"/v1/applications/{gone}/cancel", {"reason": "Withdrawn"})
        await desk.reviewed()

    async def test_secretariat_gets_totals_with_nothing_personal(self, desk):
        await self._fill(desk)
        response = await desk.get("ts.rcm", f"/v1/reports/{desk.year}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "year": desk.year,
            "allocated": "2100.00",
            "reserved": "879.50",
            "disbursed": "120.50",
            "available": "1100.00",
            "total": {"count": 2, "approved": "1000.00", "disbursed": "120.50"},
            "by_nationality": [
                {"key": "GT", "count": 1, "approved": "300.00", "disbursed": "120.50"},
                {"key": "SV", "count": 1, "approved": "700.00", "disbursed": "0.00"},
            ],
            # Both are over 70 in this far-off year: it is computed from the date of birth.
            "by_category": [
                {"key": "disability", "count": 1, "approved": "700.00", "disbursed": "0.00"},
                {
                    "key": "injury_or_illness",
                    "count": 1,
                    "approved": "300.00",
                    "disbursed": "120.50",
                },
                {"key": "over_70", "count": 2, "approved": "1000.00", "disbursed": "120.50"},
            ],
            "by_requesting_country": [
                {"key": "GT", "count": 1, "approved": "300.00", "disbursed": "120.50"},
                {"key": "SV", "count": 1, "approved": "700.00", "disbursed": "0.00"},
            ],
        }
        raw = response.text
        for word in [*PERSONAL, *PERSONAL_KEYS, "1990-03-01", "1984-07-21", "RF-"]:
            assert word not in raw, word

    async def test_csv_for_the_secretariat(self, desk):
        await self._fill(desk)
        response = await desk.get("ts.rcm", f"/v1/reports/{desk.year}", Accept="text/csv")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.text == (
            "dimension,key,count,approved,disbursed,amount\n"
            "total,all,2,1000.00,120.50,\n"
            "nationality,GT,1,300.00,120.50,\n"
            "nationality,SV,1,700.00,0.00,\n"
            "category,disability,1,700.00,0.00,\n"
            "category,injury_or_illness,1,300.00,120.50,\n"
            "category,over_70,2,1000.00,120.50,\n"
            "requesting_country,GT,1,300.00,120.50,\n"
            "requesting_country,SV,1,700.00,0.00,\n"
            "budget,allocated,,,,2100.00\n"
            "budget,reserved,,,,879.50\n"
            "budget,disbursed,,,,120.50\n"
            "budget,available,,,,1100.00\n"
        )
        for word in [*PERSONAL, "1990-03-01", "1984-07-21", "RF-"]:
            assert word not in response.text, word

    async def test_an_empty_year(self, desk):
        response = await desk.get("iom.officer", f"/v1/reports/{desk.year}", Accept="text/csv")
        assert response.status_code == 200
        assert response.text == (
            "dimension,key,count,approved,disbursed,amount\n"
            "total,all,0,0.00,0.00,\n"
            "budget,allocated,,,,0.00\n"
            "budget,reserved,,,,0.00\n"
            "budget,disbursed,,,,0.00\n"
            "budget,available,,,,0.00\n"
        )

    async def test_authorities_and_auditors_may_not(self, desk):
        for user in ("consul.gt.tapachula", "inm.mx", "audit.rcm", "border.gt.tecun"):
            response = await desk.get(user, f"/v1/reports/{desk.year}")
            assert response.status_code == 403, user

    async def test_fund_staff_may(self, desk):
        for user in ("iom.officer", "iom.approver", "iom.approver2"):
            response = await desk.get(user, f"/v1/reports/{desk.year}")
            assert response.status_code == 200, user
