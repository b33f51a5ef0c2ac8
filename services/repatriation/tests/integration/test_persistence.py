"""The schema, the seeded reference data and the repository against the real PostgreSQL:
the rows the (frozen) seed migration wrote are the seed of DOMAIN.md, a manifest survives a
round trip intact, writers of one manifest are serialized, and a refused change leaves nothing
behind. That the migrations create exactly the tables of orm.py is
`test_migrations_match_models.py`."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from puebla.db.driver import driver_connection
from puebla.refusals import ConcurrentChange
from puebla.transparency import log
from puebla_dev.testing.waiting import wait_until
from repatriation.domain import (
    ArrivedPerson,
    HandoverItem,
    HandoverOutcome,
    IdentityDocument,
    RefusalReason,
    Sex,
    Vulnerabilities,
    seed,
)
from repatriation.domain import commands as c
from repatriation.domain.errors import HandoverAlreadyRecorded, ManifestError
from repatriation.service_layer import handlers

UTC = ZoneInfo("UTC")


class TestSchema:
    async def test_the_reference_data_is_the_seed_of_domain_md(self, flow):
        # Two independent things: the rows migration 0003 wrote out literally, read back from
        # the database, and seed.py as it is today. A seed.py edit without a migration fails.
        async with flow.uow() as uow:
            loaded = await uow.manifests.reference_data(date(2026, 11, 28))
        expected = seed.reference_data()
        assert sorted(loaded.reception_points, key=lambda p: p.code) == sorted(
            expected.reception_points, key=lambda p: p.code
        )
        assert sorted(loaded.agreements, key=lambda a: a.country) == sorted(
            expected.agreements, key=lambda a: a.country
        )
        assert sorted(loaded.notice_rules, key=lambda r: r.receiving_country) == sorted(
            expected.notice_rules, key=lambda r: r.receiving_country
        )
        assert len(loaded.reception_points) == 8

    async def test_a_protection_need_has_no_column_to_be_stored_in(self, runtime):
        async with runtime.sessions() as session:
            columns = await session.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'returnee'"
                )
            )
            assert "protection_need" not in {r[0] for r in columns}

    async def test_the_database_refuses_an_outcome_without_officer_post_and_time(
        self, flow, runtime
    ):
        manifest_id = await flow.draft()
        async with runtime.sessions() as session:
            with pytest.raises(Exception, match="ck_returnee_handover_complete"):
                await session.execute(
                    text(
                        "UPDATE returnee SET handover_outcome = 'received' WHERE manifest_id = :m"
                    ),
                    {"m": manifest_id},
                )


class TestRoundTrip:
    async def test_every_field_comes_back_as_it_was_saved(self, flow):
        adult = flow.person(
            document=IdentityDocument(type="passport", number="A1234567"),
            family_group="F1",
            vulnerabilities=Vulnerabilities(
                pregnant=True, disability=False, illness_or_injury=True, trafficking_indicator=False
            ),
        )
        child = flow.person(
            given_names="Luis",
            sex=Sex.M,
            date_of_birth=date(2015, 3, 2),
            family_group="F1",
            age_disputed=True,
        )
        third = flow.person(given_names="Rosa", place_of_origin="Huehuetenango")
        manifest_id = await flow.submitted([adult, child, third])
        ids = await flow.returnee_ids(manifest_id)
        for returnee_id in ids[:2]:
            await handlers.confirm_nationality(
                c.ConfirmNationality(manifest_id=manifest_id, returnee_id=returnee_id),
                flow.uow("consul.gt.tapachula"),
            )
        await handlers.reject_nationality(
            c.RejectNationality(manifest_id=manifest_id, returnee_id=ids[2], reason="Hondureña"),
            flow.uow("consul.gt.tapachula"),
        )
        await handlers.remove_returnee(
            c.RemoveReturnee(manifest_id=manifest_id, returnee_id=ids[2], reason="Not GT"),
            flow.uow(flow.inm),
        )
        await handlers.dispatch_manifest(
            c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
        )
        await handlers.record_handovers(
            c.RecordHandovers(
                manifest_id=manifest_id,
                items=(
                    HandoverItem(
                        returnee_id=ids[0],
                        outcome=HandoverOutcome.REFUSED,
                        reason=RefusalReason.MEDICALLY_UNFIT,
                        # The post's clock a minute ahead (within the skew): the two times
                        # must come back apart.
                        recorded_at=datetime(2026, 11, 28, 12, 1, tzinfo=UTC),
                    ),
                ),
            ),
            flow.uow(flow.border),
        )

        async with flow.uow() as uow:
            m = await uow.manifests.get_for_update(manifest_id)
        assert m is not None
        assert (m.status.value, m.version, m.sending_country, m.receiving_country) == (
            "arrived",
            8,
            "MX",
            "GT",
        )
        assert m.reference.startswith("MX-GT-2026-")
        assert (m.reception_point, m.reception_time_zone) == ("GT-TECUN-UMAN", "America/Guatemala")
        assert m.scheduled_departure == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        assert m.scheduled_arrival == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
        assert (m.vehicle.plate, m.vehicle.seats) == ("CHS-4521", 50)
        assert m.created_at == m.submitted_at == m.dispatched_at
        assert m.arrived_at == datetime(2026, 11, 28, 12, 1, tzinfo=UTC)  # the post's time
        assert m.created_at == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        assert (m.closed_at, m.cancelled_at, m.late_notice) == (None, None, False)
        first, second = m.returnees
        assert [first.id, second.id] == ids[:2]
        assert first.document == IdentityDocument(type="passport", number="A1234567")
        assert first.vulnerabilities == Vulnerabilities(
            pregnant=True, disability=False, illness_or_injury=True, trafficking_indicator=False
        )
        assert (first.family_group, first.age_disputed, first.nationality_status.value) == (
            "F1",
            False,
            "confirmed",
        )
        assert first.handover is not None
        assert (
            first.handover.outcome,
            first.handover.reason,
            first.handover.officer,
            first.handover.post,
            first.handover.recorded_at,
            first.handover.stored_at,
        ) == (
            HandoverOutcome.REFUSED,
            RefusalReason.MEDICALLY_UNFIT,
            "border.gt.tecun",
            "GT-TECUN-UMAN",
            datetime(2026, 11, 28, 12, 1, tzinfo=UTC),
            datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        )
        assert (second.given_names, second.sex, second.date_of_birth) == (
            "Luis",
            Sex.M,
            date(2015, 3, 2),
        )
        assert (second.age_disputed, second.document, second.handover) == (True, None, None)


class TestConcurrency:
    async def test_a_second_writer_waits_for_the_first_and_then_sees_its_outcome(
        self, flow, runtime
    ):
        manifest_id = await flow.submitted()
        (only,) = await flow.returnee_ids(manifest_id)
        await handlers.confirm_nationality(
            c.ConfirmNationality(manifest_id=manifest_id, returnee_id=only),
            flow.uow("consul.gt.tapachula"),
        )
        await handlers.dispatch_manifest(
            c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
        )

        def hand_over(outcome: HandoverOutcome) -> c.RecordHandovers:
            return c.RecordHandovers(
                manifest_id=manifest_id,
                items=(
                    HandoverItem(
                        returnee_id=only,
                        outcome=outcome,
                        reason=(
                            RefusalReason.OTHER if outcome is HandoverOutcome.REFUSED else None
                        ),
                    ),
                ),
            )

        first = flow.uow()
        async with first:
            manifest = await first.manifests.get_for_update(manifest_id)  # holds the row lock
            second = asyncio.create_task(
                handlers.record_handovers(hand_over(HandoverOutcome.REFUSED), flow.uow(flow.border))
            )

            await wait_until(
                lambda: one_waits_for_a_lock(runtime),
                what="the second writer blocked on the row lock",
            )
            assert not second.done()
            manifest.record_handovers(
                hand_over(HandoverOutcome.RECEIVED).items,
                officer="border.gt.tecun",
                post="GT-TECUN-UMAN",
                now=first.clock(),
            )
            await first.commit()

        with pytest.raises(HandoverAlreadyRecorded):
            await second
        async with flow.uow() as uow:
            stored = await uow.manifests.get_for_update(manifest_id)
        assert stored.returnees[0].handover_outcome is HandoverOutcome.RECEIVED
        assert stored.status.value == "closed"

    async def test_the_hand_over_that_waited_counts_what_the_first_committed(self, flow, runtime):
        """Two border officers record the last two people at once: the one who waited for the
        lock must count the other's outcome (read after the lock, not before) and close."""
        manifest_id = await dispatched(flow, [flow.person(given_names="Rosa"), flow.person()])
        first, second = await flow.returnee_ids(manifest_id)

        done = await behind_the_lock(
            flow, runtime, manifest_id, received(first), waiting=received(second)
        )

        assert (done.status.value, done.totals.received, done.totals.pending) == ("closed", 2, 0)

    async def test_the_hand_over_that_waited_sees_an_arrival_the_first_recorded(
        self, flow, runtime
    ):
        """The same person arriving unlisted, sent by two devices at once: the one that waited
        finds the first's record (a no-op), not a second arrival."""
        manifest_id = await dispatched(flow, [flow.person()])
        arrival = HandoverItem(
            returnee_id=None,
            outcome=HandoverOutcome.ARRIVED_NOT_LISTED,
            person=ArrivedPerson(
                given_names="Luis",
                surnames="Pérez",
                sex=Sex.M,
                date_of_birth=date(1999, 1, 2),
                nationality="GT",
            ),
        )

        done = await behind_the_lock(flow, runtime, manifest_id, (arrival,), waiting=(arrival,))

        assert done.recorded == [False]
        assert done.totals.arrived_not_listed == 1

    async def test_a_hand_over_whose_version_changed_writes_no_outcome(self, flow, runtime):
        """The manifest's versioned UPDATE and its people's outcomes are one statement: when
        the version check fails, no person is updated either."""
        manifest_id = await dispatched(flow, [flow.person()])
        (only,) = await flow.returnee_ids(manifest_id)
        uow = flow.uow()
        async with uow:
            manifest = await uow.manifests.get_for_handover(manifest_id, [only])
            await uow.session.execute(
                text("UPDATE manifest SET version = version + 1 WHERE id = :m"),
                {"m": manifest_id},
            )
            manifest.record_handovers(
                received(only), officer="border.gt.tecun", post="GT-TECUN-UMAN", now=uow.clock()
            )
            driver = await driver_connection(uow.session)
            with pytest.raises(ConcurrentChange):
                await uow.manifests.flush()
            # Still inside the transaction: the statement itself wrote nobody.
            outcome = await driver.fetchval(
                "SELECT handover_outcome FROM returnee WHERE id = $1", only
            )
            assert outcome is None

    async def test_a_version_changed_behind_the_lock_is_refused_and_nothing_written(
        self, flow, runtime
    ):
        manifest_id = await flow.draft()
        uow = flow.uow()
        async with uow:
            manifest = await uow.manifests.get_for_update(manifest_id)
            # Something that bypassed the repository moved the version on.
            await uow.session.execute(
                text("UPDATE manifest SET version = version + 1 WHERE id = :m"),
                {"m": manifest_id},
            )
            manifest.cancel(reason="Bus broke down", now=uow.clock())
            with pytest.raises(ConcurrentChange):
                await uow.commit()
        async with runtime.sessions() as session:
            row = await session.execute(
                text("SELECT status, version FROM manifest WHERE id = :m"), {"m": manifest_id}
            )
            assert row.one() == ("draft", 1)
            cancelled = await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM outbox WHERE aggregateid = :m"
                    " AND type = 'repatriation.manifest.cancelled.v1'),"
                    " (SELECT count(*) FROM audit WHERE entity_id = :m"
                    " AND action = 'manifest.cancelled')"
                ),
                {"m": str(manifest_id)},
            )
            assert cancelled.one() == (0, 0)


