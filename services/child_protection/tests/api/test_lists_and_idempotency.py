"""Keyset pagination of what the caller may see, and `Idempotency-Key` on writes.

The list tests run on a database of their own, so that they can count every case in it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.engine import Engine

from child_protection.bootstrap import ChildProtection
from child_protection.config import definition
from child_protection.domain.errors import CaseNotVisible
from child_protection.entrypoints.api import answers
from child_protection.entrypoints.api.app import create_app
from puebla.auth.principal import Principal
from puebla.clock import FrozenClock
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.service import app_client, service_runtime

from .conftest import Api, case_body

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def own(infra: Infra, tokens) -> AsyncIterator[tuple[Api, FrozenClock]]:
    name = f"child_protection_test_{uuid.uuid4().hex[:8]}"
    runtime = await service_runtime(infra, definition(), database=name)
    clock = FrozenClock(START)
    try:
        async with app_client(create_app(runtime, clock=clock)) as http:
            yield Api(http, tokens, clock), clock
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
        assert shown[0]["due_at"] == "2026-12-02T13:00:00Z"  # 24 h from the identification


class TestOverdueFilterInSql:
    """security.md finding 4: `?overdue=` used to be computed in Python over batches of
    `limit + 1` rows until a page was full, so one request walked the caller's whole list."""

    async def test_one_statement_finds_the_one_overdue_case_among_many(self, own) -> None:
        api, clock = own
        late = await api.open("dif.mx")
        clock.advance(timedelta(hours=30))  # its notification was due 24 h after identification
        fresh = []
        for _ in range(40):
            fresh.append((await api.open("dif.mx"))["reference"])
            clock.advance(timedelta(seconds=1))

        with _statements() as executed:
            body = (await api.get("dif.mx", "/v1/cases", limit=1, overdue="true")).json()

        assert [item["reference"] for item in body["items"]] == [late["reference"]]
        assert body["next_cursor"] is None
        assert len([sql for sql in executed if "child_case" in sql]) == 1
        not_overdue = await _all_pages(api, "dif.mx", limit=7, overdue="false")
        assert [ref for page in not_overdue for ref in page] == fresh[::-1]
        assert [len(page) for page in not_overdue] == [7, 7, 7, 7, 7, 5]

    async def test_a_closed_case_counts_as_overdue_only_if_it_was_at_its_closing(
        self, own, bodies
    ) -> None:
        api, clock = own
        kept_waiting = await api.open("dif.mx")  # no notification: overdue after 24 h
        clock.advance(timedelta(hours=30))
        in_time = await api.open("dif.mx")
        await _close_in_host(api, kept_waiting["id"], bodies, notified=False)
        await _close_in_host(api, in_time["id"], bodies, notified=True)
        clock.advance(timedelta(days=60))  # nothing becomes overdue after the closing

        overdue = await _all_pages(api, "dif.mx", limit=50, overdue="true")
        not_overdue = await _all_pages(api, "dif.mx", limit=50, overdue="false")

        assert overdue == [[kept_waiting["reference"]]]
        assert not_overdue == [[in_time["reference"]]]


async def _close_in_host(api: Api, case_id: str, bodies, *, notified: bool) -> None:
    """Decide `stay` and close; with `notified`, the notification and interview in time."""
    path = f"/v1/cases/{case_id}"
    early = [
        ("dif.mx", "post", "notifications", {"authority": "PFPNNA"}),
        ("dif.mx", "post", "interviews", {"language": "es", "notes": "Alone."}),
    ]
    steps = [
        *(early if notified else []),
        ("dif.mx", "put", "bia", bodies["bia"]),
        ("dinaf.hn", "put", "origin-assessment", bodies["origin"]),
        ("dif.mx.supervisor", "post", "bid", {**bodies["bid"], "decision": "stay"}),
        ("dif.mx", "post", "close", {"reason": "Foster family in Chiapas."}),
    ]
    for user, method, action, body in steps:
        response = await getattr(api, method)(user, f"{path}/{action}", body)
        assert response.status_code == 200, (action, response.text)


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements executed in this process meanwhile."""
    executed: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        executed.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(Engine, "before_cursor_execute", record)


class TestIdempotency:
    async def test_a_retried_open_creates_one_case(self, api: Api, db) -> None:
        key = f"open-{uuid.uuid4()}"
        body = case_body()

        first = await api.post("dif.mx", "/v1/cases", body, **{"Idempotency-Key": key})
        again = await api.post("dif.mx", "/v1/cases", body, **{"Idempotency-Key": key})

        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert [e["type"] for e in await db.outbox(first.json()["id"])] == [
            "child.case.opened.v1",
            "child.case.consular_notice.v1",
        ]

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


class TestReplayAfterTheCaseWasHidden:
    """security.md finding 9: a stored answer is replayed only while the caller may still see
    the case; once a protection need hides it from the child's country, the replay is a 404."""

    async def test_dinaf_replaying_an_origin_assessment_after_the_block_gets_404(
        self, api: Api, bodies
    ) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}"
        key = f"origin-{uuid.uuid4()}"
        first = await api.put(
            "dinaf.hn", f"{path}/origin-assessment", bodies["origin"], **{"Idempotency-Key": key}
        )
        assert first.status_code == 200, first.text
        screened = await api.post(
            "dif.mx",
            f"{path}/screenings",
            {"protection_need": True, "trafficking_indicator": False, "notes": "Fears gangs."},
        )
        assert screened.status_code == 200

        again = await api.put(
            "dinaf.hn", f"{path}/origin-assessment", bodies["origin"], **{"Idempotency-Key": key}
        )

        assert again.status_code == 404
        assert "idempotent-replayed" not in again.headers
        assert case["reference"] not in again.text
        assert again.json() == (await api.get("dinaf.hn", path)).json() | {
            "instance": f"{path}/origin-assessment"
        }

    async def test_the_recheck_refuses_a_stored_answer_about_a_hidden_case(
        self, api: Api, runtime
    ) -> None:
        # The check a replay runs, on its own: the case named by the route, or for an opening
        # the one its stored answer created.
        case = await api.open("dif.mx")
        dinaf = Principal("sub-dinaf", "dinaf.hn", frozenset({"child_protection_officer"}), "HN")
        svc = ChildProtection(runtime)
        await answers.still_visible(svc, dinaf, uuid.UUID(case["id"]))(None)
        await answers.still_visible(svc, dinaf, None)(case)
        await api.post(
            "dif.mx",
            f"/v1/cases/{case['id']}/screenings",
            {"protection_need": False, "trafficking_indicator": True, "notes": "Recruiter."},
        )

        for check in (
            answers.still_visible(svc, dinaf, uuid.UUID(case["id"]))(None),
            answers.still_visible(svc, dinaf, None)(case),
        ):
            with pytest.raises(CaseNotVisible) as refused:
                await check
            assert refused.value.kind == "not_found"
