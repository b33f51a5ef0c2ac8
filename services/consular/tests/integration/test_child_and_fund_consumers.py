"""Child cases and Reserve Fund approvals, fed with their producers' checked-in examples (ids
and times replaced): a child case is notified to the child's consulate when child protection
says who the child is (`child.case.consular_notice.v1`, only when the consulate is entitled to
it), held back without the identity while the case is blocked for it, and sent when a
supervisor clears the block; an approved Fund return is notified to the beneficiary's
consulate. Replays change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from consular.service_layer.handlers import AccessLabelExceeded
from puebla.clock import FrozenClock
from puebla.runtime import Runtime

OPENED = "child.case.opened.v1"
CLEARED = "child.case.consular_block_cleared.v1"
NOTICE = "child.case.consular_notice.v1"
APPROVED = "fund.application.approved.v1"

KEVIN = {
    "given_names": "Kevin Josué",
    "surnames": "Martínez Reyes",
    "sex": "M",
    "date_of_birth": "2012-04-09",
}


def case(
    events: Any, clock: FrozenClock, *, notify: bool, case_id: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = events.example(OPENED)
    data.update(
        case_id=case_id or str(uuid.uuid4()),
        notify_consulate=notify,
        blocked_for_consulate=not notify,
        opened_at=clock().isoformat(),
    )
    return data


def cleared(events: Any, clock: FrozenClock, case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = events.example(CLEARED)
    data.update(case_id=case_id, cleared_at=clock().isoformat())
    return data


async def listed(http: Any, user: str, case_id: str) -> list[dict[str, Any]]:
    found = await http(user).get("/v1/notifications", params={"related_id": case_id})
    assert found.status_code == 200
    items: list[dict[str, Any]] = found.json()["items"]
    return items


class TestChildCaseOpened:
    async def test_an_unblocked_case_is_notified_to_the_childs_consulate(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        data = case(events, clock, notify=True)
        assert await consume(events.envelope(OPENED, data, access=["HN", "MX"])) == "applied"
        # That a case exists says nobody's name: the notice comes with who the child is.
        assert await listed(http, "dif.mx", data["case_id"]) == []
        notice = events.envelope(NOTICE, events.child_notice(data), access=["HN", "MX"])
        assert await consume(notice) == "applied"
        (n,) = await listed(http, "consul.hn.tapachula", data["case_id"])
        assert (n["kind"], n["status"], n["consular_post"]) == (
            "child_case",
            "pending",
            "HN-CONS-TAPACHULA",
        )
        assert n["person"] == KEVIN
        assert n["place"] == {"country": "MX", "state": "Chiapas", "city": "Tapachula"}
        assert n["related"] == {"service": "child_protection", "id": data["case_id"]}
        assert n["due_at"] == "2026-03-11T12:00:00-06:00"  # 24 h from the opening
        # The host side that answers for it is child protection, not immigration.
        assert (await http("dif.mx").get(f"/v1/notifications/{n['id']}")).status_code == 200
        assert (await http("inm.mx").get(f"/v1/notifications/{n['id']}")).status_code == 404
        assert (
            await http("consul.gt.tapachula").get(f"/v1/notifications/{n['id']}")
        ).status_code == 404
        # Replays and the other consumption order change nothing.
        assert await consume(notice) == "duplicate"
        assert await consume(events.envelope(OPENED, data, access=["HN", "MX"])) == "applied"
        assert [x["id"] for x in await listed(http, "dif.mx", data["case_id"])] == [n["id"]]

    async def test_the_notice_consumed_before_the_opening_is_the_one_notice(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        data = case(events, clock, notify=True)
        notice = events.envelope(NOTICE, events.child_notice(data), access=["HN", "MX"])
        assert await consume(notice) == "applied"
        assert await consume(events.envelope(OPENED, data, access=["HN", "MX"])) == "applied"
        (n,) = await listed(http, "consul.hn.tapachula", data["case_id"])
        assert (n["status"], n["person"]) == ("pending", KEVIN)

    async def test_a_blocked_case_is_held_back_until_a_supervisor_clears_it(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        data = case(events, clock, notify=False)
        opened = events.envelope(OPENED, data, access=["MX"])  # host only while blocked
        assert await consume(opened) == "applied"
        held = await listed(http, "dif.mx", data["case_id"])
        assert [(n["status"], n["suppression_reason"]) for n in held] == [
            ("suppressed", "consular_contact_blocked")
        ]
        # Held without knowing whom: the host keeps the identity while the case is blocked.
        assert held[0]["person"] is None
        assert held[0]["place"] == {"country": "MX", "state": None, "city": None}
        consul = http("consul.hn.tapachula")
        assert (await consul.get(f"/v1/notifications/{held[0]['id']}")).status_code == 404

        clock.advance(timedelta(days=2))
        clearing_data = cleared(events, clock, data["case_id"])
        clearing = events.envelope(CLEARED, clearing_data, access=["HN", "MX"])
        assert await consume(clearing) == "applied"
        # The clearing alone sends nothing: the notice waits for who the child is.
        assert (await consul.get(f"/v1/notifications/{held[0]['id']}")).status_code == 404
        notice = events.envelope(NOTICE, events.child_notice(clearing_data), access=["HN", "MX"])
        assert await consume(notice) == "applied"
        seen = (await consul.get(f"/v1/notifications/{held[0]['id']}")).json()
        assert (seen["status"], seen["consular_post"]) == ("pending", "HN-CONS-TAPACHULA")
        assert seen["suppression_reason"] is None
        assert seen["person"] == KEVIN
        assert seen["place"] == {"country": "MX", "state": "Chiapas", "city": "Tapachula"}
        # "Without delay" counts from the clearing: it could not run while contact was barred.
        assert seen["due_at"] == "2026-03-13T12:00:00-06:00"
        assert seen["sent_at"] == "2026-03-12T12:00:00-06:00"

        before = (await http("dif.mx").get(f"/v1/notifications/{held[0]['id']}")).json()
        for env in (opened, clearing, notice):
            assert await consume(env) == "duplicate"
            assert (
                await consume(events.envelope(env.type, env.data, access=env.access)) == "applied"
            )
        after = (await http("dif.mx").get(f"/v1/notifications/{held[0]['id']}")).json()
        assert after == before
        assert len(await listed(http, "dif.mx", data["case_id"])) == 1

    async def test_a_clearings_notice_consumed_before_the_clearing_sends_the_held_notice(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        data = case(events, clock, notify=False)
        await consume(events.envelope(OPENED, data, access=["MX"]))
        clock.advance(timedelta(days=2))
        clearing = cleared(events, clock, data["case_id"])
        await consume(events.envelope(NOTICE, events.child_notice(clearing), access=["HN", "MX"]))
        (n,) = await listed(http, "consul.hn.tapachula", data["case_id"])
        assert (n["status"], n["person"], n["due_at"]) == (
            "pending",
            KEVIN,
            "2026-03-13T12:00:00-06:00",
        )
        await consume(events.envelope(CLEARED, clearing, access=["HN", "MX"]))
        assert [x["id"] for x in await listed(http, "consul.hn.tapachula", data["case_id"])] == [
            n["id"]
        ]

    async def test_a_clearing_that_arrives_first_makes_the_notice_and_the_opening_finds_it(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        case_id = str(uuid.uuid4())
        clearing = cleared(events, clock, case_id)
        await consume(events.envelope(CLEARED, clearing, access=["HN", "MX"]))
        await consume(events.envelope(NOTICE, events.child_notice(clearing), access=["HN", "MX"]))
        await consume(
            events.envelope(
                OPENED, case(events, clock, notify=False, case_id=case_id), access=["MX"]
            )
        )
        assert [n["status"] for n in await listed(http, "consul.hn.tapachula", case_id)] == [
            "pending"
        ]

    async def test_an_opening_of_an_earlier_producer_with_the_identity_is_still_notified(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        """While a child protection of before `child.case.consular_notice.v1` still publishes
        (a rolling deployment, consumers first), its opening carries the child and the place:
        the notice is made from it, as it was, so that none is lost."""
        data = case(events, clock, notify=True)
        data.update(
            child={**KEVIN, "estimated_age": None, "age_disputed": False, "languages": ["es"]},
            identified_at=(clock() - timedelta(hours=2)).isoformat(),
            place={"country": "MX", "state": "Chiapas", "city": "Tapachula"},
            accompaniment="unaccompanied",
        )
        assert await consume(events.envelope(OPENED, data, access=["HN", "MX"])) == "applied"
        (n,) = await listed(http, "consul.hn.tapachula", data["case_id"])
        assert (n["status"], n["consular_post"], n["person"]) == (
            "pending",
            "HN-CONS-TAPACHULA",
            KEVIN,
        )

    async def test_a_nicaraguan_child_found_in_costa_rica_is_notified_to_nicaragua(
        self, events: Any, consume: Any, clock: FrozenClock, runtime: Runtime
    ) -> None:
        data = case(events, clock, notify=True)
        data.update(host_country="CR", nationality="NI")
        notice = events.child_notice(data)
        notice["place"] = {"country": "CR", "state": "San José", "city": "San José"}
        assert await consume(events.envelope(OPENED, data, access=["CR", "NI"])) == "applied"
        assert await consume(events.envelope(NOTICE, notice, access=["CR", "NI"])) == "applied"
        async with runtime.sessions() as session:
            (found,) = (
                await session.execute(
                    text("SELECT status, consular_post, recipient_email FROM notification")
                )
            ).mappings()
        assert dict(found) == {
            "status": "pending",
            "consular_post": "NI-EMB-SAN-JOSE",
            "recipient_email": "embajada.sanjose@ni.example",
        }

    @pytest.mark.parametrize("event_type", [OPENED, NOTICE])
    async def test_a_label_that_excludes_the_nationality_refuses_an_unblocked_notice(
        self, events: Any, consume: Any, clock: FrozenClock, runtime: Runtime, event_type: str
    ) -> None:
        data = case(events, clock, notify=True)
        if event_type == NOTICE:
            data = events.child_notice(data)
        with pytest.raises(AccessLabelExceeded) as refused:
            await consume(events.envelope(event_type, data, access=["MX"]))
        assert refused.value.rule == "access_label"
        async with runtime.sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM notification"))).scalar() == 0


class TestFundApplicationApproved:
    async def test_the_beneficiarys_consulate_learns_of_the_approved_return_once(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any, runtime: Runtime
    ) -> None:
        data: dict[str, Any] = events.example(APPROVED)
        data.update(application_id=str(uuid.uuid4()), approved_at=clock().isoformat())
        env = events.envelope(APPROVED, data, access=["GT", "IOM"])
        assert await consume(env) == "applied"
        listed = await http("consul.gt.tapachula").get(
            "/v1/notifications", params={"related_id": data["application_id"]}
        )
        (n,) = listed.json()["items"]
        assert n["kind"] == "reserve_fund_return"
        assert (n["nationality"], n["host_country"]) == ("GT", "MX")
        # The event names no state: the embassy is the documented fallback.
        assert n["consular_post"] == "GT-EMB-MEXICO"
        assert n["person"]["given_names"] == "Ana María"
        assert n["related"] == {"service": "reserve_fund", "id": data["application_id"]}
        assert (await http("iom.officer").get(f"/v1/notifications/{n['id']}")).status_code == 200
        assert (await http("inm.mx").get(f"/v1/notifications/{n['id']}")).status_code == 404
        assert await consume(env) == "duplicate"
        assert await consume(events.envelope(APPROVED, data, access=["GT", "IOM"])) == "applied"
        again = await http("consul.gt.tapachula").get(
            "/v1/notifications", params={"related_id": data["application_id"]}
        )
        assert [i["id"] for i in again.json()["items"]] == [n["id"]]
        acknowledged = await http("consul.gt.tapachula").post(
            f"/v1/notifications/{n['id']}/acknowledge"
        )
        assert acknowledged.status_code == 200
        async with runtime.sessions() as session:
            (event,) = (
                await session.execute(
                    text("SELECT payload FROM outbox WHERE aggregateid = :a"), {"a": n["id"]}
                )
            ).scalars()
        # Labelled as the Fund labelled it: IOM and the nationality, not the host.
        assert event["access"] == ["GT", "IOM"]
        assert event["data"]["kind"] == "reserve_fund_return"


BLOCK_SET = "child.case.consular_block_set.v1"


async def notices(runtime: Runtime) -> list[Any]:
    async with runtime.sessions() as session:
        found = await session.execute(
            text("SELECT kind, status, access FROM notification ORDER BY created_at, id")
        )
        return list(found.mappings())


class TestAccessLabels:
    """A consumed event's `access` label bounds what the record made from it may show: a
    record the child's (or the beneficiary's) consul would see needs that nationality on the
    label; without it nothing is made, or nothing is released."""

    async def test_a_clearing_that_does_not_allow_contact_releases_nothing(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any, runtime: Runtime
    ) -> None:
        data = case(events, clock, notify=False)
        await consume(events.envelope(OPENED, data, access=["MX"]))
        approved: dict[str, Any] = events.example(APPROVED)
        approved.update(
            application_id=str(uuid.uuid4()),
            approved_at=clock().isoformat(),
            child_case_id=data["case_id"],
        )
        approved["beneficiary"]["nationality"] = "HN"
        block = events.example(BLOCK_SET)
        block.update(case_id=data["case_id"], blocked_at=clock().isoformat())
        await consume(events.envelope(BLOCK_SET, block, access=["MX"]))
        await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
        # A clearing labelled for the host alone that says the consulate may not be told.
        clearing = cleared(events, clock, data["case_id"])
        clearing["notify_consulate"] = False
        assert await consume(events.envelope(CLEARED, clearing, access=["MX"])) == "applied"
        assert [(n["kind"], n["status"], n["access"]) for n in await notices(runtime)] == [
            ("child_case", "suppressed", ["MX"]),
            ("reserve_fund_return", "withdrawn", ["IOM"]),
        ]
        consul = http("consul.hn.tapachula")
        for related in (data["case_id"], approved["application_id"]):
            listed = await consul.get("/v1/notifications", params={"related_id": related})
            assert listed.json()["items"] == []

    async def test_a_clearing_whose_label_omits_the_nationality_is_refused(
        self, events: Any, consume: Any, clock: FrozenClock, runtime: Runtime
    ) -> None:
        data = case(events, clock, notify=False)
        await consume(events.envelope(OPENED, data, access=["MX"]))
        with pytest.raises(AccessLabelExceeded) as refused:
            await consume(
                events.envelope(CLEARED, cleared(events, clock, data["case_id"]), access=["MX"])
            )
        assert refused.value.rule == "access_label"
        assert [n["status"] for n in await notices(runtime)] == ["suppressed"]

    async def test_an_approval_whose_label_omits_the_nationality_makes_no_notice(
        self, events: Any, consume: Any, clock: FrozenClock, runtime: Runtime
    ) -> None:
        approved: dict[str, Any] = events.example(APPROVED)  # a Guatemalan beneficiary
        approved.update(application_id=str(uuid.uuid4()), approved_at=clock().isoformat())
        with pytest.raises(AccessLabelExceeded) as refused:
            await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
        assert refused.value.rule == "access_label"
        assert await notices(runtime) == []
