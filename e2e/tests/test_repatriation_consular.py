"""Across two running services and NATS, over HTTP only: a manifest that Mexico's migration
authority submits in repatriation becomes a notice and nationality verification requests for
Guatemala's consulate in Tapachula (consular); the consul's decisions travel back and confirm
or reject each returnee on the manifest."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from e2e.bodies import arrival_slot, returnee
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

GUATEMALA = ZoneInfo("America/Guatemala")


class Caller:
    def __init__(self, http: httpx.AsyncClient, tokens: KeycloakTokens, username: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {tokens.get(username)}"}

    async def get(self, url: str, **params: Any) -> httpx.Response:
        return await self.http.get(url, headers=self.headers, params=params)

    async def post(self, url: str, json: Any = None) -> httpx.Response:
        return await self.http.post(url, headers=self.headers, json=json)


async def test_a_submitted_manifest_reaches_the_consul_and_the_decisions_come_back(
    system: dict[str, str], tokens: KeycloakTokens
) -> None:
    repatriation, consular = system["repatriation"], system["consular"]
    family = f"Ixcot {uuid.uuid4().hex[:6]}"
    departure, arrival = arrival_slot()
    async with httpx.AsyncClient(timeout=15.0) as http:
        inm = Caller(http, tokens, "inm.mx")
        consul = Caller(http, tokens, "consul.gt.tapachula")
        other_consul = Caller(http, tokens, "consul.sv.tapachula")

        created = await inm.post(
            f"{repatriation}/v1/manifests",
            {
                "receiving_country": "GT",
                "reception_point": "GT-TECUN-UMAN",
                "scheduled_departure": departure,
                "scheduled_arrival": arrival,
                "vehicle": {"plate": "CHS-4521", "seats": 40},
                "returnees": [returnee("Rosa", family), returnee("Marta", family)],
            },
        )
        assert created.status_code == 201, created.text
        manifest_id = created.json()["id"]
        submitted = await inm.post(f"{repatriation}/v1/manifests/{manifest_id}/submit")
        assert submitted.status_code == 200, submitted.text
        manifest = submitted.json()
        rosa, marta = (r["id"] for r in manifest["returnees"])

        async def notices() -> list[dict[str, Any]]:
            listed = await consul.get(f"{consular}/v1/notifications", related_id=manifest_id)
            items: list[dict[str, Any]] = listed.json()["items"]
            return items

        (notice,) = await wait_until(notices, timeout=30, what="the repatriation notice")
        assert notice["kind"] == "repatriation_notice"
        assert notice["status"] == "pending"
        assert notice["consular_post"] == "GT-CONS-TAPACHULA"
        assert (notice["nationality"], notice["host_country"]) == ("GT", "MX")
        assert notice["manifest"]["reference"] == manifest["reference"]
        assert notice["manifest"]["reception_point"] == "GT-TECUN-UMAN"
        assert notice["manifest"]["returnee_count"] == 2
        assert datetime.fromisoformat(notice["manifest"]["scheduled_arrival"]) == (
            datetime.fromisoformat(arrival)
        )

        async def requests() -> list[dict[str, Any]]:
            listed = await consul.get(f"{consular}/v1/verifications", related_id=manifest_id)
            items: list[dict[str, Any]] = listed.json()["items"]
            return items if len(items) == 2 else []

        by_returnee = {
            v["related"]["returnee_id"]: v
            for v in await wait_until(requests, timeout=30, what="two verification requests")
        }
        assert set(by_returnee) == {rosa, marta}
        assert by_returnee[rosa]["person"]["given_names"] == "Rosa"
        assert by_returnee[rosa]["claimed_nationality"] == "GT"
        assert by_returnee[rosa]["related"]["service"] == "repatriation"
        assert by_returnee[rosa]["related"]["id"] == manifest_id

        # El Salvador's consul sees none of it, not even that it exists.
        elsewhere = await other_consul.get(f"{consular}/v1/verifications", related_id=manifest_id)
        assert elsewhere.json()["items"] == []
        hidden = await other_consul.get(f"{consular}/v1/notifications/{notice['id']}")
        assert hidden.status_code == 404

        acknowledged = await consul.post(f"{consular}/v1/notifications/{notice['id']}/acknowledge")
        assert acknowledged.json()["status"] == "acknowledged"
        confirmed = await consul.post(
            f"{consular}/v1/verifications/{by_returnee[rosa]['id']}/decision",
            {"decision": "confirmed"},
        )
        assert confirmed.status_code == 200, confirmed.text
        rejected = await consul.post(
            f"{consular}/v1/verifications/{by_returnee[marta]['id']}/decision",
            {"decision": "rejected", "reason": "Salvadoran birth certificate on file"},
        )
        assert rejected.status_code == 200, rejected.text

        async def decided() -> dict[str, Any] | None:
            read = (await inm.get(f"{repatriation}/v1/manifests/{manifest_id}")).json()
            status = {r["id"]: r["nationality_status"] for r in read["returnees"]}
            return read if status == {rosa: "confirmed", marta: "rejected"} else None

        back = await wait_until(decided, timeout=30, what="the decisions in repatriation")
        marta_there = next(r for r in back["returnees"] if r["id"] == marta)
        assert marta_there["nationality_rejection_reason"] == (
            "Salvadoran birth certificate on file"
        )
