"""The repatriation consumers fed with the producer's checked-in examples (ids replaced):
a submitted manifest gives one notice to the receiving country's post and a verification
request per returnee; amendments and cancellations follow; replaying changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from consular.bootstrap import Consular
from consular.entrypoints.worker import acting
from consular.service_layer import handlers
from consular.service_layer.handlers import AccessLabelExceeded
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.statements import sent_statements

SUBMITTED = "repatriation.manifest.submitted.v1"
AMENDED = "repatriation.manifest.amended.v1"
CANCELLED = "repatriation.manifest.cancelled.v1"


async def rows(runtime: Runtime, sql: str, **params: Any) -> list[Any]:
    async with runtime.sessions() as session:
        return list((await session.execute(text(sql), params)).mappings().all())


async def snapshot(runtime: Runtime) -> dict[str, Any]:
    """Everything the consumers write except the inbox."""
    return {
        "notification": await rows(runtime, "SELECT * FROM notification ORDER BY id"),
        "delivery": await rows(
            runtime, "SELECT * FROM notification_delivery ORDER BY notification_id, channel"
        ),
        "verification": await rows(runtime, "SELECT * FROM verification ORDER BY id"),
        "outbox": await rows(runtime, "SELECT id, type FROM outbox ORDER BY id"),
        "audit": await rows(runtime, "SELECT seq, action FROM audit ORDER BY seq"),
    }


class TestManifestSubmitted:
    async def test_one_notice_to_tapachula_and_a_request_per_returnee(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        assert await consume(events.envelope(SUBMITTED, data)) == "applied"
        (notice,) = await rows(runtime, "SELECT * FROM notification")
        assert notice["kind"] == "repatriation_notice"
        assert (notice["nationality"], notice["host_country"]) == ("GT", "MX")
        # The bus leaves from Siglo XXI in Tapachula (departure_point seed): Chiapas.
        assert notice["place"] == {"country": "MX", "state": "MX-CHP", "city": "Tapachula"}
        assert notice["consular_post"] == "GT-CONS-TAPACHULA"
        assert notice["recipient_email"] == "consulado.tapachula@gt.example"
        assert notice["status"] == "pending"
        assert notice["person"] is None
        assert notice["related_service"] == "repatriation"
        assert notice["related_id"] == data["manifest_id"]
        assert notice["source_key"] == f"repatriation:{data['manifest_id']}:notice:v2"
        assert notice["manifest"] == {
            "reference": "MX-GT-2026-000123",
            "version": 2,
            "reception_point": "GT-TECUN-UMAN",
            "scheduled_arrival": "2026-12-03T15:00:00+00:00",
            "returnee_count": 2,
            # Whom it counted (internal, never shown): a protection need found later
            # takes exactly those people out of the count.
            "returnee_ids": sorted(r["returnee_id"] for r in data["returnees"]),
        }
        assert notice["access"] == ["GT", "MX"]
        requests = await rows(runtime, "SELECT * FROM verification ORDER BY related_returnee_id")
        assert sorted(r["related_returnee_id"] for r in requests) == sorted(
            r["returnee_id"] for r in data["returnees"]
        )
        assert {(r["claimed_nationality"], r["host_country"], r["status"]) for r in requests} == {
            ("GT", "MX", "pending")
        }
        assert requests[0]["person"]["surnames"] == "López Pérez"
        # Nothing of this leaves the service: notices and requests are read over the API.
        assert await rows(runtime, "SELECT * FROM outbox") == []

    async def test_a_replay_with_the_same_or_a_new_event_id_changes_nothing(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        first = events.envelope(SUBMITTED, data)
        assert await consume(first) == "applied"
        before = await snapshot(runtime)
        assert await consume(first) == "duplicate"
        # The producer's relay re-sent it after the broker's duplicate window: a new id.
        assert await consume(events.envelope(SUBMITTED, data)) == "applied"
        assert await snapshot(runtime) == before

    async def test_fields_added_by_the_producer_later_are_ignored(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        data["bus_company"] = "Transportes del Sur"
        data["returnees"][0]["seat"] = 12
        data["returnees"][0]["person"]["other_names"] = "Chepe"
        assert await consume(events.envelope(SUBMITTED, data)) == "applied"
        assert len(await rows(runtime, "SELECT id FROM verification")) == 2

    async def test_a_returnee_outside_the_access_label_gets_no_request(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted([events.returnee("GT"), events.returnee("HN")])
        assert await consume(events.envelope(SUBMITTED, data, access=["MX", "GT"])) == "applied"
        requests = await rows(runtime, "SELECT claimed_nationality FROM verification")
        assert [r["claimed_nationality"] for r in requests] == ["GT"]
        (withheld,) = await rows(
            runtime, "SELECT * FROM audit WHERE action = 'verification.not_requested'"
        )
        assert withheld["detail"] == {
            "returnee_id": data["returnees"][1]["returnee_id"],
            "rule": "access_label",
        }

    async def test_a_label_that_omits_the_receiving_country_makes_no_notice(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        with pytest.raises(AccessLabelExceeded) as refused:
            await consume(events.envelope(SUBMITTED, data, access=["MX"]))
        assert refused.value.rule == "access_label"
        assert await rows(runtime, "SELECT id FROM notification") == []
        assert await rows(runtime, "SELECT id FROM verification") == []

    async def test_an_event_stamped_ahead_of_this_clock_is_not_lost(
        self, runtime: Runtime, events: Any, consume: Any, clock: FrozenClock
    ) -> None:
        data = events.submitted()
        ahead = events.envelope(SUBMITTED, data, time=clock() + timedelta(days=1))
        assert await consume(ahead) == "applied"
        (notice,) = await rows(runtime, "SELECT occurred_at, due_at FROM notification")
        # The clock starts when the consulate's side learns of it, not in the future.
        assert notice["occurred_at"] == clock()
        assert notice["due_at"] == clock() + timedelta(hours=24)
        requests = await rows(runtime, "SELECT requested_at FROM verification")
        assert {r["requested_at"] for r in requests} == {clock()}

    async def test_an_unknown_reception_point_routes_to_the_embassy(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted(reception_point="GT-NEW-CROSSING")
        await consume(events.envelope(SUBMITTED, data))
        (notice,) = await rows(runtime, "SELECT consular_post, place FROM notification")
        assert notice["consular_post"] == "GT-EMB-MEXICO"
        assert notice["place"] == {"country": "MX", "state": None, "city": None}

    async def test_a_country_with_no_post_is_kept_unroutable_and_routed_once_it_has_one(
        self,
        svc: Consular,
        runtime: Runtime,
        events: Any,
        consume: Any,
        clock: FrozenClock,
        http: Any,
    ) -> None:
        # The directory loses Costa Rica's embassy in Mexico (a reference-data edit).
        async with runtime.sessions() as session:
            await session.execute(
                text(
                    "DELETE FROM consular_post WHERE country = 'CR' AND host_country = 'MX'"
                    " RETURNING code"
                )
            )
            await session.commit()
        data = events.submitted([events.returnee("CR")], receiving_country="CR")
        assert await consume(events.envelope(SUBMITTED, data, access=["MX", "CR"])) == "applied"
        (notice,) = await rows(runtime, "SELECT * FROM notification")
        assert (notice["status"], notice["consular_post"]) == ("unroutable", None)
        # Nothing is refused: the request for the person is made as usual.
        assert len(await rows(runtime, "SELECT id FROM verification")) == 1
        # The reporting side and the auditor see it, with the count for the operators.
        assert (await http("inm.mx").get(f"/v1/notifications/{notice['id']}")).status_code == 200
        audited = await http("audit.rcm").get(f"/v1/notifications/{notice['id']}")
        assert audited.json()["status"] == "unroutable"
        counts = await http("dgme.sv").get("/v1/operations/counts")
        assert counts.json() == {"unroutable_notifications": 1}
        assert await handlers.route_unroutable(acting(svc, "router")) == 0

        clock.advance(timedelta(hours=1))
        async with runtime.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO consular_post (code, valid_from, country, kind, city,"
                    " host_country, jurisdiction, email, placeholder) VALUES ('CR-EMB-MX-NEW',"
                    " '2020-01-01', 'CR', 'embassy', 'Ciudad de México', 'MX', '{}',"
                    " 'embajada@cr.example', true)"
                )
            )
            await session.commit()
        assert await handlers.route_unroutable(acting(svc, "router")) == 1
        (routed,) = await rows(runtime, "SELECT * FROM notification")
        assert (routed["status"], routed["consular_post"]) == ("pending", "CR-EMB-MX-NEW")
        # The clocks count from the submission: the delay was the sending side's.
        assert routed["due_at"] == clock() - timedelta(hours=1) + timedelta(hours=24)
        deliveries = await rows(
            runtime,
            "SELECT channel, status, next_attempt_at FROM notification_delivery ORDER BY channel",
        )
        assert [(d["channel"], d["status"]) for d in deliveries] == [
            ("email", "pending"),
            ("in_app", "sent"),
        ]
        assert deliveries[0]["next_attempt_at"] is not None  # the mailer sends it
        counts = await http("dgme.sv").get("/v1/operations/counts")
        assert counts.json() == {"unroutable_notifications": 0}


class TestManifestAmendedAndCancelled:
    async def test_an_amendment_is_a_new_notice_and_asks_about_the_added_only(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        await consume(events.envelope(SUBMITTED, data))
        amended = events.example(AMENDED)
        added = events.returnee("GT", given_names="Ana")
        amended.update(
            manifest_id=data["manifest_id"],
            version=3,
            added=[added],
            removed=[data["returnees"][1]["returnee_id"]],
            removal_reason="not presented at the station",
            returnee_count=2,
        )
        assert await consume(events.envelope(AMENDED, amended)) == "applied"
        notices = await rows(
            runtime, "SELECT source_key, manifest FROM notification ORDER BY created_at, id"
        )
        assert [n["source_key"] for n in notices] == [
            f"repatriation:{data['manifest_id']}:notice:v2",
            f"repatriation:{data['manifest_id']}:notice:v3",
        ]
        assert notices[1]["manifest"]["returnee_count"] == 2
        requests = await rows(runtime, "SELECT related_returnee_id FROM verification")
        assert len(requests) == 3
        assert added["returnee_id"] in {r["related_returnee_id"] for r in requests}

    async def test_a_cancelled_submitted_manifest_is_announced_once(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        data = events.submitted()
        await consume(events.envelope(SUBMITTED, data))
        cancelled = events.example(CANCELLED)
        cancelled.update(manifest_id=data["manifest_id"], version=3)
        assert await consume(events.envelope(CANCELLED, cancelled)) == "applied"
        before = await snapshot(runtime)
        assert await consume(events.envelope(CANCELLED, cancelled)) == "applied"
        assert await snapshot(runtime) == before
        (notice,) = await rows(
            runtime,
            "SELECT * FROM notification WHERE kind = 'repatriation_cancellation'",
        )
        assert notice["consular_post"] == "GT-CONS-TAPACHULA"
        assert notice["source_key"] == f"repatriation:{data['manifest_id']}:cancellation"

    async def test_a_cancelled_draft_was_never_announced_and_is_not(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        cancelled = events.example(CANCELLED)
        cancelled.update(manifest_id=str(uuid.uuid4()), previous_status="draft")
        assert await consume(events.envelope(CANCELLED, cancelled)) == "applied"
        assert await rows(runtime, "SELECT id FROM notification") == []


async def test_replaying_every_event_changes_nothing(
    runtime: Runtime, events: Any, consume: Any
) -> None:
    data = events.submitted()
    amended = events.example(AMENDED)
    amended.update(
        manifest_id=data["manifest_id"], added=[events.returnee()], removed=[], returnee_count=3
    )
    cancelled = events.example(CANCELLED)
    cancelled.update(manifest_id=data["manifest_id"], version=4)
    history = [
        events.envelope(SUBMITTED, data),
        events.envelope(AMENDED, {**amended, "version": 3}),
        events.envelope(CANCELLED, cancelled),
    ]
    for env in history:
        assert await consume(env) == "applied"
    before = await snapshot(runtime)
    assert len(before["notification"]) == 3
    assert len(before["verification"]) == 3
    for env in history:  # redelivered by JetStream
        assert await consume(env) == "duplicate"
    for env in history:  # re-published under new ids (e.g. an outbox replay)
        assert await consume(events.envelope(env.type, env.data)) == "applied"
    assert await snapshot(runtime) == before


class TestStatementsPerManifest:
    """A manifest's people cost no statement each: whose request exists is one read and the
    new requests one INSERT, so a bus of 40 sends what a car of 2 does (issue 19)."""

    async def test_forty_returnees_send_as_many_statements_as_two(
        self, runtime: Runtime, events: Any, consume: Any
    ) -> None:
        sent_by_size = {}
        # The first (one person) loads the reference data the process keeps, so the two
        # compared find it kept whichever test ran before (alone, this one failed 14 ≠ 18).
        for size in (1, 2, 40):
            people = [events.returnee("GT", given_names=f"Persona {n}") for n in range(size)]
            data = events.submitted(people, returnee_count=size)
            async with sent_statements(runtime.engine) as sent:
                assert await consume(events.envelope(SUBMITTED, data)) == "applied"
            sent_by_size[size] = sent
        assert len(sent_by_size[40]) == len(sent_by_size[2]), sent_by_size[40]
        # The notice's channels (in-app and e-mail) are one INSERT, not one each.
        channels = [s for s in sent_by_size[2] if s.startswith("INSERT INTO notification_delivery")]
        assert len(channels) == 1, channels
        pending = await rows(
            runtime, "SELECT count(*) AS n FROM verification WHERE status = 'pending'"
        )
        assert pending[0]["n"] == 43
