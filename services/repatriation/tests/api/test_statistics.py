"""`GET /v1/statistics` on a scratch database of its own, so every count is exact.

The hand-over records are written straight into the tables (the statistics read nothing else);
the year is 2025, before anything the other tests write. Corridors: MX→GT (8 handed over, one
not yet) and SV→GT (one), all at GT-TECUN-UMAN (America/Guatemala, UTC-6).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio

from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from repatriation.adapters.orm import manifest, returnee
from repatriation.config import definition
from repatriation.entrypoints.api.app import create_app

LOCAL = "-06:00"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scratch(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(
        infra, definition(), database=f"repatriation_stats_{uuid.uuid4().hex[:10]}"
    )
    yield rt
    await rt.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(scratch: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    await handed_over(scratch)
    async with app_client(create_app(scratch)) as http:
        yield http


def at(local: str) -> datetime:
    return datetime.fromisoformat(local + LOCAL)


def person(
    sex: str,
    born: str,
    outcome: str | None = "received",
    when: str = "2025-03-10T10:00:00",
    stored: str | None = None,
    **flags: bool,
) -> dict[str, Any]:
    """`when` is the post's time (`handed_over_at`), `stored` when Puebla got it (default the
    same: an online post)."""
    return {
        "sex": sex,
        "date_of_birth": date.fromisoformat(born),
        "handover_outcome": outcome,
        "handover_reason": "no_identity_document" if outcome == "refused" else None,
        "handover_officer": None if outcome is None else "border.gt.tecun",
        "handover_post": None if outcome is None else "GT-TECUN-UMAN",
        "handed_over_at": None if outcome is None else at(when),
        "handover_stored_at": None if outcome is None else at(stored or when),
        **flags,
    }


MX_GT = [
    person("F", "1990-05-17"),
    person("F", "1991-02-01", pregnant=True),
    person("F", "1985-07-30"),
    person("F", "1988-11-11"),
    person("M", "1980-01-15"),
    person("M", "2015-06-01"),  # 9 years old: 0-11
    person("M", "1960-01-01", outcome="refused", when="2025-04-02T09:00:00"),  # 65: 60+
    # 23:30 in Guatemala is already 2026 in UTC: counted in December 2025, the local month —
    # and by the post's time: the post was offline and sent it on 2 January.
    person("F", "2007-12-31", when="2025-12-31T23:30:00", stored="2026-01-02T08:00:00"),
    person("F", "1990-01-01", outcome=None),  # not handed over: not counted
]
SV_GT = [person("M", "1995-03-03", when="2025-05-20T11:00:00")]


async def handed_over(rt: Runtime) -> None:
    async with rt.sessions.begin() as session:
        for sending, people in (("MX", MX_GT), ("SV", SV_GT)):
            manifest_id = uuid.uuid4()
            await session.execute(
                manifest.insert().values(
                    id=manifest_id,
                    reference=f"{sending}-GT-2025-{uuid.uuid4().hex[:6]}",
                    sending_country=sending,
                    receiving_country="GT",
                    reception_point="GT-TECUN-UMAN",
                    reception_time_zone="America/Guatemala",
                    scheduled_departure=datetime(2025, 3, 10, 8, tzinfo=UTC),
                    scheduled_arrival=datetime(2025, 3, 10, 16, tzinfo=UTC),
                    vehicle_plate="CHS-4521",
                    vehicle_seats=50,
                    status="closed",
                    late_notice=False,
                    version=1,
                    created_by="inm.mx",
                    created_at=datetime(2025, 3, 1, tzinfo=UTC),
                )
            )
            for position, who in enumerate(people):
                values = {
                    "pregnant": False,
                    "disability": False,
                    "illness_or_injury": False,
                    "trafficking_indicator": False,
                    "age_disputed": False,
                    **who,
                }
                await session.execute(
                    returnee.insert().values(
                        id=uuid.uuid4(),
                        manifest_id=manifest_id,
                        position=position,
                        given_names="Ana",
                        surnames="López",
                        nationality="GT" if sending == "MX" else "SV",
                        place_of_origin="Quetzaltenango",
                        nationality_status="confirmed",
                        **values,
                    )
                )


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


async def test_the_secretariat_sees_every_corridor_with_small_cells_hidden(client, tokens):
    response = await statistics(client, tokens, "ts.rcm")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 9
    assert body["country"] is None
    assert tables(body) == {
        "by_month": {"2025-03": 6, "2025-04": "<5", "2025-05": "<5", "2025-12": "<5"},
        "by_corridor": {"MX-GT": 8, "SV-GT": "<5"},
        "by_reception_point": {"GT-TECUN-UMAN": 9},
        "by_sex": {"F": 5, "M": "<5"},
        "by_age_band": {"0-11": "<5", "18-59": 7, "60+": "<5"},
        "by_outcome": {"received": 8, "refused": "<5"},
        "by_vulnerability": {"pregnant": "<5", "none": 8},
        "by_record_signing": {},  # no manifest here is closed
    }


async def test_no_name_nor_date_of_birth_leaves_the_service(client, tokens):
    text = (await statistics(client, tokens, "ts.rcm")).text

    assert "López" not in text
    assert "1990-05-17" not in text
    assert "Ana" not in text


async def test_narrowed_to_one_country(client, tokens):
    body = (await statistics(client, tokens, "ts.rcm", country="SV")).json()

    assert body["country"] == "SV"
    assert body["total"] == "<5"
    assert tables(body)["by_corridor"] == {"SV-GT": "<5"}


async def test_an_immigration_officer_sees_only_their_own_country(client, tokens):
    response = await statistics(client, tokens, "inm.mx")

    assert response.status_code == 200, response.text
    assert response.json()["country"] == "MX"
    assert response.json()["total"] == 8
    assert tables(response.json())["by_corridor"] == {"MX-GT": 8}
    other = await statistics(client, tokens, "inm.mx", country="SV")
    assert other.status_code == 403


@pytest.mark.parametrize("user", ["border.gt.tecun", "consul.gt.tapachula", "dif.mx"])
async def test_caseworkers_are_refused(client, tokens, user):
    assert (await statistics(client, tokens, user)).status_code == 403


async def test_the_threshold_is_a_setting(client, tokens, monkeypatch):
    monkeypatch.setenv("PUEBLA_STATISTICS_SMALL_CELL", "2")

    body = (await statistics(client, tokens, "ts.rcm")).json()

    assert body["small_cell"] == 2
    assert tables(body)["by_sex"] == {"F": 5, "M": 4}
    assert tables(body)["by_outcome"] == {"received": 8, "refused": "<2"}


async def test_another_year_is_empty(client, tokens):
    body = (await statistics(client, tokens, "ts.rcm", year=2024)).json()

    assert body["total"] == 0
    assert all(t["rows"] == [] for t in body["tables"])
