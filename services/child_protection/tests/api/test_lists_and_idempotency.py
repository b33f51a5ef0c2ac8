"""Keyset pagination of what the caller may see, and `Idempotency-Key` on writes.

The list tests run on a database of their own, so that they can count every case in it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio

from child_protection.config import definition
from child_protection.entrypoints.api.app import create_app
from puebla.clock import FrozenClock
from puebla.testing.infra import Infra
from puebla.testing.service import app_client, service_runtime

from .conftest import Api, case_body

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def own(infra: Infra, tokens) -> AsyncIterator[tuple[Api, FrozenClock]]:
    name = f"child_protection_test_{uuid.uuid4().hex[:8]}"
    runtime = await service_runtime(infra, definition(), database=name)
    clock = FrozenClock(START)
    try:
        async with app_client(create_app(runtime, clock=clock)) as http:
            yield Api(http, tokens), clock
    finally:
        await runtime.close()
        conn = await asyncpg.connect(
            host="127.0.0.1", port=infra.pg_port, user="postgres", database="postgres"
        )
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _all_pages(api: Api, user: str, limit: int, **params) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = (await api.get(user, "/v1/cases", **query)).json()
        pages.append([item["reference"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


class TestList:
    async def test_pages_newest_first_without_gaps_or_repeats(self, own) -> None:
        api, clock = own
        refs = []
        for nationality in ("HN", "GT", "HN", "HN", "GT"):
            refs.append((await api.open("dif.mx", child={"nationality": nationality}))["reference"])
            clock.advance(timedelta(minutes=1))

        pages = await _all_pages(api, "dif.mx", limit=2)

        assert pages == [[refs[4], refs[3]], [refs[2], refs[1]], [refs[0]]]

    async def test_each_caller_sees_only_their_cases(self, own) -> None:
        api, clock = own
        hn = (await api.open("dif.mx"))["reference"]
        clock.advance(timedelta(minutes=1))
        gt = (await api.open("dif.mx", child={"nationality": "GT"}))["reference"]
        clock.advance(timedelta(minutes=1))
        hidden = (await api.open("dif.mx", protection_need=True))["reference"]
        clock.advance(timedelta(minutes=1))
        hn2 = (await api.open("dif.mx"))["reference"]

        seen = {
            user: [ref for page in await _all_pages(api, user, limit=1) for ref in page]
            for user in ("dif.mx.supervisor", "dinaf.hn", "consul.hn.tapachula", "sbs.gt", "inm.mx")
        }

        assert seen["dif.mx.supervisor"] == [hn2, hidden, gt, hn]
        assert seen["dinaf.hn"] == [hn2, hn]  # page by page: the hidden one leaves no gap
        assert seen["consul.hn.tapachula"] == [hn2, hn]
        assert seen["sbs.gt"] == [gt]
        assert seen["inm.mx"] == []

    async def test_filters_by_stage_and_by_overdue(self, own) -> None:
        api, clock = own
        late = await api.open("dif.mx")
        clock.advance(timedelta(hours=30))
        fresh = await api.open("dif.mx")
        notified = await api.post(
            "dif.mx", f"/v1/cases/{fresh['id']}/notifications", {"authority": "PFPNNA"}
        )
        assert notified.status_code == 200

        overdue = await _all_pages(api, "dif.mx", limit=50, overdue="true")
        by_stage = await _all_pages(api, "dif.mx", limit=50, stage="notified")

        assert overdue == [[late["reference"]]]
        assert by_stage == [[fresh["reference"]]]
        shown = (await api.get("dinaf.hn", f"/v1/cases/{late['id']}")).json()["deadlines"]
        assert [(d["stage"], d["overdue"]) for d in shown] == [
            ("notified", True),
            ("interviewed", False),
            ("assessed", False),
            ("determined", False),
        ]
        assert shown[0]["due_at"] == "2026-12-02T15:00:00Z"


class TestIdempotency:
    async def test_a_retried_open_creates_one_case(self, api: Api, db) -> None:
        key = f"open-{uuid.uuid4()}"
        body = case_body()

        first = await api.post("dif.mx", "/v1/cases", body, **{"Idempotency-Key": key})
        again = await api.post("dif.mx", "/v1/cases", body, **{"Idempotency-Key": key})

        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert len(await db.outbox(first.json()["id"])) == 1

    async def test_a_retried_action_applies_once(self, api: Api) -> None:
        case = await api.open("dif.mx")
        key = f"interview-{uuid.uuid4()}"
        path = f"/v1/cases/{case['id']}/interviews"
        body = {"language": "es", "notes": "First interview."}

        for _ in range(3):
            response = await api.post("dif.mx", path, body, **{"Idempotency-Key": key})
            assert response.status_code == 200

        sections = await api.get("dif.mx", f"/v1/cases/{case['id']}/sensitive", purpose="check")
        assert len(sections.json()["interviews"]) == 1

    async def test_a_refusal_is_replayed_too(self, api: Api, bodies) -> None:
        case = await api.open("dif.mx")
        key = f"bid-{uuid.uuid4()}"
        path = f"/v1/cases/{case['id']}/bid"

        # Refused inside the use case (no BIA yet): the refusal is the key's answer.
        first = await api.post("dif.mx.supervisor", path, bodies["bid"], **{"Idempotency-Key": key})
        again = await api.post("dif.mx.supervisor", path, bodies["bid"], **{"Idempotency-Key": key})

        assert first.status_code == again.status_code == 409
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()

    async def test_the_same_key_for_another_body_is_refused(self, api: Api) -> None:
        key = f"open-{uuid.uuid4()}"
        await api.post("dif.mx", "/v1/cases", case_body(), **{"Idempotency-Key": key})

        other = await api.post(
            "dif.mx",
            "/v1/cases",
            case_body(child={"given_names": "Otro"}),
            **{"Idempotency-Key": key},
        )

        assert other.status_code == 422
        assert other.json()["errors"][0] == {
            "field": "Idempotency-Key",
            "rule": "reused_with_different_request",
        }
