"""The treaty clocks with a controllable clock (no sleeps): a notification is overdue strictly
after its deadline, shown on the host country's clock; the scheduler escalates it exactly once
(`consular.notification.overdue.v1`), and never once the consulate has acknowledged."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from consular.bootstrap import Consular
from consular.domain.commands import CheckOverdue
from consular.entrypoints.worker import acting, clocks_job
from consular.service_layer.handlers import check_overdue
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.waiting import wait_until

# Detained at 09:00 in Tapachula on 10 March 2026 (15:00 UTC), reported at 12:00 local.
DETENTION: dict[str, Any] = {
    "kind": "detention",
    "person": {
        "given_names": "Juan Carlos",
        "surnames": "López Pérez",
        "sex": "M",
        "date_of_birth": "1990-04-02",
        "nationality": "GT",
    },
    "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
    "occurred_at": "2026-03-10T09:00:00-06:00",
    "protection_need": False,
    "person_requests_notification": True,
}


async def overdue_events(runtime: Runtime, notification_id: str) -> list[dict[str, Any]]:
    async with runtime.sessions() as session:
        found = await session.execute(
            text(
                "SELECT payload FROM outbox WHERE aggregateid = :a"
                " AND type = 'consular.notification.overdue.v1' ORDER BY created_at"
            ),
            {"a": notification_id},
        )
        return [r.payload for r in found]


async def tick(svc: Consular) -> int:
    return await check_overdue(CheckOverdue(now=svc.clock()), acting(svc, "scheduler"))


async def test_overdue_strictly_after_the_acknowledgment_deadline_and_escalated_once(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    reported = await http("inm.mx").post("/v1/notifications", json=DETENTION)
    n = reported.json()
    assert n["occurred_at"] == "2026-03-10T09:00:00-06:00"
    assert n["sent_at"] == "2026-03-10T12:00:00-06:00"  # in the consulate's inbox at once
    assert n["due_at"] == "2026-03-11T09:00:00-06:00"  # sent within 24 h
    assert n["ack_due_at"] == "2026-03-13T09:00:00-06:00"  # acknowledged within 72 h
    url = f"/v1/notifications/{n['id']}"

    clock.now = clock.now.replace(year=2026, month=3, day=13, hour=15)  # 09:00:00 local
    assert await tick(svc) == 0
    assert (await http("consul.gt.tapachula").get(url)).json()["overdue"] is False

    clock.advance(timedelta(seconds=1))
    assert await tick(svc) == 1
    seen = (await http("consul.gt.tapachula").get(url)).json()
    assert seen["overdue"] is True
    assert seen["escalated_at"] == "2026-03-13T09:00:01-06:00"
    (event,) = await overdue_events(runtime, n["id"])
    assert event["access"] == ["GT", "MX"]
    assert event["data"] == {
        "version": 3,
        "notification_id": n["id"],
        "kind": "detention",
        "nationality": "GT",
        "host_country": "MX",
        "consular_post": "GT-CONS-TAPACHULA",
        "related": None,
        "overdue": "acknowledgment",
        "due_at": "2026-03-13T15:00:00Z",
    }

    for later in (timedelta(hours=1), timedelta(days=10)):
        clock.advance(later)
        assert await tick(svc) == 0
    # A late acknowledgment is still recorded; the flag stays, no second escalation.
    acknowledged = await http("consul.gt.tapachula").post(f"{url}/acknowledge")
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["overdue"] is True
    assert await tick(svc) == 0
    assert len(await overdue_events(runtime, n["id"])) == 1


async def test_never_escalated_after_the_acknowledgment(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    n = (await http("inm.mx").post("/v1/notifications", json=DETENTION)).json()
    clock.advance(timedelta(hours=1))
    await http("consul.gt.tapachula").post(f"/v1/notifications/{n['id']}/acknowledge")
    clock.advance(timedelta(days=30))
    assert await tick(svc) == 0
    assert await overdue_events(runtime, n["id"]) == []
    seen = (await http("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")).json()
    assert (seen["status"], seen["overdue"]) == ("acknowledged", False)


async def test_a_report_filed_after_the_sending_deadline_escalates_as_sending(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    late = {**DETENTION, "occurred_at": "2026-03-09T06:00:00-06:00"}  # 30 h before the report
    n = (await http("inm.mx").post("/v1/notifications", json=late)).json()
    assert n["due_at"] == "2026-03-10T06:00:00-06:00"
    assert n["overdue"] is True  # visible before the scheduler's next tick
    overdue = await http("consul.gt.tapachula").get(
        "/v1/notifications", params={"status": "overdue"}
    )
    assert [i["id"] for i in overdue.json()["items"]] == [n["id"]]
    assert await tick(svc) == 1
    (event,) = await overdue_events(runtime, n["id"])
    assert (event["data"]["overdue"], event["data"]["due_at"]) == (
        "sending",
        "2026-03-10T12:00:00Z",
    )


async def test_the_overdue_list_holds_only_what_is_past_a_deadline(
    clock: FrozenClock, http: Any
) -> None:
    n = (await http("inm.mx").post("/v1/notifications", json=DETENTION)).json()
    lists = http("consul.gt.tapachula")
    assert (await lists.get("/v1/notifications", params={"status": "overdue"})).json()[
        "items"
    ] == []
    clock.advance(timedelta(days=3))  # 2026-03-13T18:00Z, past 15:00Z
    overdue = (await lists.get("/v1/notifications", params={"status": "overdue"})).json()
    assert [i["id"] for i in overdue["items"]] == [n["id"]]


async def test_concurrent_schedulers_escalate_each_notification_once(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    ids = [
        (await http("inm.mx").post("/v1/notifications", json=DETENTION)).json()["id"]
        for _ in range(5)
    ]
    clock.advance(timedelta(days=4))
    counts = await asyncio.gather(*(tick(svc) for _ in range(4)))
    assert sum(counts) == 5
    for notification_id in ids:
        assert len(await overdue_events(runtime, notification_id)) == 1


async def test_the_worker_task_escalates_on_its_own(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    n = (await http("inm.mx").post("/v1/notifications", json=DETENTION)).json()
    clock.advance(timedelta(days=4))
    stop = asyncio.Event()
    task = asyncio.create_task(clocks_job(lambda _: svc, 0.05)(runtime, stop))
    try:
        await wait_until(lambda: overdue_events(runtime, n["id"]), what="escalation")
    finally:
        stop.set()
        await task
    assert len(await overdue_events(runtime, n["id"])) == 1


async def test_the_worker_routes_an_unroutable_notice_once_the_directory_has_a_post(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    venezuelan = {**DETENTION, "person": {**DETENTION["person"], "nationality": "VE"}}
    n = (await http("inm.mx").post("/v1/notifications", json=venezuelan)).json()
    assert n["status"] == "unroutable"
    async with runtime.sessions() as session:
        await session.execute(
            text(
                "INSERT INTO consular_post (code, valid_from, country, kind, city, host_country,"
                " jurisdiction, email, placeholder) VALUES ('VE-EMB-MEXICO', '2020-01-01', 'VE',"
                " 'embassy', 'Ciudad de México', 'MX', '{}', 'embajada.mexico@ve.example', true)"
            )
        )
        await session.commit()

    async def routed() -> bool:
        seen = (await http("inm.mx").get(f"/v1/notifications/{n['id']}")).json()
        return bool(seen["status"] == "pending" and seen["consular_post"] == "VE-EMB-MEXICO")

    stop = asyncio.Event()
    task = asyncio.create_task(clocks_job(lambda _: svc, 0.05)(runtime, stop))
    try:
        await wait_until(routed, what="the notice routed to the new embassy")
    finally:
        stop.set()
        await task
