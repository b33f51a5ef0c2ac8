"""What the consulate was told is taken back when the other services say so, fed with the
producers' checked-in examples (ids and times replaced) through the worker's own consumers:

- `child.case.consular_block_set.v1`: the case's notice ceases to exist for the child's
  nationality (404, absent from lists, acknowledging 404); no clock, no escalation, no e-mail; the
  host side and the auditor see it withdrawn (protection); a later clearing notifies again;
  a Reserve Fund return approved for that child (the approval names the case) goes with it;
- `repatriation.returnee.protection_need_recorded.v1`: those returnees' requests are gone for
  the consul, and the manifest's notice no longer counts them;
- `repatriation.manifest.amended.v1` (`removed`) and `.cancelled.v1`: the pending requests are
  withdrawn, visibly to the consul;
- `fund.application.cancelled.v1`: the Reserve Fund return notice is withdrawn.

In each case the event may also arrive before the one that made the record (the consumers run
apart): the record is then made withdrawn."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from consular.adapters.repository import WithdrawalRepository
from consular.bootstrap import Consular
from consular.domain.commands import CheckOverdue
from consular.domain.states import WithdrawalReason
from consular.domain.triggers import child_case_key, child_case_prefix
from consular.entrypoints.worker import acting
from consular.service_layer.handlers import RetryPolicy, check_overdue, deliver_emails
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.waiting import wait_until

OPENED = "child.case.opened.v1"
BLOCK_SET = "child.case.consular_block_set.v1"
CLEARED = "child.case.consular_block_cleared.v1"
NOTICE = "child.case.consular_notice.v1"
SUBMITTED = "repatriation.manifest.submitted.v1"
AMENDED = "repatriation.manifest.amended.v1"
CANCELLED = "repatriation.manifest.cancelled.v1"
PROTECTION = "repatriation.returnee.protection_need_recorded.v1"
APPROVED = "fund.application.approved.v1"
FUND_CANCELLED = "fund.application.cancelled.v1"

HN_CONSUL = "consul.hn.tapachula"
GT_CONSUL = "consul.gt.tapachula"


class Outbox:
    """A mailer that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


async def rows(runtime: Runtime, sql: str, **params: Any) -> list[Any]:
    async with runtime.sessions() as session:
        return list((await session.execute(text(sql), params)).mappings().all())


async def emails(svc: Consular) -> list[EmailMessage]:
    mailer = Outbox()
    await deliver_emails(
        acting(svc, "mailer"), mailer, sender="n@puebla.example", retry=RetryPolicy()
    )
    return mailer.sent


async def mailed(svc: Consular) -> set[str]:
    """The notifications an e-mail went out for in one delivery round (its Message-ID)."""
    return {m["Message-ID"].strip("<>").split("@")[0] for m in await emails(svc)}


# --- child cases ------------------------------------------------------------------------------


