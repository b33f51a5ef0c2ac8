"""POLICY's order of answers on every route: visibility (404) first, then permission (403),
then state (409) and input (422) — also for a body that fails validation, and without a row
lock ever being taken for a caller who may not see the application."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text

from puebla_dev.testing.waiting import wait_until

SV_BENEFICIARY = {
    "given_names": "José Roberto",
    "surnames": "Martínez Cruz",
    "sex": "M",
    "date_of_birth": "1984-07-21",
    "nationality": "SV",
    "protection_need": False,
}
# Each action with a body that fails validation (a wrong type or an unknown field).
INVALID = {
    "submit": {"unexpected": True},
    "request-info": {"question": 5},
    "provide-information": {"answer": ["x"]},
    "review": {"recommendation": "maybe", "note": "x"},
    "approve": {"note": 5, "unexpected": True},
    "reject": {},
    "disbursements": {"amount": 1.5, "purpose": "x"},
    "complete": {"unexpected": True},
    "close": {"unexpected": True},
    "cancel": {"reason": None},
}
# Salvadoran filed by El Salvador: none of these may see it.
STRANGERS = ("ts.rcm", "audit.rcm", "consul.gt.tapachula", "border.gt.tecun", "inm.mx")
# Who sees it but may not take the action.
FORBIDDEN = {
    "submit": ("iom.officer", "iom.approver"),
    "request-info": ("consul.sv.tapachula", "iom.approver"),
    "provide-information": ("iom.officer",),
    "review": ("consul.sv.tapachula", "iom.approver"),
    "approve": ("dgme.sv", "iom.officer"),
    "reject": ("consul.sv.tapachula", "iom.officer"),
    "disbursements": ("dgme.sv", "iom.approver"),
    "complete": ("consul.sv.tapachula", "iom.approver"),
    "close": ("dgme.sv", "iom.approver"),
    "cancel": ("iom.approver",),
}


async def filed(desk: Any) -> str:
    created = await desk.create("dgme.sv", beneficiary=SV_BENEFICIARY)
    assert created.status_code == 201, created.text
    app_id: str = created.json()["id"]
    return app_id


class TestInvalidBodies:
    async def test_a_caller_who_may_not_see_it_gets_404_whatever_the_body(self, today_desk):
        app_id = await filed(today_desk)
        for user in STRANGERS:
            for action, body in INVALID.items():
                response = await today_desk.post(user, f"/v1/applications/{app_id}/{action}", body)
                assert response.status_code == 404, (user, action, response.text)
                assert response.json()["detail"] == "The application was not found."
        # The same answer as for an application that does not exist.
        missing = await today_desk.post(
            "consul.gt.tapachula", f"/v1/applications/{uuid.uuid4()}/review", INVALID["review"]
        )
        assert (missing.status_code, missing.json()["detail"]) == (
            404,
            "The application was not found.",
        )

    async def test_a_caller_who_sees_it_but_may_not_act_gets_403_whatever_the_body(
        self, today_desk
    ):
        app_id = await filed(today_desk)
        for action, users in FORBIDDEN.items():
            for user in users:
                response = await today_desk.post(
                    user, f"/v1/applications/{app_id}/{action}", INVALID[action]
                )
                assert response.status_code == 403, (user, action, response.text)

    async def test_filing_by_someone_who_may_not_file_is_403_whatever_the_body(self, today_desk):
        for user in ("iom.officer", "border.gt.tecun", "ts.rcm", "dif.mx"):
            response = await today_desk.post(user, "/v1/applications", {"beneficiary": 5})
            assert response.status_code == 403, (user, response.text)

    async def test_the_one_who_may_act_gets_the_422(self, today_desk):
        app_id = await filed(today_desk)
        response = await today_desk.post(
            "iom.officer", f"/v1/applications/{app_id}/review", INVALID["review"]
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["recommendation"]


class TestNoLockBeforeVisibility:
    async def test_a_stranger_and_a_forbidden_reader_are_answered_while_the_row_is_locked(
        self, today_desk, runtime
    ):
        """Another transaction holds the application's row lock: a caller who may not see it,
        or may not act, is answered at once — no lock is waited for (or taken) on their
        behalf. The fund officer's review waits for the lock, as it must."""
        app_id = await filed(today_desk)
        path = f"/v1/applications/{app_id}/review"
        body = {"recommendation": "approve", "note": "x"}
        async with runtime.engine.connect() as holder:
            await holder.execute(
                text("SELECT id FROM application WHERE id = :i FOR UPDATE"),
                {"i": uuid.UUID(app_id)},
            )
            stranger = await asyncio.wait_for(
                today_desk.post("consul.gt.tapachula", path, body), timeout=5
            )
            assert stranger.status_code == 404
            reader = await asyncio.wait_for(
                today_desk.post("consul.sv.tapachula", path, body), timeout=5
            )
            assert reader.status_code == 403
            officer = asyncio.create_task(today_desk.post("iom.officer", path, body))

            async def officer_waits_for_the_lock() -> bool:
                waiting = await holder.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                )
                return bool(waiting.scalar_one())

            await wait_until(officer_waits_for_the_lock, timeout=10, what="the review waits")
            assert not officer.done()
            await holder.rollback()
        assert (await officer).status_code == 409  # a draft cannot be reviewed


class TestBudgetOrder:
    async def test_setting_a_budget_is_403_for_anyone_but_an_approver_whatever_the_body(self, desk):
        for body in ({"allocated": 5}, {"unexpected": True}, None):
            for user in ("iom.officer", "ts.rcm", "consul.gt.tapachula"):
                response = await desk.client.put(
                    f"/v1/budgets/{desk.year}", json=body, headers=desk.auth(user)
                )
                assert response.status_code == 403, (user, body, response.text)
        approver = await desk.client.put(
            f"/v1/budgets/{desk.year}", json={"allocated": 5}, headers=desk.auth("iom.approver")
        )
        assert approver.status_code == 422
