"""child_protection → consular, over HTTP on the running stack: opening a case notifies the
child's consulate, or nobody while a trafficking indicator blocks it; the host supervisor's
decision that clears the block produces the notification then. Who the child is reaches the
consulate only with that notification (`child.case.consular_notice.v1`): the notice names the
child though the opening said nobody's name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until


def bearer(tokens: KeycloakTokens, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get(user)}"}


def case_body(*, trafficking: bool) -> dict[str, Any]:
    return {
        "child": {
            "given_names": "Brayan",
            "surnames": f"Zelaya {uuid.uuid4().hex[:6]}",
            "sex": "M",
            "date_of_birth": "2012-04-02",
            "nationality": "HN",
            "languages": ["es"],
        },
        "identified_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "accompaniment": "unaccompanied",
        "age_disputed": False,
        "protection_need": False,
        "trafficking_indicator": trafficking,
    }


async def test_block_then_clearance_then_notification(
    system: dict[str, str], tokens: KeycloakTokens
) -> None:
    child, consular = system["child_protection"], system["consular"]
    async with httpx.AsyncClient(timeout=30) as http:

        async def notices_about(case_id: str) -> list[dict[str, Any]]:
            response = await http.get(
                f"{consular}/v1/notifications",
                params={"related_id": case_id},
                headers=bearer(tokens, "consul.hn.tapachula"),
            )
            assert response.status_code == 200
            return list(response.json()["items"])

        blocked_body = case_body(trafficking=True)
        blocked = await http.post(
            f"{child}/v1/cases", json=blocked_body, headers=bearer(tokens, "dif.mx")
        )
        assert blocked.status_code == 201
        assert blocked.json()["blocked_for_consulate"] is True
        control_body = case_body(trafficking=False)
        control = await http.post(
            f"{child}/v1/cases", json=control_body, headers=bearer(tokens, "dif.mx")
        )
        assert control.status_code == 201

        # The pipeline flows: the unblocked case reaches the consulate...
        arrived = await wait_until(lambda: notices_about(control.json()["id"]), timeout=60)
        assert [n["kind"] for n in arrived] == ["child_case"]
        assert arrived[0]["person"]["surnames"] == control_body["child"]["surnames"]
        assert arrived[0]["person"]["date_of_birth"] == "2012-04-02"
        assert arrived[0]["place"]["city"] == "Tapachula"
        # ...and the blocked one, opened before it, did not.
        assert await notices_about(blocked.json()["id"]) == []
        hidden = await http.get(
            f"{child}/v1/cases/{blocked.json()['id']}",
            headers=bearer(tokens, "consul.hn.tapachula"),
        )
        assert hidden.status_code == 404

        cleared = await http.post(
            f"{child}/v1/cases/{blocked.json()['id']}/protection-decision",
            json={"clear_block": True, "reasons": "Risk assessed; family contact is safe."},
            headers=bearer(tokens, "dif.mx.supervisor"),
        )
        assert cleared.status_code == 200
        assert cleared.json()["blocked_for_consulate"] is False

        now_told = await wait_until(lambda: notices_about(blocked.json()["id"]), timeout=60)
        assert [n["kind"] for n in now_told] == ["child_case"]
        assert now_told[0]["nationality"] == "HN"
        assert now_told[0]["status"] == "pending"
        # Held without the child's identity while blocked; named once the block is cleared.
        assert now_told[0]["person"]["surnames"] == blocked_body["child"]["surnames"]
        assert now_told[0]["place"]["state"] == "Chiapas"
        visible = await http.get(
            f"{child}/v1/cases/{blocked.json()['id']}",
            headers=bearer(tokens, "consul.hn.tapachula"),
        )
        assert visible.status_code == 200
