"""The handlers on a fake unit of work (`fakes.py`): POLICY's order — not visible (404) before
not allowed (403) before state (409) and input (422), and no lock (no decryption) asked before
it is decided — and what a handler takes from who acts, without PostgreSQL, keys or Keycloak.

The default case (conftest's `build`): Mexico's DIF hosts a Honduran boy, opened 2026-12-01
15:00 UTC; "now" is two hours later. A protection need blocks the case for Honduras (its child
protection and its consuls no longer see it); Guatemala never sees it.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from uuid import UUID

import pytest

from child_protection.domain import BidDecision, ChildCase, MeasureKind
from child_protection.domain import commands as c
from child_protection.domain import errors as e
from child_protection.domain.errors import ActInTheFuture
from child_protection.domain.events import InterviewRecorded, ProtectionMeasureRecorded
from child_protection.service_layer import handlers
from child_protection.service_layer.errors import UnknownReceptionPoint
from puebla.auth.principal import Principal

from .conftest import OPENED, Build, at
from .fakes import FakeCaseUnitOfWork

NOW = OPENED + timedelta(hours=2)
FUTURE = NOW + timedelta(days=1)

DIF = Principal("sub-dif", "dif.mx", frozenset({"child_protection_officer"}), "MX")
DINAF = Principal("sub-dinaf", "dinaf.hn", frozenset({"child_protection_officer"}), "HN")
SBS = Principal("sub-sbs", "sbs.gt", frozenset({"child_protection_officer"}), "GT")
CONSUL = Principal("sub-consul", "consul.hn.tapachula", frozenset({"consular_officer"}), "HN")


def _uow(actor: Principal, *cases: ChildCase) -> FakeCaseUnitOfWork:
    for case in cases:
        case.events.clear()  # what the builder did is not the handler's
    return FakeCaseUnitOfWork(actor, now=NOW, cases=cases)


def _opening(case_id: UUID, template: ChildCase) -> c.OpenCase:
    """The default case's opening in Mexico, under a new id."""
    return c.OpenCase(
        case_id=case_id,
        host_country="MX",
        nationality="HN",
        child=template.child,
        identified_at=at(-1),
        place=template.place,
        accompaniment=template.accompaniment,
        age_disputed=False,
        protection_need=False,
        trafficking_indicator=False,
        opened_at=NOW,
    )


def _interview(case_id: UUID, when=NOW) -> c.RecordInterview:
    return c.RecordInterview(case_id=case_id, conducted_at=when, language="es", notes="Alone.")


class TestVisibilityFirst:
    async def test_an_unknown_case_is_not_found(self, build: Build) -> None:
        uow = _uow(DIF)

        with pytest.raises(e.CaseNotVisible):
            await handlers.record_interview(_interview(UUID(int=999)), uow.as_uow())
        assert (uow.cases.locked, uow.committed) == ([], False)

    @pytest.mark.parametrize(
        ("caller", "protection_need"),
        [(SBS, False), (DINAF, True), (CONSUL, True)],
        ids=["third_country", "nationality_while_blocked", "consul_while_blocked"],
    )
    async def test_a_hidden_case_is_not_found_before_any_other_rule(
        self, build: Build, caller: Principal, protection_need: bool
    ) -> None:
        case = build.open(protection_need=protection_need)
        uow = _uow(caller, case)

        # A future date and the wrong role for an interview: neither is what the caller hears.
        with pytest.raises(e.CaseNotVisible) as refused:
            await handlers.record_interview(_interview(case.id, FUTURE), uow.as_uow())
        assert refused.value.kind == "not_found"
        assert refused.value.message == "The case was not found."
        assert (uow.cases.locked, uow.committed) == ([], False)

    async def test_an_unknown_reception_point_does_not_reveal_a_hidden_case(
        self, build: Build
    ) -> None:
        case = build.open(protection_need=True)
        uow = _uow(DINAF, case)
        plan = c.PlanReturn(
            case_id=case.id,
            reception_point="HN-NOWHERE",
            scheduled_at=FUTURE,
            escort="x",
            planned_at=NOW,
        )

        with pytest.raises(e.CaseNotVisible):
            await handlers.plan_return(plan, uow.as_uow())
        assert uow.cases.locked == []