class TestAudit:
    async def test_every_change_is_audited_by_whom_and_the_chain_holds(self, flow, runtime):
        manifest_id = await flow.submitted([flow.person(), flow.person(given_names="Rosa")])
        first, _ = await flow.returnee_ids(manifest_id)
        await handlers.confirm_nationality(
            c.ConfirmNationality(manifest_id=manifest_id, returnee_id=first),
            flow.uow("consul.gt.tapachula"),
        )
        with pytest.raises(ManifestError):  # refused: leaves no trace
            await handlers.dispatch_manifest(
                c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
            )
        async with runtime.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT actor, action, detail->>'version' FROM audit WHERE entity_id = :m"
                    " ORDER BY seq"
                ),
                {"m": str(manifest_id)},
            )
            assert rows.all() == [
                ("inm.mx", "manifest.drafted", "1"),
                ("inm.mx", "manifest.submitted", "2"),
                ("consul.gt.tapachula", "manifest.nationality_confirmed", "3"),
            ]
            assert (await log.verify(session)).ok

    async def test_no_personal_data_in_the_audit_trail(self, flow, runtime):
        marker = f"Marcador{uuid.uuid4().hex[:8]}"
        manifest_id = await flow.submitted([flow.person(given_names=marker)])
        async with runtime.sessions() as session:
            found = await session.execute(
                text("SELECT count(*) FROM audit WHERE entity_id = :m AND detail::text LIKE :n"),
                {"m": str(manifest_id), "n": f"%{marker}%"},
            )
            assert found.scalar_one() == 0


