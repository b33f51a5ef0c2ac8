"""`GET /v1/statistics` on a scratch database of its own, so every count is exact.

The applications are written straight into the tables (the statistics read nothing else), all
submitted in 2025: five Hondurans' filed by Guatemala and funded two days after submission
(one of them 13 years old), a Salvadoran's filed by Mexico rejected after four days (in April),
a Guatemalan's filed by Mexico still under review, and a draft never submitted (not counted).
The 2025 budget: 10 000 allocated, 1 500 reserved.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.service import app_client, service_runtime
from reserve_fund.adapters import orm
from reserve_fund.config import definition
from reserve_fund.entrypoints.api.app import create_app

MARCH = datetime(2025, 3, 3, 15, tzinfo=UTC)
APRIL = datetime(2025, 4, 7, 15, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scratch(infra: Infra, keycloak_url: str) -> AsyncIterator[Runtime]:
    rt = await service_runtime(
        infra, definition(), database=f"reserve_fund_stats_{uuid.uuid4().hex[:10]}"
    )
    yield rt
    await rt.close()


def application(
    status: str,
    requesting: str,
    nationality: str,
    *,
    sex: str = "F",
    born: str = "1990-05-17",
    submitted: datetime | None = MARCH,
    categories: tuple[str, ...] = ("disability",),
    **values: Any,
) -> dict[str, Any]:
    funded = status == "approved"
    return {
        "id": uuid.uuid4(),
        "reference": f"RF-{uuid.uuid4().hex[:10]}",
        "status": status,
        "version": 3,
        "requested_by": "igm.gt" if requesting == "GT" else "inm.mx",
        "requesting_country": requesting,
        "requested_by_role": "immigration_officer",
        "beneficiary_given_names": "María José",
        "beneficiary_surnames": "Hernández",
        "beneficiary_sex": sex,
        "beneficiary_date_of_birth": date.fromisoformat(born),
        "beneficiary_nationality": nationality,
        "current_country": "MX",
        "categories": list(categories),
        "consent_given": True,
        "consent_given_by": "beneficiary",
        "consent_recorded_at": datetime(2025, 3, 1, tzinfo=UTC),
        "justification": "Needs a wheelchair-accessible bus.",
        "created_at": datetime(2025, 3, 1, tzinfo=UTC),
        "submitted_at": submitted,
        "approvals_needed": 1,
        "requested_total": Decimal("300.00"),
        "approved_total": Decimal("300.00") if funded else Decimal(0),
        "released_total": Decimal(0),
        "budget_year": 2025 if funded else None,
        "updated_at": (submitted or MARCH) + DAY,
        **values,
    }


FUNDED = [
    application("approved", "GT", "HN"),
    application("approved", "GT", "HN"),
    application("approved", "GT", "HN", categories=("disability", "injury_or_illness")),
    application("approved", "GT", "HN", born="2012-01-10", categories=("unaccompanied_child",)),
    application("approved", "GT", "HN", sex="M"),
]
OTHERS = [
    application(
        "rejected",
        "MX",
        "SV",
        submitted=APRIL,
        updated_at=APRIL + 4 * DAY,
        rejection_reason="Family cannot be located.",
    ),
    application("under_review", "MX", "GT"),
    application("draft", "MX", "GT", submitted=None),
]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(scratch: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with scratch.sessions.begin() as session:
        await session.execute(
            orm.budget.insert().values(
                year=2025, allocated=Decimal("10000.00"), reserved=Decimal("1500.00")
            )
        )
        for row in [*FUNDED, *OTHERS]:
            await session.execute(orm.application.insert().values(**row))
        for row in FUNDED:
            await session.execute(
                orm.application_approval.insert().values(
                    application_id=row["id"],
                    approver="iom.approver",
                    at=row["submitted_at"] + 2 * DAY,
                    note="Approved.",
                )
            )
    async with app_client(create_app(scratch)) as http:
        yield http


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


@pytest.mark.parametrize("user", ["ts.rcm", "iom.officer"])
async def test_the_region_with_the_report_and_the_budget(client, tokens, user):
    response = await statistics(client, tokens, user)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 7
    assert tables(body) == {
        "by_month": {"2025-03": 6, "2025-04": "<5"},
        "by_decision": {"funded": 5, "open": "<5", "rejected": "<5"},
        "by_requesting_country": {"GT": 5, "MX": "<5"},
        "by_nationality": {"GT": "<5", "HN": 5, "SV": "<5"},
        "by_sex": {"F": 6, "M": "<5"},
        "by_age_band": {"12-17": "<5", "18-59": 6},
        "by_category": {"disability": 6, "injury_or_illness": "<5", "unaccompanied_child": "<5"},
    }
    assert body["figures"] == {
        "approved": "1500.00",
        "decisions": "6",
        "turnaround_median_days": "2.0",
        "allocated": "10000.00",
        "reserved": "1500.00",
        "disbursed": "0.00",
        "available": "8500.00",
    }
    assert "Hernández" not in response.text
    assert "Family cannot" not in response.text


async def test_a_country_sees_its_own_figures_without_the_budget(client, tokens):
    mexico = (await statistics(client, tokens, "inm.mx")).json()
    guatemala = (await statistics(client, tokens, "igm.gt")).json()

    assert mexico["country"] == "MX"
    assert mexico["total"] == "<5"
    assert tables(mexico)["by_decision"] == {"open": "<5", "rejected": "<5"}
    assert mexico["figures"] == {
        "approved": "0.00",
        "decisions": "<5",
        "turnaround_median_days": "<5",
    }
    assert guatemala["total"] == 6
    assert (await statistics(client, tokens, "inm.mx", country="GT")).status_code == 403


@pytest.mark.parametrize("user", ["consul.gt.tapachula", "dif.mx", "border.gt.tecun"])
async def test_caseworkers_and_others_are_refused(client, tokens, user):
    assert (await statistics(client, tokens, user)).status_code == 403
