"""Reception points as reference data with validity dates (migration 0004): from 2026-12-01 the
origin child-protection authority is on file at SV-LAS-CHINAMAS (DGME child-protection officers,
with CONAPINA) and HN-AGUA-CALIENTE (DINAF), so a return planned to either is accepted; what was
on file before stays, closed, for the days it was in force."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from child_protection.domain import BidDecision, Caregiver, Stage, seed
from child_protection.domain import commands as c
from child_protection.domain import errors as e
from child_protection.service_layer import handlers, queries

from .conftest import DIF, DINAF, SUPERVISOR, person

# El Salvador's child-protection officer (no demo user in the realm: a principal suffices).
CP_SV = person("cp.sv", "child_protection_officer", "SV")
ORIGIN_OFFICER = {"HN": DINAF, "SV": CP_SV}


async def _decided_return(cases, nationality: str):
    case_id = await cases.open(nationality=nationality)
    await cases.bia(case_id)
    await handlers.write_origin_assessment(
        c.WriteOriginAssessment(
            case_id=case_id,
            family_situation="Grandmother and an aunt.",
            home_situation="Own house.",
            risks_on_return="None found on the home visit.",
            caregiver=Caregiver("Marta López", "grandmother"),
            caregiver_agrees_and_able=True,
            complete=True,
            written_at=cases.clock(),
        ),
        cases.uow(ORIGIN_OFFICER[nationality]),
    )
    await handlers.decide_bid(
        c.DecideBid(
            case_id=case_id,
            decision=BidDecision.RETURN,
            reasons="Safe family environment.",
            panel=("Ana Torres",),
            child_views_considered="She wants to live with her grandmother.",
            decided_at=cases.clock(),
        ),
        cases.uow(SUPERVISOR),
    )
    return case_id


def _plan(case_id, point: str, planned_at: datetime) -> c.PlanReturn:
    return c.PlanReturn(
        case_id=case_id,
        reception_point=point,
        scheduled_at=planned_at + timedelta(days=3),
        escort="Lic. Ana Torres (DIF)",
        planned_at=planned_at,
    )


POINTS = [("SV", "SV-LAS-CHINAMAS"), ("HN", "HN-AGUA-CALIENTE")]


class TestOriginAuthorityAtTheBorderPost:
    @pytest.mark.parametrize(("nationality", "point"), POINTS)
    async def test_a_return_plan_there_is_accepted(self, fresh_cases, nationality, point) -> None:
        cases = fresh_cases
        case_id = await _decided_return(cases, nationality)

        await handlers.plan_return(_plan(case_id, point, cases.clock()), cases.uow(DIF))

        summary = await queries.case_summary(cases.services, DIF, case_id)
        assert summary.stage is Stage.RETURN_PLANNED
        row = await cases.row("SELECT return_plan FROM child_case WHERE id = :id", id=case_id)
        assert row["return_plan"]["reception_point"]["code"] == point

    @pytest.mark.parametrize(("nationality", "point"), POINTS)
    async def test_before_the_revision_the_old_record_still_answers(
        self, fresh_cases, nationality, point
    ) -> None:
        cases = fresh_cases
        case_id = await _decided_return(cases, nationality)
        before = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

        with pytest.raises(e.ReturnRequiresChildProtectionReception):
            await handlers.plan_return(_plan(case_id, point, before), cases.uow(DIF))

    async def test_the_table_holds_the_seed_and_its_revisions(self, fresh_cases) -> None:
        async with fresh_cases.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT code, has_child_protection_authority, child_protection_authority,"
                        " valid_from, valid_to FROM reception_point"
                        " WHERE code IN ('SV-LAS-CHINAMAS', 'HN-AGUA-CALIENTE')"
                        " ORDER BY code, valid_from"
                    )
                )
            ).all()

        assert [tuple(r) for r in rows] == [
            ("HN-AGUA-CALIENTE", False, None, date(2009, 1, 1), date(2026, 12, 1)),
            (
                "HN-AGUA-CALIENTE",
                True,
                "Dirección de Niñez, Adolescencia y Familia (DINAF)",
                date(2026, 12, 1),
                None,
            ),
            ("SV-LAS-CHINAMAS", False, None, date(2009, 1, 1), date(2026, 12, 1)),
            (
                "SV-LAS-CHINAMAS",
                True,
                "DGME child-protection officers, with CONAPINA",
                date(2026, 12, 1),
                None,
            ),
        ]
        in_force = {p.point.code: p.point for p in seed.reception_points_on(date(2026, 12, 1))}
        assert in_force["SV-LAS-CHINAMAS"].has_child_protection_authority is True
        assert in_force["HN-AGUA-CALIENTE"].has_child_protection_authority is True
