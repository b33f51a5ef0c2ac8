"""`GET /v1/statistics` on a scratch database of its own, so every count is exact.

The cases are written straight into `child_case` (the statistics read nothing else), all
identified in 2025: one Honduran child in Mexico far along (a BID to return, the interview
late), five Guatemalan children in Mexico notified on time and nothing since (the later
deadlines missed), one Honduran child in Guatemala closed an hour after identification (no
deadline had come: not counted), and a Mexican child in Guatemala with nothing done since
(every deadline missed).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from child_protection.adapters.orm import child_case
from child_protection.config import definition
from child_protection.entrypoints.api.app import create_app
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime

IDENTIFIED = datetime(2025, 2, 1, tzinfo=UTC)
HOURS = timedelta(hours=1)
DAYS = timedelta(days=1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scratch(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(
        infra, definition(), database=f"child_protection_stats_{uuid.uuid4().hex[:10]}"
    )
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(scratch: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await cases(scratch)
    async with app_client(create_app(scratch)) as http:
        yield http


def case_row(host: str, nationality: str, stage: str, **values: Any) -> dict[str, Any]:
    reached = {k: (IDENTIFIED + v).isoformat() for k, v in values.pop("reached", {}).items()}
    return {
        "id": uuid.uuid4(),
        "reference": f"{host}-{uuid.uuid4().hex[:8]}",
        "host_country": host,
        "nationality": nationality,
        "given_names": "Kevin",
        "surnames": "Martínez",
        "sex": "M",
        "estimated_age": 14,
        "age_disputed": False,
        "identified_at": IDENTIFIED,
        "place_country": host,
        "accompaniment": "unaccompanied",
        "opened_at": IDENTIFIED + HOURS,
        "opened_by": "dif.mx",
        "deadline_rule": {
            "country": host,
            "notification_seconds": 86400,
            "interview_seconds": 259200,
            "bia_seconds": 1296000,
            "bid_seconds": 2592000,
        },
        "stage": stage,
        "blocked_for_consulate": False,
        "reached": reached,
        "version": 1,
        **values,
    }


CASES = [
    case_row(
        "MX",
        "HN",
        "determined",
        bid_decision="return",
        reached={
            "notified": 10 * HOURS,
            "interviewed": 80 * HOURS,  # due at 72 h: late
            "assessed": 10 * DAYS,
            "determined": 20 * DAYS,
        },
    ),
    *(case_row("MX", "GT", "notified", reached={"notified": 2 * HOURS}) for _ in range(5)),
    case_row("GT", "HN", "identified", closed_at=IDENTIFIED + HOURS, closed_by="sbs.gt"),
    # A Mexican child in Guatemala: Mexico's figures as a host leave it out.
    case_row("GT", "MX", "identified"),
]


async def cases(rt: Runtime) -> None:
    async with rt.sessions.begin() as session:
        for row in CASES:
            await session.execute(child_case.insert().values(**row))


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


async def test_the_secretariat_sees_every_host(client, tokens):
    response = await statistics(client, tokens, "ts.rcm")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 8
    assert tables(body) == {
        "by_stage": {"determined": "<5", "identified": "<5", "notified": 5},
        "by_nationality": {"GT": 5, "HN": "<5", "MX": "<5"},
        "by_host_country": {"GT": "<5", "MX": 6},
        "by_bid_decision": {"return": "<5"},
        "by_deadline": {
            "notified:met": 6,
            "notified:missed": "<5",
            "interviewed:late": "<5",
            "interviewed:missed": 6,
            "assessed:met": "<5",
            "assessed:missed": 6,
            "determined:met": "<5",
            "determined:missed": 6,
        },
    }
    assert "Martínez" not in response.text
    assert "Kevin" not in response.text


async def test_one_country_for_the_secretariat_is_its_hosted_and_its_nationals(client, tokens):
    body = (await statistics(client, tokens, "ts.rcm", country="HN")).json()

    assert body["total"] == "<5"
    assert tables(body)["by_host_country"] == {"GT": "<5", "MX": "<5"}


async def test_a_supervisor_sees_only_the_cases_their_country_hosts(client, tokens):
    response = await statistics(client, tokens, "dif.mx.supervisor")

    assert response.status_code == 200, response.text
    assert response.json()["country"] == "MX"
    assert response.json()["total"] == 6
    assert tables(response.json())["by_host_country"] == {"MX": 6}
    assert (await statistics(client, tokens, "dif.mx.supervisor", country="GT")).status_code == 403


@pytest.mark.parametrize("user", ["dif.mx", "dinaf.hn", "consul.hn.tapachula", "inm.mx"])
async def test_caseworkers_and_others_are_refused(client, tokens, user):
    assert (await statistics(client, tokens, user)).status_code == 403
