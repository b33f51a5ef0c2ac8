"""The handlers decide visibility and permission on the plain, unlocked row before anything else:
a caller who may not see a case gets `CaseNotFound` before any input rule (a future-dated act),
without taking the case's row lock, and without its sensitive sections being decrypted.
(The API decides the same even earlier, before the body is validated: `tests/api/test_check_order`.)
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from child_protection.adapters.crypto import KeyRing, SealedDataError
from child_protection.domain import MeasureKind
from child_protection.domain import commands as c
from child_protection.domain import errors as e
from child_protection.domain.errors import ActInTheFuture
from child_protection.service_layer import handlers
from child_protection.service_layer.errors import CaseNotFound

from .conftest import DIF, DINAF, K2_SETTING, person

SBS = person("sbs.gt", "child_protection_officer", "GT")
CONSUL = person("consul.hn.tapachula", "consular_officer", "HN")


def _interview(case_id, when) -> c.RecordInterview:
    return c.RecordInterview(case_id=case_id, conducted_at=when, language="es", notes="Notes.")


class TestVisibilityFirst:
    @pytest.mark.parametrize(
        ("actor", "blocked"),
        [(SBS, False), (DINAF, True), (CONSUL, True)],
        ids=["third_country", "nationality_while_blocked", "consul_while_blocked"],
    )
    async def test_a_future_dated_act_on_a_hidden_case_is_not_found(
        self, cases, actor, blocked
    ) -> None:
        case_id = await cases.open(protection_need=blocked)
        future = cases.clock() + timedelta(days=365)

        with pytest.raises(CaseNotFound):
            await handlers.record_interview(_interview(case_id, future), cases.uow(actor))
        with pytest.raises(CaseNotFound):
            await handlers.record_follow_up(
                c.RecordFollowUp(case_id=case_id, visited_at=future, notes="x"),
                cases.uow(actor),
            )
        # The officer who may act gets the input rule.
        with pytest.raises(ActInTheFuture):
            await handlers.record_interview(_interview(case_id, future), cases.uow(DIF))

    async def test_permission_comes_before_the_input_rule(self, cases) -> None:
        case_id = await cases.open()
        future = cases.clock() + timedelta(days=365)

        with pytest.raises(e.OnlyHostOfficer):
            await handlers.record_protection_measure(
                c.RecordProtectionMeasure(
                    case_id=case_id,
                    kind=MeasureKind.SHELTER,
                    description="x",
                    taken_at=future,
                ),
                cases.uow(DINAF),
            )

    async def test_a_closed_case_comes_before_the_input_rule(self, cases) -> None:
        case_id = await cases.open()
        await cases.close_in_host(case_id)

        with pytest.raises(e.CaseIsClosed):
            await handlers.record_interview(
                _interview(case_id, cases.clock() + timedelta(days=365)), cases.uow(DIF)
            )


class TestNothingTakenBeforeVisibility:
    async def test_a_hidden_case_is_not_decrypted(self, cases) -> None:
        case_id = await cases.open(protection_need=True)
        # A key ring that cannot open the case's sections: any decryption would fail loudly.
        foreign = cases.with_keyring(KeyRing.parse(K2_SETTING))

        with pytest.raises(CaseNotFound):
            await handlers.record_interview(_interview(case_id, cases.clock()), foreign.uow(DINAF))
        # ...while the host officer's write does decrypt (and so fails on this key ring).
        with pytest.raises(SealedDataError, match="not in the key ring"):
            await handlers.record_interview(_interview(case_id, cases.clock()), foreign.uow(DIF))

    async def test_a_hidden_case_is_not_locked(self, cases) -> None:
        case_id = await cases.open(protection_need=True)
        async with cases.runtime.sessions() as holder, holder.begin():
            # Someone is writing the case: its row is locked until they commit.
            await holder.execute(
                text("SELECT 1 FROM child_case WHERE id = :id FOR UPDATE"), {"id": case_id}
            )

            # The hidden caller is answered at once instead of queueing behind the lock.
            with pytest.raises(CaseNotFound):
                await asyncio.wait_for(
                    handlers.record_interview(_interview(case_id, cases.clock()), cases.uow(DINAF)),
                    timeout=5,
                )