def opened(events: Any, clock: FrozenClock, case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = events.example(OPENED)
    data.update(case_id=case_id, opened_at=clock().isoformat())
    return data


async def open_case(events: Any, consume: Any, clock: FrozenClock, case_id: str) -> None:
    """An unblocked case opened: its opening and the consular notice beside it."""
    data = opened(events, clock, case_id)
    await consume(events.envelope(OPENED, data, access=["HN", "MX"]))
    await consume(events.envelope(NOTICE, events.child_notice(data), access=["HN", "MX"]))


def block_set(events: Any, clock: FrozenClock, case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = events.example(BLOCK_SET)  # version 3
    data.update(case_id=case_id, blocked_at=clock().isoformat())
    return data


def cleared(events: Any, clock: FrozenClock, case_id: str) -> dict[str, Any]:
    data: dict[str, Any] = events.example(CLEARED)  # version 4
    data.update(case_id=case_id, cleared_at=clock().isoformat())
    return data


async def clear_case(events: Any, consume: Any, clock: FrozenClock, case_id: str) -> None:
    """A supervisor cleared the block: the clearing and the consular notice beside it."""
    data = cleared(events, clock, case_id)
    await consume(events.envelope(CLEARED, data, access=["HN", "MX"]))
    await consume(events.envelope(NOTICE, events.child_notice(data), access=["HN", "MX"]))


class TestChildCaseBlockSet:
    async def test_the_notice_ceases_to_exist_for_the_childs_consulate(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        await open_case(events, consume, clock, case_id)
        consul = http(HN_CONSUL)
        (notice,) = (await consul.get("/v1/notifications", params={"related_id": case_id})).json()[
            "items"
        ]
        assert notice["status"] == "pending"

        clock.advance(timedelta(hours=1))
        blocking = events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"])
        assert await consume(blocking) == "applied"
        url = f"/v1/notifications/{notice['id']}"
        assert (await consul.get(url)).status_code == 404
        assert (await consul.get("/v1/notifications", params={"related_id": case_id})).json()[
            "items"
        ] == []
        assert (await consul.get("/v1/notifications", params={"status": "pending"})).json()[
            "items"
        ] == []
        assert (await consul.post(f"{url}/acknowledge")).status_code == 404
        # The host side that answers for the case sees it withdrawn; the auditor finds it in
        # the audit trail (POLICY.md gives the auditor the notice itself only when unroutable).
        seen = (await http("dif.mx").get(url)).json()
        assert (seen["status"], seen["withdrawn_reason"]) == ("withdrawn", "protection")
        assert seen["withdrawn_at"] == "2026-03-10T13:00:00-06:00"
        assert (await http("audit.rcm").get(url)).status_code == 404
        (audited,) = await rows(
            runtime,
            "SELECT detail FROM audit WHERE action = 'notification.withdrawn' AND entity_id = :n",
            n=notice["id"],
        )
        assert audited["detail"]["reason"] == "protection"
        # No e-mail goes out, the clocks stopped: no escalation even long after the deadlines.
        assert await emails(svc) == []
        (email,) = await rows(
            runtime,
            "SELECT status, next_attempt_at FROM notification_delivery"
            " WHERE notification_id = :n AND channel = 'email'",
            n=uuid.UUID(notice["id"]),
        )
        assert (email["status"], email["next_attempt_at"]) == ("cancelled", None)
        clock.advance(timedelta(days=5))
        assert await check_overdue(CheckOverdue(now=clock()), acting(svc, "scheduler")) == 0
        assert await rows(runtime, "SELECT id FROM outbox") == []
        (record,) = await rows(runtime, "SELECT access FROM notification")
        assert record["access"] == ["MX"]  # relabelled as the event was: the host alone
        # Idempotent: a redelivery is a duplicate, a re-publication changes nothing.
        before = await rows(runtime, "SELECT * FROM notification")
        assert await consume(blocking) == "duplicate"
        await consume(events.envelope(BLOCK_SET, blocking.data, access=["MX"]))
        assert await rows(runtime, "SELECT * FROM notification") == before

    async def test_a_later_clearing_notifies_again(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        await open_case(events, consume, clock, case_id)
        (notice,) = (
            await http(HN_CONSUL).get("/v1/notifications", params={"related_id": case_id})
        ).json()["items"]
        assert (
            await http(HN_CONSUL).post(f"/v1/notifications/{notice['id']}/acknowledge")
        ).is_success
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        clock.advance(timedelta(days=1))
        await clear_case(events, consume, clock, case_id)
        seen = (await http(HN_CONSUL).get(f"/v1/notifications/{notice['id']}")).json()
        assert (seen["status"], seen["withdrawn_reason"], seen["acknowledged_at"]) == (
            "pending",
            None,
            None,
        )
        assert seen["due_at"] == "2026-03-12T12:00:00-06:00"  # 24 h from the clearing
        assert len(await emails(svc)) == 1

    async def test_a_block_consumed_before_the_opening_is_never_delivered(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        await open_case(events, consume, clock, case_id)
        (held,) = (
            await http("dif.mx").get("/v1/notifications", params={"related_id": case_id})
        ).json()["items"]
        assert (held["status"], held["withdrawn_reason"]) == ("withdrawn", "protection")
        assert held["sent_at"] is None
        assert (await http(HN_CONSUL).get(f"/v1/notifications/{held['id']}")).status_code == 404
        assert await emails(svc) == []

    async def test_a_block_older_than_a_clearing_already_applied_changes_nothing(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any
    ) -> None:
        case_id = str(uuid.uuid4())
        await open_case(events, consume, clock, case_id)
        await clear_case(events, consume, clock, case_id)
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        (notice,) = (
            await http(HN_CONSUL).get("/v1/notifications", params={"related_id": case_id})
        ).json()["items"]
        assert notice["status"] == "pending"


# --- returnees with a protection need found later ---------------------------------------------


def protection(events: Any, manifest_id: str, *returnee_ids: str, left: int) -> dict[str, Any]:
    data: dict[str, Any] = events.example(PROTECTION)  # version 2 in the example
    data.update(
        manifest_id=manifest_id, returnee_ids=list(returnee_ids), returnee_count=left, version=3
    )
    return data


class TestReturneeProtectionNeed:
    async def test_the_request_ceases_to_exist_for_the_consul_and_the_notice_no_longer_counts(
        self, events: Any, consume: Any, http: Any, runtime: Runtime
    ) -> None:
        data = events.submitted()
        await consume(events.envelope(SUBMITTED, data))
        consul = http(GT_CONSUL)
        mine = (
            await consul.get("/v1/verifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        protected = next(
            v for v in mine if v["related"]["returnee_id"] == data["returnees"][0]["returnee_id"]
        )
        env = events.envelope(
            PROTECTION,
            protection(events, data["manifest_id"], data["returnees"][0]["returnee_id"], left=1),
            access=["MX"],  # the sending country alone
        )
        assert await consume(env) == "applied"
        assert (await consul.get(f"/v1/verifications/{protected['id']}")).status_code == 404
        for params in ({"related_id": data["manifest_id"]}, {"status": "pending"}, {}):
            listed = (await consul.get("/v1/verifications", params=params)).json()["items"]
            assert [v["related"]["returnee_id"] for v in listed] == [
                data["returnees"][1]["returnee_id"]
            ]
        withdrawn = await consul.get("/v1/verifications", params={"status": "withdrawn"})
        assert withdrawn.json()["items"] == []
        decided = await consul.post(
            f"/v1/verifications/{protected['id']}/decision", json={"decision": "confirmed"}
        )
        assert decided.status_code == 404
        # The sending side sees why; the receiving side's notice counts one person now.
        host = (await http("inm.mx").get(f"/v1/verifications/{protected['id']}")).json()
        assert (host["status"], host["withdrawn_reason"]) == ("withdrawn", "protection")
        (notice,) = (
            await consul.get("/v1/notifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        assert notice["manifest"]["returnee_count"] == 1
        assert "returnee_ids" not in notice["manifest"]
        (record,) = await rows(
            runtime, "SELECT access FROM verification WHERE id = :v", v=uuid.UUID(protected["id"])
        )
        assert record["access"] == ["MX"]
        assert await rows(runtime, "SELECT id FROM outbox") == []  # nothing on the wire

    async def test_a_protection_need_consumed_before_the_submission_hides_the_person_at_once(
        self, events: Any, consume: Any, http: Any
    ) -> None:
        data = events.submitted()
        data["version"] = 2
        first = data["returnees"][0]["returnee_id"]
        await consume(
            events.envelope(
                PROTECTION, protection(events, data["manifest_id"], first, left=1), access=["MX"]
            )
        )
        await consume(events.envelope(SUBMITTED, data))
        consul = http(GT_CONSUL)
        listed = (
            await consul.get("/v1/verifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        assert [v["related"]["returnee_id"] for v in listed] == [
            data["returnees"][1]["returnee_id"]
        ]
        (notice,) = (
            await consul.get("/v1/notifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        assert notice["manifest"]["returnee_count"] == 1


# --- ordinary removal and cancellation --------------------------------------------------------


class TestRemovalAndCancellation:
    async def test_a_removed_returnees_request_is_withdrawn_visibly_to_the_consul(
        self, events: Any, consume: Any, http: Any
    ) -> None:
        data = events.submitted()
        await consume(events.envelope(SUBMITTED, data))
        removed = data["returnees"][1]["returnee_id"]
        amended = events.example(AMENDED)
        amended.update(
            manifest_id=data["manifest_id"],
            version=3,
            added=[],
            removed=[removed],
            removal_reason="not presented at the station",
            returnee_count=1,
        )
        assert await consume(events.envelope(AMENDED, amended)) == "applied"
        consul = http(GT_CONSUL)
        pending = (
            await consul.get(
                "/v1/verifications",
                params={"related_id": data["manifest_id"], "status": "pending"},
            )
        ).json()["items"]
        assert [v["related"]["returnee_id"] for v in pending] == [
            data["returnees"][0]["returnee_id"]
        ]
        (withdrawn,) = (
            await consul.get(
                "/v1/verifications",
                params={"related_id": data["manifest_id"], "status": "withdrawn"},
            )
        ).json()["items"]
        assert withdrawn["related"]["returnee_id"] == removed
        assert withdrawn["withdrawn_reason"] == "removed"
        assert withdrawn["reason"] is None  # the removal reason stays with the sending state
        decided = await consul.post(
            f"/v1/verifications/{withdrawn['id']}/decision", json={"decision": "confirmed"}
        )
        assert decided.status_code == 409
        assert decided.json()["rule"] == "verification_withdrawn"

    async def test_a_cancelled_manifest_withdraws_every_pending_request(
        self, events: Any, consume: Any, http: Any
    ) -> None:
        data = events.submitted()
        await consume(events.envelope(SUBMITTED, data))
        consul = http(GT_CONSUL)
        first, _ = (
            await consul.get("/v1/verifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        confirmed = await consul.post(
            f"/v1/verifications/{first['id']}/decision", json={"decision": "confirmed"}
        )
        assert confirmed.status_code == 200
        cancelled = events.example(CANCELLED)
        cancelled.update(manifest_id=data["manifest_id"], version=3)
        assert await consume(events.envelope(CANCELLED, cancelled)) == "applied"
        listed = (
            await consul.get("/v1/verifications", params={"related_id": data["manifest_id"]})
        ).json()["items"]
        assert sorted((v["status"], v["withdrawn_reason"]) for v in listed) == [
            ("confirmed", None),  # a decision already recorded stays on the record
            ("withdrawn", "cancelled"),
        ]
        assert (
            await consul.get(
                "/v1/verifications",
                params={"related_id": data["manifest_id"], "status": "pending"},
            )
        ).json()["items"] == []

    async def test_a_cancellation_consumed_before_the_submission_makes_its_requests_withdrawn(
        self, events: Any, consume: Any, http: Any
    ) -> None:
        data = events.submitted()
        cancelled = events.example(CANCELLED)
        cancelled.update(manifest_id=data["manifest_id"], version=3)
        await consume(events.envelope(CANCELLED, cancelled))
        await consume(events.envelope(SUBMITTED, data))
        listed = (
            await http(GT_CONSUL).get(
                "/v1/verifications", params={"related_id": data["manifest_id"]}
            )
        ).json()["items"]
        assert [v["status"] for v in listed] == ["withdrawn", "withdrawn"]


# --- Reserve Fund -----------------------------------------------------------------------------


class TestFundApplicationCancelled:
    async def test_the_return_notice_is_withdrawn(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        approved: dict[str, Any] = events.example(APPROVED)
        approved.update(application_id=str(uuid.uuid4()), approved_at=clock().isoformat())
        await consume(events.envelope(APPROVED, approved, access=["GT", "IOM"]))
        cancelled: dict[str, Any] = events.example(FUND_CANCELLED)
        cancelled.update(
            application_id=approved["application_id"], cancelled_at=clock().isoformat()
        )
        env = events.envelope(FUND_CANCELLED, cancelled, access=["GT", "IOM"])
        assert await consume(env) == "applied"
        consul = http(GT_CONSUL)
        (notice,) = (
            await consul.get("/v1/notifications", params={"related_id": approved["application_id"]})
        ).json()["items"]
        assert (notice["status"], notice["withdrawn_reason"]) == ("withdrawn", "cancelled")
        assert [(d["channel"], d["status"]) for d in notice["deliveries"]] == [
            ("in_app", "sent"),
            ("email", "cancelled"),
        ]
        acknowledged = await consul.post(f"/v1/notifications/{notice['id']}/acknowledge")
        assert acknowledged.status_code == 409
        assert acknowledged.json()["rule"] == "notification_withdrawn"
        assert await emails(svc) == []
        assert await consume(env) == "duplicate"

    async def test_a_cancellation_consumed_before_the_approval_is_never_delivered(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        application_id = str(uuid.uuid4())
        cancelled: dict[str, Any] = events.example(FUND_CANCELLED)
        cancelled.update(application_id=application_id, cancelled_at=clock().isoformat())
        await consume(events.envelope(FUND_CANCELLED, cancelled, access=["GT", "IOM"]))
        approved: dict[str, Any] = events.example(APPROVED)
        approved.update(application_id=application_id, approved_at=clock().isoformat())
        await consume(events.envelope(APPROVED, approved, access=["GT", "IOM"]))
        (notice,) = (
            await http("iom.officer").get(
                "/v1/notifications", params={"related_id": application_id}
            )
        ).json()["items"]
        assert (notice["status"], notice["sent_at"]) == ("withdrawn", None)
        assert await emails(svc) == []


# --- a child's Reserve Fund return, and a block set on the child's case -----------------------


def child_approved(events: Any, clock: FrozenClock, case_id: str | None) -> dict[str, Any]:
    """An approved Fund return for the Honduran child of the block example's case."""
    data: dict[str, Any] = events.example(APPROVED)
    data.update(
        application_id=str(uuid.uuid4()),
        approved_at=clock().isoformat(),
        child_case_id=case_id,
        beneficiary_nationality="HN",
        requesting_country="HN",
    )
    data["beneficiary"].update(
        given_names="Kevin Josué", surnames="Martínez Reyes", sex="M", date_of_birth="2012-04-09"
    )
    data["beneficiary"]["nationality"] = "HN"
    return data


class TestChildCaseBlockedAfterFundApproval:
    """`fund.application.approved.v1` names the child's case: the Fund notice is kept with it,
    and a block set on that case withdraws it like the case's own notice, in either order."""

    async def test_a_block_set_after_the_approval_withdraws_the_fund_notice(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        approved = child_approved(events, clock, case_id)
        await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
        # Another child's return, without a case: the block must leave it alone.
        other = child_approved(events, clock, None)
        await consume(events.envelope(APPROVED, other, access=["HN", "IOM"]))
        consul = http(HN_CONSUL)
        (notice,) = (
            await consul.get("/v1/notifications", params={"related_id": approved["application_id"]})
        ).json()["items"]
        assert (notice["kind"], notice["status"]) == ("reserve_fund_return", "pending")

        clock.advance(timedelta(hours=1))
        blocking = events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"])
        assert await consume(blocking) == "applied"
        url = f"/v1/notifications/{notice['id']}"
        assert (await consul.get(url)).status_code == 404
        assert (
            await consul.get("/v1/notifications", params={"related_id": approved["application_id"]})
        ).json()["items"] == []
        pending = (await consul.get("/v1/notifications", params={"status": "pending"})).json()
        assert [n["related"]["id"] for n in pending["items"]] == [other["application_id"]]
        assert (await consul.post(f"{url}/acknowledge")).status_code == 404
        # IOM, the side that answers for the notice, sees it withdrawn for protection.
        seen = (await http("iom.officer").get(url)).json()
        assert (seen["status"], seen["withdrawn_reason"]) == ("withdrawn", "protection")
        assert seen["withdrawn_at"] == "2026-03-10T13:00:00-06:00"
        # No e-mail about it goes out (the other child's does), and its clocks stopped.
        (untouched,) = (
            await consul.get("/v1/notifications", params={"related_id": other["application_id"]})
        ).json()["items"]
        assert await mailed(svc) == {untouched["id"]}
        (email,) = await rows(
            runtime,
            "SELECT status, next_attempt_at FROM notification_delivery"
            " WHERE notification_id = :n AND channel = 'email'",
            n=uuid.UUID(notice["id"]),
        )
        assert (email["status"], email["next_attempt_at"]) == ("cancelled", None)
        clock.advance(timedelta(days=5))
        await check_overdue(CheckOverdue(now=clock()), acting(svc, "scheduler"))
        (record,) = await rows(
            runtime,
            "SELECT access, escalated_at FROM notification WHERE id = :n",
            n=uuid.UUID(notice["id"]),
        )
        # The Fund's label without the child's state; the block does not add the host.
        assert (record["access"], record["escalated_at"]) == (["IOM"], None)

    async def test_a_block_consumed_before_the_approval_is_never_delivered(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        approved = child_approved(events, clock, case_id)
        assert await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"])) == "applied"
        (held,) = (
            await http("iom.officer").get(
                "/v1/notifications", params={"related_id": approved["application_id"]}
            )
        ).json()["items"]
        assert (held["status"], held["withdrawn_reason"], held["sent_at"]) == (
            "withdrawn",
            "protection",
            None,
        )
        consul = http(HN_CONSUL)
        assert (await consul.get(f"/v1/notifications/{held['id']}")).status_code == 404
        assert (
            await consul.get("/v1/notifications", params={"related_id": approved["application_id"]})
        ).json()["items"] == []
        assert await emails(svc) == []
        (record,) = await rows(runtime, "SELECT access FROM notification")
        assert record["access"] == ["IOM"]

    async def test_a_later_clearing_releases_it_as_it_releases_the_cases_own_notice(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        approved = child_approved(events, clock, case_id)
        await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        clock.advance(timedelta(days=1))
        await clear_case(events, consume, clock, case_id)
        (seen,) = (
            await http(HN_CONSUL).get(
                "/v1/notifications", params={"related_id": approved["application_id"]}
            )
        ).json()["items"]
        assert (seen["status"], seen["withdrawn_reason"]) == ("pending", None)
        assert seen["sent_at"] == "2026-03-11T12:00:00-06:00"  # told again at the clearing
        (record,) = await rows(
            runtime,
            "SELECT access FROM notification WHERE id = :n",
            n=uuid.UUID(seen["id"]),
        )
        assert record["access"] == ["HN", "IOM"]  # the Fund's label again
        assert seen["id"] in await mailed(svc)

    async def test_a_clearing_leaves_a_cancelled_return_withdrawn(
        self,
        svc: Consular,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
        runtime: Runtime,
    ) -> None:
        case_id = str(uuid.uuid4())
        approved = child_approved(events, clock, case_id)
        await consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
        await consume(events.envelope(BLOCK_SET, block_set(events, clock, case_id), access=["MX"]))
        cancelled: dict[str, Any] = events.example(FUND_CANCELLED)
        cancelled.update(
            application_id=approved["application_id"], cancelled_at=clock().isoformat()
        )
        await consume(events.envelope(FUND_CANCELLED, cancelled, access=["HN", "IOM"]))
        clock.advance(timedelta(days=1))
        await clear_case(events, consume, clock, case_id)
        (seen,) = (
            await http("iom.officer").get(
                "/v1/notifications", params={"related_id": approved["application_id"]}
            )
        ).json()["items"]
        assert seen["status"] == "withdrawn"
        assert (await http(HN_CONSUL).get(f"/v1/notifications/{seen['id']}")).status_code == 404
        # The clearing tells the consulate of the case itself (its own notice), not of the
        # cancelled return.
        (own,) = (
            await http("dif.mx").get("/v1/notifications", params={"related_id": case_id})
        ).json()["items"]
        assert await mailed(svc) == {own["id"]}

    async def test_an_approval_consumed_while_a_block_commits_waits_for_it(
        self, events: Any, consume: Any, clock: FrozenClock, http: Any, runtime: Runtime
    ) -> None:
        """The two consumers run apart: an approval that read "not blocked" just before a
        block committed (and a block that looked for the notice just before the approval
        committed) would leave it visible. The block's transaction is held open here, at the
        point where the block handler has written the block and not yet committed."""
        case_id = str(uuid.uuid4())
        approved = child_approved(events, clock, case_id)
        async with runtime.sessions() as blocking, blocking.begin():
            withdrawals = WithdrawalRepository(blocking)
            await withdrawals.serialize_on(child_case_prefix(case_id))
            await withdrawals.record_block(
                child_case_key(case_id, "HN"), blocked=True, version=3, at=clock()
            )
            approval = asyncio.create_task(
                consume(events.envelope(APPROVED, approved, access=["HN", "IOM"]))
            )

            async def waits_or_ended() -> bool:
                return approval.done() or await waiting_for_a_lock(runtime)

            await wait_until(waits_or_ended, what="the approval waits or ends")
            assert not approval.done(), "the approval did not wait for the block's commit"
        assert await approval == "applied"
        (held,) = (
            await http("iom.officer").get(
                "/v1/notifications", params={"related_id": approved["application_id"]}
            )
        ).json()["items"]
        assert (held["status"], held["withdrawn_reason"]) == ("withdrawn", "protection")
        assert (await http(HN_CONSUL).get(f"/v1/notifications/{held['id']}")).status_code == 404


async def waiting_for_a_lock(runtime: Runtime) -> bool:
    """Whether a transaction on this test's database waits for an advisory lock."""
    found = await rows(
        runtime,
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    return bool(found)


async def test_a_prefix_matches_its_own_underscore_and_percent_only(runtime: Runtime) -> None:
    """`under(prefix)` is a LIKE: `_` and `%` in the prefix (`child_protection:`) would
    match any character, so a key of another record could count as taken back."""
    tag = uuid.uuid4().hex[:8]
    prefix = f"child_protection:{tag}%:"
    at = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    async with runtime.sessions() as session, session.begin():
        withdrawals = WithdrawalRepository(session)
        for key in (f"{prefix}GT", f"childXprotection:{tag}%:HN", f"child_protection:{tag}9:SV"):
            await withdrawals.record(key, WithdrawalReason.REMOVED, 1, at)
    async with runtime.sessions() as session:
        found = await WithdrawalRepository(session).under(prefix)
    assert found == {f"{prefix}GT": (WithdrawalReason.REMOVED, 1)}
