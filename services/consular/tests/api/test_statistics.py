"""`GET /v1/statistics` on a scratch database of its own, so every count is exact.

The notices are written straight into `notification` (the statistics read nothing else), all
reported by Mexico (America/Mexico_City, UTC-6 in 2025) in 2025: six detentions of Guatemalans
(five sent and acknowledged on time, one late on both), a Honduran's death sent on time and
never acknowledged, a Salvadoran's accident the person declined to have notified, a Salvadoran's
detention late on 31 December that no post could be found for, and a Honduran's detention
withdrawn under the protection exception (never counted).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from consular.adapters.orm import notification
from consular.config import definition
from consular.entrypoints.api.app import create_app
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime

JUNE = datetime.fromisoformat("2025-06-10T10:00:00-06:00")
HOUR = timedelta(hours=1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scratch(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(
        infra, definition(), database=f"consular_stats_{uuid.uuid4().hex[:10]}"
    )
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(scratch: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with scratch.sessions.begin() as session:
        for row in NOTICES:
            await session.execute(notification.insert().values(**row))
    async with app_client(create_app(scratch)) as http:
        yield http


def notice(
    kind: str,
    nationality: str,
    status: str,
    *,
    occurred_at: datetime = JUNE,
    sent_after: timedelta | None = HOUR,
    acknowledged_after: timedelta | None = None,
) -> dict[str, Any]:
    routed = status in ("pending", "acknowledged", "withdrawn")
    return {
        "id": uuid.uuid4(),
        "reference": f"N-{uuid.uuid4().hex[:10]}",
        "kind": kind,
        "nationality": nationality,
        "host_country": "MX",
        "person": {"given_names": "José", "surnames": "Ramírez", "date_of_birth": "1990-01-01"},
        "place": {"state": "Chiapas", "city": "Tapachula", "station": "Siglo XXI"},
        "occurred_at": occurred_at,
        "status": status,
        "consular_post": f"{nationality}-CONS-TAPACHULA" if routed else None,
        "time_zone": "America/Mexico_City",
        "person_requests_notification": True,
        "person_objects_to_consular_action": False,
        "mandatory": False,
        "created_at": occurred_at,
        "due_at": occurred_at + 24 * HOUR if routed else None,
        "ack_due_at": occurred_at + 72 * HOUR if routed else None,
        "sent_at": occurred_at + sent_after if routed and sent_after else None,
        "acknowledged_at": occurred_at + acknowledged_after if acknowledged_after else None,
        "acknowledged_by": "consul" if acknowledged_after else None,
        "suppression_reason": "person_declined" if status == "suppressed" else None,
        "withdrawn_reason": "protection" if status == "withdrawn" else None,
        "withdrawn_at": occurred_at + HOUR if status == "withdrawn" else None,
        "overdue": False,
        "actions": [],
        "reported_by": "inm.mx",
        "access": [],
        "version": 1,
    }


NOTICES = [
    *(notice("detention", "GT", "acknowledged", acknowledged_after=5 * HOUR) for _ in range(5)),
    notice("detention", "GT", "acknowledged", sent_after=30 * HOUR, acknowledged_after=80 * HOUR),
    notice("death", "HN", "pending"),
    notice("accident", "SV", "suppressed", sent_after=None),
    # 22:00 in Mexico City is 2026 in UTC: counted in December 2025, the local month.
    notice(
        "detention",
        "SV",
        "unroutable",
        occurred_at=datetime.fromisoformat("2025-12-31T22:00:00-06:00"),
        sent_after=None,
    ),
    notice("detention", "HN", "withdrawn", sent_after=None),
]


async def statistics(
    client: httpx.AsyncClient, tokens: KeycloakTokens, user: str, **params: Any
) -> httpx.Response:
    return await client.get(
        "/v1/statistics",
        params={"year": 2025, **params},
        headers={"Authorization": f"Bearer {tokens.get(user)}"},
    )


def tables(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: {row["key"]: row["count"] for row in t["rows"]} for t in body["tables"]}


async def test_the_secretariat_sees_every_notice_but_the_withdrawn(client, tokens):
    response = await statistics(client, tokens, "ts.rcm")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 9
    assert tables(body) == {
        "by_month": {"2025-06": 8, "2025-12": "<5"},
        "by_kind": {"accident": "<5", "death": "<5", "detention": 7},
        "by_host_country": {"MX": 9},
        "by_nationality": {"GT": 6, "HN": "<5", "SV": "<5"},
        "by_sending": {"late": "<5", "on_time": 6, "suppressed": "<5", "unroutable": "<5"},
        "by_acknowledgement": {"late": "<5", "overdue": "<5", "within_deadline": 5},
    }
    assert "Ramírez" not in response.text
    assert "1990-01-01" not in response.text


async def test_one_country_without_its_withdrawn_notice(client, tokens):
    body = (await statistics(client, tokens, "ts.rcm", country="HN")).json()

    assert body["total"] == "<5"
    assert tables(body)["by_kind"] == {"death": "<5"}


async def test_an_immigration_officer_sees_their_own_country_only(client, tokens):
    host = (await statistics(client, tokens, "inm.mx")).json()
    nationality = (await statistics(client, tokens, "igm.gt")).json()

    assert host["country"] == "MX"
    assert host["total"] == 9
    assert nationality["country"] == "GT"
    assert nationality["total"] == 6
    assert (await statistics(client, tokens, "igm.gt", country="MX")).status_code == 403


@pytest.mark.parametrize("user", ["consul.gt.tapachula", "border.gt.tecun", "iom.officer"])
async def test_caseworkers_and_others_are_refused(client, tokens, user):
    assert (await statistics(client, tokens, user)).status_code == 403
