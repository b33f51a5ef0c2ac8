"""`GET /v1/manifests?arrival_from=&arrival_to=`: inclusive days of the scheduled arrival on the
reception point's own clock (America/Guatemala, UTC-6, for GT-TECUN-UMAN), and 422 naming the
parameter for a date that is not one or a range that ends before it starts."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text

GUATEMALA = timezone(timedelta(hours=-6))


def fields(response) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in response.json().get("errors", [])]


async def _arriving(api, at: datetime) -> str:
    """A draft whose arrival is moved to `at` in the table: the API keeps arrivals inside
    the window (08:00-17:00 local, the same day in UTC), and the test needs one whose day in
    Guatemala is not its day in UTC."""
    manifest = await api.draft()
    async with api.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE manifest SET scheduled_arrival = :at WHERE id = :id"),
            {"at": at, "id": uuid.UUID(manifest["id"])},
        )
    return str(manifest["id"])


async def _listed(api, **params) -> list[str]:
    response = await api.get("inm.mx", "/v1/manifests", limit=200, **params)
    assert response.status_code == 200, response.text
    return [m["id"] for m in response.json()["items"]]


class TestArrivalFilter:
    async def test_inclusive_days_on_the_reception_points_clock(self, api):
        # Days of their own, far ahead: no other test's manifest arrives on them.
        day = date(2200, 1, 1) + timedelta(days=random.randrange(300_000))
        first = await _arriving(
            api, datetime.combine(day, datetime.min.time(), GUATEMALA).replace(hour=10)
        )
        # 23:30 in Guatemala on day+1 is 05:30 UTC on day+2: a bus of day+1.
        late = await _arriving(
            api,
            datetime.combine(day + timedelta(days=1), datetime.min.time(), GUATEMALA).replace(
                hour=23, minute=30
            ),
        )
        third = await _arriving(
            api,
            datetime.combine(day + timedelta(days=3), datetime.min.time(), GUATEMALA).replace(
                hour=10
            ),
        )
        ours = {first, late, third}

        def iso(offset: int) -> str:
            return (day + timedelta(days=offset)).isoformat()

        found = await _listed(api, arrival_from=iso(1), arrival_to=iso(1))
        assert ours & set(found) == {late}
        found = await _listed(api, arrival_from=iso(2), arrival_to=iso(3))
        assert ours & set(found) == {third}
        found = await _listed(api, arrival_from=iso(0), arrival_to=iso(1))
        assert ours & set(found) == {first, late}
        assert ours & set(await _listed(api, arrival_to=iso(0))) == {first}
        assert ours & set(await _listed(api, arrival_from=iso(3))) == {third}

    async def test_combines_with_the_other_filters(self, api):
        day = date(2200, 1, 1) + timedelta(days=random.randrange(300_000))
        arrival = datetime.combine(day, datetime.min.time(), GUATEMALA).replace(hour=10)
        draft = await _arriving(api, arrival)
        assert draft in await _listed(api, arrival_from=day.isoformat(), status="draft")
        assert draft not in await _listed(api, arrival_from=day.isoformat(), status="submitted")

    async def test_a_date_that_is_not_one_is_422_naming_the_parameter(self, api):
        response = await api.get("inm.mx", "/v1/manifests", arrival_from="2026-02-30")
        assert response.status_code == 422
        assert [f for f, _ in fields(response)] == ["arrival_from"]
        response = await api.get("inm.mx", "/v1/manifests", arrival_to="01/12/2026")
        assert [f for f, _ in fields(response)] == ["arrival_to"]

    async def test_a_range_ending_before_it_starts_is_422(self, api):
        response = await api.get(
            "inm.mx", "/v1/manifests", arrival_from="2026-12-02", arrival_to="2026-12-01"
        )
        assert response.status_code == 422
        assert fields(response) == [("arrival_to", "arrival_to_before_arrival_from")]
        same_day = await api.get(
            "inm.mx", "/v1/manifests", arrival_from="2026-12-01", arrival_to="2026-12-01"
        )
        assert same_day.status_code == 200
