"""The case in PostgreSQL: a faithful round trip, no lost updates, nothing half-applied."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from child_protection.adapters import codec
from child_protection.adapters.repository import SensitiveSectionsSealed, case_to_row
from child_protection.domain import Actor, BidDecision, Caregiver, Place, ReceptionPoint, Stage
from child_protection.domain import commands as c
from child_protection.domain import errors as e
from child_protection.domain.errors import ActInTheFuture
from child_protection.service_layer import handlers, queries, sensitive
from child_protection.service_layer.access import actor_of
from child_protection.service_layer.errors import (
    CaseNotFound,
    UnknownReceptionPoint,
)
from puebla.refusals import ConcurrentChange

from .conftest import DIF, DINAF, SUPERVISOR, person


class TestRoundTrip:
    async def test_every_record_comes_back_as_written(self, cases) -> None:
        clock = cases.clock
        case_id = await cases.open(trafficking_indicator=True, indicator_details="Recruiter.")
        await handlers.decide_protection(
            c.DecideProtection(
                case_id=case_id,
                clear_block=True,
                reasons="Family not involved.",
                decided_at=clock(),
            ),
            cases.uow(SUPERVISOR),
        )
        await cases.measure(case_id, "Shelter bed and inhaler.")
        await cases.notify(case_id)
        await cases.interview(case_id)
        await cases.trace(case_id)
        await handlers.record_risk_assessment(
            c.RecordRiskAssessment(
                case_id=case_id,
                findings="Recruiter lives abroad.",
                mitigation="DINAF home visits.",
                assessed_at=clock(),
            ),
            cases.uow(DIF),
        )
        await cases.bia(case_id)
        await cases.origin(case_id)
        await cases.decide(case_id)
        await handlers.review_bid(
            c.ReviewBid(case_id=case_id, reasons="New facts.", reviewed_at=clock()),
            cases.uow(SUPERVISOR),
        )
        await cases.decide(case_id, reasons="Confirmed after review.")
        clock.advance(timedelta(days=1))
        await handlers.plan_return(
            c.PlanReturn(
                case_id=case_id,
                reception_point="HN-CORINTO",
                scheduled_at=clock() + timedelta(days=2),
                escort="Lic. Pedro Gómez (DIF)",
                planned_at=clock(),
            ),
            cases.uow(DIF),
        )

        async with cases.uow() as uow:
            case = await uow.cases.get(case_id)
            assert case is not None
            row = case_to_row(case)
            sections = codec.sensitive_to_dict(case.sensitive)

        assert case.stage is Stage.RETURN_PLANNED
        assert case.version == 13  # opened, then twelve acts
        assert case.return_plan is not None
        assert case.return_plan.reception_point == ReceptionPoint("HN-CORINTO", "HN", True)
        assert case.determination is not None
        assert case.determination.decision is BidDecision.RETURN
        assert case.child.date_of_birth == date(2012, 4, 9)
        assert case.reached[Stage.NOTIFIED] == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        assert row["stage"] == "return_planned"
        assert row["overdue_reported"] == []
        assert sections["indicators"] == {
            "protection_need": False,
            "trafficking_indicator": True,
            "details": "Recruiter.",
        }
        assert [b["reasons"] for b in sections["bids"]] == [
            "Safe family.",
            "Confirmed after review.",
        ]
        assert sections["bids"][0]["review"]["reasons"] == "New facts."
        assert sections["protection_decisions"][0]["clears_block"] is True
        assert sections["family_tracing"][0]["contacts"][0]["contact_details"] == "+504 9999-0000"
        assert sections["risk_assessment"]["mitigation"] == "DINAF home visits."
        assert codec.sensitive_from_dict(sections) == case.sensitive

    async def test_a_summary_read_cannot_touch_the_sections(self, cases) -> None:
        case_id = await cases.open()

        async with cases.uow() as uow:
            case = await uow.cases.get_summary(case_id)
            assert case is not None
            with pytest.raises(SensitiveSectionsSealed):
                _ = case.sensitive.bia
            assert case.summary(cases.clock()).reference == case.reference


class TestConcurrency:
    async def test_concurrent_writers_of_one_case_all_apply(self, cases) -> None:
        case_id = await cases.open()

        await asyncio.gather(
            cases.interview(case_id, "first"),
            cases.interview(case_id, "second"),
            cases.trace(case_id),
            cases.measure(case_id, "Shelter."),
            cases.notify(case_id),
        )

        read = await sensitive.read_sensitive(cases.services, DIF, case_id, "test")
        assert read.version == 6
        assert sorted(i["notes"] for i in read.sections["interviews"]) == ["first", "second"]
        assert len(read.sections["family_tracing"]) == 1
        assert len(read.sections["protection_measures"]) == 1

    async def test_a_stale_version_is_refused_and_nothing_is_written(self, cases) -> None:
        case_id = await cases.open()

        async with cases.uow() as uow:
            case = await uow.cases.get(case_id)
            assert case is not None
            case.record_interview(
                actor_of(DIF), conducted_at=cases.clock(), language="es", notes="lost update?"
            )
            # Another writer got there first (simulated inside our own transaction).
            await uow.session.execute(
                text("UPDATE child_case SET version = version + 1 WHERE id = :id"),
                {"id": case_id},
            )
            with pytest.raises(ConcurrentChange):
                await uow.commit()

        read = await sensitive.read_sensitive(cases.services, DIF, case_id, "test")
        assert (read.version, read.sections["interviews"]) == (1, [])
        assert [e["type"] for e in await cases.outbox(case_id)] == [
            "child.case.opened.v1",
            "child.case.consular_notice.v1",
        ]

    async def test_a_refused_command_leaves_nothing_behind(self, cases) -> None:
        case_id = await cases.open()
        before = await cases.row("SELECT count(*) AS n FROM audit")

        with pytest.raises(e.OnlyHostOfficer):
            await handlers.write_bia(
                c.WriteBia(
                    case_id=case_id,
                    safety="x",
                    family="x",
                    health="x",
                    education="x",
                    child_views="x",
                    child_views_absent_reason=None,
                    recommendation="x",
                    complete=True,
                    written_at=cases.clock(),
                ),
                cases.uow(DINAF),
            )

        after = await cases.row("SELECT count(*) AS n FROM audit")
        assert after["n"] == before["n"]
        row = await cases.row("SELECT version FROM child_case WHERE id = :id", id=case_id)
        assert row["version"] == 1


class TestHandlers:
    async def test_an_unknown_case_is_not_found(self, cases) -> None:
        with pytest.raises(CaseNotFound):
            await cases.interview(uuid.uuid4())

    async def test_an_act_dated_in_the_future_is_refused(self, cases) -> None:
        case_id = await cases.open()

        with pytest.raises(ActInTheFuture) as raised:
            await handlers.record_interview(
                c.RecordInterview(
                    case_id=case_id,
                    conducted_at=cases.clock() + timedelta(hours=1),
                    language="es",
                    notes="",
                ),
                cases.uow(DIF),
            )

        assert (raised.value.kind, raised.value.field) == ("invalid", "conducted_at")

    async def test_an_unknown_reception_point_is_refused(self, cases) -> None:
        case_id = await cases.open()

        with pytest.raises(UnknownReceptionPoint):
            await handlers.plan_return(
                c.PlanReturn(
                    case_id=case_id,
                    reception_point="HN-NOWHERE",
                    scheduled_at=cases.clock(),
                    escort="x",
                    planned_at=cases.clock(),
                ),
                cases.uow(DIF),
            )

    async def test_an_unknown_reception_point_does_not_reveal_a_hidden_case(self, cases) -> None:
        case_id = await cases.open(protection_need=True)

        with pytest.raises(CaseNotFound):
            await handlers.plan_return(
                c.PlanReturn(
                    case_id=case_id,
                    reception_point="HN-NOWHERE",
                    scheduled_at=cases.clock(),
                    escort="x",
                    planned_at=cases.clock(),
                ),
                cases.uow(DINAF),
            )

    async def test_a_return_through_a_post_without_child_protection_is_refused(self, cases) -> None:
        # A Guatemalan child; nobody of Guatemala's child protection at La Mesilla (seed data).
        case_id = await cases.open(nationality="GT")
        await cases.bia(case_id)
        await handlers.write_origin_assessment(
            c.WriteOriginAssessment(
                case_id=case_id,
                family_situation="Mother and two siblings.",
                home_situation="Rented house.",
                risks_on_return="None found.",
                caregiver=Caregiver("Rosa Reyes", "mother"),
                caregiver_agrees_and_able=True,
                complete=True,
                written_at=cases.clock(),
            ),
            cases.uow(person("sbs.gt", "child_protection_officer", "GT")),
        )
        await cases.decide(case_id)

        with pytest.raises(e.ReturnRequiresChildProtectionReception):
            await handlers.plan_return(
                c.PlanReturn(
                    case_id=case_id,
                    reception_point="GT-LA-MESILLA",
                    scheduled_at=cases.clock(),
                    escort="Lic. Pedro Gómez",
                    planned_at=cases.clock(),
                ),
                cases.uow(DIF),
            )


class TestReferenceData:
    async def test_deadline_rules_are_seeded_with_the_domain_defaults(self, cases) -> None:
        async with cases.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT country, notification_hours, interview_hours, bia_days, bid_days"
                        " FROM deadline_rule ORDER BY country"
                    )
                )
            ).all()

        assert [r[0] for r in rows] == [
            "BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US",
        ]  # fmt: skip
        assert {tuple(r[1:]) for r in rows} == {(24, 72, 15, 30)}

    async def test_reception_points_say_where_child_protection_is_present(self, cases) -> None:
        async with cases.runtime.sessions() as session:
            rows = dict(
                (
                    await session.execute(
                        text(
                            "SELECT code, has_child_protection_authority FROM reception_point"
                            " WHERE valid_to IS NULL"
                        )
                    )
                ).all()
            )

        assert rows == {
            "GT-TECUN-UMAN": True,
            "GT-EL-CARMEN": False,
            "GT-LA-MESILLA": False,
            "SV-LAS-CHINAMAS": True,  # since 2026-12-01 (migration 0004)
            "SV-LA-HACHADURA": True,
            "HN-CORINTO": True,
            "HN-AGUA-CALIENTE": True,  # since 2026-12-01 (migration 0004)
            "NI-EL-GUASAULE": True,
        }

    async def test_references_come_from_a_sequence(self, cases) -> None:
        first = await cases.open()
        second = await cases.open()

        refs = [
            (await cases.row("SELECT reference FROM child_case WHERE id = :id", id=i))["reference"]
            for i in (first, second)
        ]

        assert all(r.startswith("CP-MX-2026-") for r in refs)
        assert int(refs[1][-6:]) > int(refs[0][-6:])


class TestVisibilityFilter:
    ACTORS = (
        Actor("dif.mx", frozenset({"child_protection_officer"}), "MX"),
        Actor("dif.mx.supervisor", frozenset({"child_protection_supervisor"}), "MX"),
        Actor("dinaf.hn", frozenset({"child_protection_officer"}), "HN"),
        Actor("sbs.gt", frozenset({"child_protection_officer"}), "GT"),
        Actor("consul.hn.tapachula", frozenset({"consular_officer"}), "HN"),
        Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT"),
        Actor("inm.mx", frozenset({"immigration_officer"}), "MX"),
        Actor("border.hn.corinto", frozenset({"border_officer"}), "HN"),
        Actor("iom.officer", frozenset({"fund_officer"}), None),
    )

    async def test_the_lists_sql_is_the_aggregates_rule(self, fresh_cases) -> None:
        sbs = person("sbs.gt", "child_protection_officer", "GT")
        ids = [
            await fresh_cases.open(),
            await fresh_cases.open(nationality="GT"),
            await fresh_cases.open(protection_need=True),
            await fresh_cases.open(trafficking_indicator=True, nationality="GT"),
            await fresh_cases.open(
                actor=sbs, host_country="GT", nationality="HN", place=Place("GT", None, None)
            ),
        ]

        for actor in self.ACTORS:
            async with fresh_cases.uow() as uow:
                listed = queries.visible_newest_first(actor, [], limit=1000)
                by_sql = {row["id"] for row in (await uow.session.execute(listed)).mappings()}
                by_domain = set()
                for case_id in ids:
                    case = await uow.cases.get_summary(case_id)
                    assert case is not None
                    if case.is_visible_to(actor):
                        by_domain.add(case_id)
            assert by_sql == by_domain, actor.username

        dinaf = self.ACTORS[2]
        async with fresh_cases.uow() as uow:
            listed = queries.visible_newest_first(dinaf, [], limit=1000)
            seen = {row["id"] for row in (await uow.session.execute(listed)).mappings()}
        assert seen == {ids[0], ids[4]}  # its nationals hosted by Mexico and by Guatemala