async def dispatched(flow, people):
    manifest_id = await flow.submitted(people)
    for returnee_id in await flow.returnee_ids(manifest_id):
        await handlers.confirm_nationality(
            c.ConfirmNationality(manifest_id=manifest_id, returnee_id=returnee_id),
            flow.uow("consul.gt.tapachula"),
        )
    await handlers.dispatch_manifest(
        c.DispatchManifest(manifest_id=manifest_id), flow.uow(flow.inm)
    )
    return manifest_id


def received(returnee_id):
    return (HandoverItem(returnee_id=returnee_id, outcome=HandoverOutcome.RECEIVED),)


async def behind_the_lock(flow, runtime, manifest_id, items, *, waiting):
    """A hand-over of `waiting` that blocks on the row lock a first writer holds while it
    records `items` and commits; what the waiting one's handler then returns."""
    first = flow.uow()
    async with first:
        manifest = await first.manifests.get_for_update(manifest_id)  # holds the row lock
        second = asyncio.create_task(
            handlers.record_handovers(
                c.RecordHandovers(manifest_id=manifest_id, items=waiting), flow.uow(flow.border)
            )
        )

        await wait_until(
            lambda: one_waits_for_a_lock(runtime), what="the second writer blocked on the row lock"
        )
        manifest.record_handovers(
            items, officer="border.gt.tecun", post="GT-TECUN-UMAN", now=first.clock()
        )
        await first.commit()
    return await second


async def one_waits_for_a_lock(runtime) -> bool:
    """Exactly one session of this test's database waits for a lock (the second writer)."""
    async with runtime.sessions() as session:
        locked = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(locked.scalar_one() == 1)