class TestPermissionBeforeStateAndInput:
    async def test_the_child_s_country_may_not_record_a_host_act(self, build: Build) -> None:
        case = build.open()
        uow = _uow(DINAF, case)
        measure = c.RecordProtectionMeasure(
            case_id=case.id, kind=MeasureKind.SHELTER, description="x", taken_at=FUTURE
        )

        with pytest.raises(e.OnlyHostOfficer) as refused:
            await handlers.record_protection_measure(measure, uow.as_uow())
        assert refused.value.kind == "forbidden"
        assert (uow.cases.locked, uow.committed) == ([], False)

    async def test_a_closed_case_comes_before_the_input_rule(self, build: Build) -> None:
        case = build.determined(BidDecision.STAY)
        case.close(build.dif, reason="Placed in foster care.", closed_at=at(1))
        uow = _uow(DIF, case)

        with pytest.raises(e.CaseIsClosed):
            await handlers.record_interview(_interview(case.id, FUTURE), uow.as_uow())
        assert (uow.cases.locked, uow.committed) == ([], False)

    async def test_the_input_rule_comes_last_and_nothing_is_committed(self, build: Build) -> None:
        case = build.open()
        uow = _uow(DIF, case)

        with pytest.raises(ActInTheFuture) as refused:
            await handlers.record_interview(_interview(case.id, FUTURE), uow.as_uow())
        assert (refused.value.kind, refused.value.field) == ("invalid", "conducted_at")
        assert uow.cases.locked == [case.id]
        assert uow.committed is False
        assert case.events == []

    async def test_an_unknown_reception_point_is_an_input_rule_for_the_host(
        self, build: Build
    ) -> None:
        case = build.determined()
        uow = _uow(DIF, case)
        plan = c.PlanReturn(
            case_id=case.id,
            reception_point="HN-NOWHERE",
            scheduled_at=FUTURE,
            escort="x",
            planned_at=NOW,
        )

        with pytest.raises(UnknownReceptionPoint) as refused:
            await handlers.plan_return(plan, uow.as_uow())
        assert (refused.value.rule, refused.value.field) == (
            "unknown_reception_point",
            "reception_point",
        )
        assert uow.committed is False


class TestWhoActs:
    def test_no_command_names_who_acts(self) -> None:
        commands = [c.OpenCase, c.RecordInterview, c.DecideBid, c.CloseCase, c.PlanReturn]
        for command in commands:
            assert "actor" not in {f.name for f in dataclasses.fields(command)}, command

    async def test_the_act_is_the_unit_of_work_s_caller_s(self, build: Build) -> None:
        case = build.open()
        uow = _uow(DIF, case)

        await handlers.record_interview(_interview(case.id), uow.as_uow())

        assert uow.committed is True
        (event,) = case.events
        assert isinstance(event, InterviewRecorded)
        assert event.actor == "dif.mx"

    async def test_an_opening_is_hosted_by_whoever_opens_it(self, build: Build) -> None:
        template = build.open()
        uow = _uow(DIF)
        opening = _opening(UUID(int=77), template)

        opened = await handlers.open_case(opening, uow.as_uow())

        assert opened == UUID(int=77)
        (case,) = uow.cases.added
        assert case.reference == "CP-MX-2026-000001"
        assert case.events[0].actor == "dif.mx"
        assert uow.committed is True

    async def test_an_officer_of_another_country_cannot_open_a_case_here(
        self, build: Build
    ) -> None:
        template = build.open()
        uow = _uow(SBS)
        opening = _opening(UUID(int=78), template)

        with pytest.raises(e.OnlyHostOfficer):
            await handlers.open_case(opening, uow.as_uow())
        assert (uow.cases.added, uow.committed) == ([], False)

    async def test_a_measure_records_who_took_it(self, build: Build) -> None:
        case = build.open()
        uow = _uow(DIF, case)
        measure = c.RecordProtectionMeasure(
            case_id=case.id, kind=MeasureKind.SHELTER, description="DIF shelter.", taken_at=NOW
        )

        await handlers.record_protection_measure(measure, uow.as_uow())

        (event,) = case.events
        assert isinstance(event, ProtectionMeasureRecorded)
        assert (event.actor, event.version) == ("dif.mx", 2)
