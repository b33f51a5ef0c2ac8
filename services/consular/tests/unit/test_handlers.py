"""The handlers on an in-memory unit of work (`fakes.py`): who acts comes from the unit of
work, access is answered in POLICY's order — not visible (404) before not allowed (403) before
the record's state (409) and the request's input (422) — and nothing is committed by a refused
use case. Milliseconds, no server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from consular.adapters.integration import FundReturnCancellation, FundReturnTrigger
from consular.domain.commands import (
    AcknowledgeNotification,
    CheckOverdue,
    DecideVerification,
    RecordConsularAction,
    ReportNotification,
    RequestVerification,
)
from consular.domain.errors import (
    ActionBeforeTrigger,
    NotHostImmigrationOfficer,
    NotificationWithdrawn,
    PersonObjectsToConsularAction,
    ReasonRequired,
)
from consular.domain.model import Notification
from consular.domain.rules import NotificationKind
from consular.domain.states import (
    ConsularActionKind,
    Decision,
    NotificationStatus,
    VerificationStatus,
    WithdrawalReason,
)
from consular.domain.triggers import request_verification
from consular.domain.values import Person, Place, Related, Sex
from consular.service_layer import handlers
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.clock import FrozenClock
from puebla.refusals import NotAllowed, NotVisible

from .fakes import FakeConsularUnitOfWork, principal

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
DETAINED_AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
JUAN = Person("Juan Carlos", "López Pérez", Sex.M)

INM_MX = principal("inm.mx", "immigration_officer", country="MX")
IGM_GT = principal("igm.gt", "immigration_officer", country="GT")
CONSUL_GT = principal("consul.gt.tapachula", "consular_officer", country="GT")
CONSUL_SV = principal("consul.sv.tapachula", "consular_officer", country="SV")


def uow(actor: Any) -> FakeConsularUnitOfWork:
    return FakeConsularUnitOfWork(actor, FrozenClock(NOW))


def real(fake: FakeConsularUnitOfWork) -> ConsularUnitOfWork:
    # The handlers use only what the fake offers (the same method names).
    return cast(ConsularUnitOfWork, fake)


def detention(**overrides: Any) -> ReportNotification:
    fields: dict[str, Any] = {
        "kind": NotificationKind.DETENTION,
        "person": JUAN,
        "nationalities": ("GT",),
        "place": Place("MX", "Chiapas", "Tapachula"),
        "occurred_at": DETAINED_AT,
        "protection_need": False,
        "person_requests_notification": True,
        **overrides,
    }
    return ReportNotification(**fields)


async def reported(work: FakeConsularUnitOfWork, **overrides: Any) -> Notification:
    """A detention reported by INM in `work` (its repositories), as the API would."""
    reporting = uow(INM_MX)
    reporting.notifications = work.notifications
    (notification_id,) = await handlers.report_notification(detention(**overrides), real(reporting))
    return work.notifications.stored[notification_id]


class TestReport:
    async def test_the_reporter_is_the_unit_of_works_caller(self) -> None:
        work = uow(INM_MX)
        (notification_id,) = await handlers.report_notification(detention(), real(work))
        n = work.notifications.stored[notification_id]
        assert work.committed == 1
        assert work.notifications.reported_by[notification_id] == "inm.mx"
        assert work.notifications.access_of(notification_id) == ["GT", "MX"]
        # Delivered in the consulate's inbox by being committed.
        assert n.status is NotificationStatus.PENDING
        assert n.sent_at == NOW

    async def test_another_countrys_officer_is_refused_and_nothing_is_committed(self) -> None:
        work = uow(IGM_GT)
        with pytest.raises(NotHostImmigrationOfficer) as refused:
            await handlers.report_notification(detention(), real(work))
        assert (refused.value.kind, refused.value.rule) == (
            "forbidden",
            "host_immigration_officer_only",
        )
        assert (work.committed, work.notifications.stored) == (0, {})

    async def test_a_consumer_cannot_report(self) -> None:
        with pytest.raises(TypeError):
            await handlers.report_notification(detention(), real(uow("consular-fund-approved")))


class TestAcknowledge:
    async def test_the_consul_of_the_nationality_acknowledges_as_themselves(self) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work)
        await handlers.acknowledge_notification(
            AcknowledgeNotification(notification_id=n.id), real(work)
        )
        assert (n.status, n.acknowledged_by) == (
            NotificationStatus.ACKNOWLEDGED,
            "consul.gt.tapachula",
        )
        assert work.committed == 1

    async def test_a_consul_of_another_country_is_told_it_does_not_exist(self) -> None:
        work = uow(CONSUL_SV)
        n = await reported(work)
        with pytest.raises(NotVisible) as refused:
            await handlers.acknowledge_notification(
                AcknowledgeNotification(notification_id=n.id), real(work)
            )
        assert (refused.value.kind, refused.value.message) == (
            "not_found",
            "The notification was not found.",
        )
        assert work.committed == 0

    async def test_the_host_sees_it_but_may_not_acknowledge(self) -> None:
        work = uow(INM_MX)
        n = await reported(work)
        with pytest.raises(NotAllowed) as refused:
            await handlers.acknowledge_notification(
                AcknowledgeNotification(notification_id=n.id), real(work)
            )
        assert (refused.value.kind, refused.value.rule) == (
            "forbidden",
            "consul_of_nationality_only",
        )
        assert n.status is NotificationStatus.PENDING

    async def test_a_suppressed_notice_does_not_exist_for_the_consul_of_its_nationality(
        self,
    ) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work, protection_need=True)
        assert n.status is NotificationStatus.SUPPRESSED
        with pytest.raises(NotVisible):
            await handlers.acknowledge_notification(
                AcknowledgeNotification(notification_id=n.id), real(work)
            )

    async def test_an_unknown_id_is_the_same_404(self) -> None:
        work = uow(CONSUL_GT)
        await reported(work)
        with pytest.raises(NotVisible) as refused:
            await handlers.acknowledge_notification(
                AcknowledgeNotification(notification_id=uuid.UUID(int=999)),  # never issued
                real(work),
            )
        assert refused.value.message == "The notification was not found."


class TestRecordConsularAction:
    async def test_403_before_the_state_and_the_input(self) -> None:
        work = uow(INM_MX)
        n = await reported(work, person_objects_to_consular_action=True)
        way_before = DETAINED_AT - timedelta(days=1)
        with pytest.raises(NotAllowed):
            await handlers.record_consular_action(
                RecordConsularAction(
                    notification_id=n.id, kind=ConsularActionKind.VISIT, at=way_before
                ),
                real(work),
            )

    async def test_the_persons_objection_409_before_a_bad_time_422(self) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work, person_objects_to_consular_action=True)
        with pytest.raises(PersonObjectsToConsularAction) as refused:
            await handlers.record_consular_action(
                RecordConsularAction(
                    notification_id=n.id,
                    kind=ConsularActionKind.VISIT,
                    at=DETAINED_AT - timedelta(days=1),
                ),
                real(work),
            )
        assert (refused.value.kind, refused.value.rule) == ("conflict", "do_not_act")
        assert work.committed == 0

    async def test_an_action_before_the_detention_is_invalid(self) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work)
        with pytest.raises(ActionBeforeTrigger) as refused:
            await handlers.record_consular_action(
                RecordConsularAction(
                    notification_id=n.id,
                    kind=ConsularActionKind.VISIT,
                    at=DETAINED_AT - timedelta(minutes=1),
                ),
                real(work),
            )
        assert (refused.value.kind, refused.value.field) == ("invalid", "at")

    async def test_a_withdrawn_notice_has_nothing_to_act_on(self) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work)
        n.withdraw(WithdrawalReason.CANCELLED, NOW)
        with pytest.raises(NotificationWithdrawn):
            await handlers.record_consular_action(
                RecordConsularAction(notification_id=n.id, kind=ConsularActionKind.VISIT, at=NOW),
                real(work),
            )

    async def test_recorded_by_the_caller(self) -> None:
        work = uow(CONSUL_GT)
        n = await reported(work)
        await handlers.record_consular_action(
            RecordConsularAction(
                notification_id=n.id, kind=ConsularActionKind.INTERVIEW, at=NOW, notes=" ok "
            ),
            real(work),
        )
        (action,) = n.actions
        assert (action.by, action.notes, action.recorded_at) == ("consul.gt.tapachula", "ok", NOW)
        assert work.committed == 1


def _verification(work: FakeConsularUnitOfWork) -> Any:
    v = request_verification(
        RequestVerification(
            person=JUAN,
            claimed_nationality="GT",
            host_country="MX",
            related=Related("repatriation", "m-1", "r-1"),
            requested_at=NOW - timedelta(hours=1),
        ),
        uuid.UUID(int=7),
    )
    work.verifications.add(v, access=["MX", "GT"])
    return v


class TestDecideVerification:
    async def test_404_for_another_countrys_consul_403_for_the_host(self) -> None:
        for caller, refusal in ((CONSUL_SV, NotVisible), (INM_MX, NotAllowed)):
            work = uow(caller)
            v = _verification(work)
            with pytest.raises(refusal):
                await handlers.decide_verification(
                    DecideVerification(verification_id=v.id, decision=Decision.REJECTED),
                    real(work),
                )
            assert work.committed == 0

    async def test_a_rejection_without_a_reason_is_invalid(self) -> None:
        work = uow(CONSUL_GT)
        v = _verification(work)
        with pytest.raises(ReasonRequired):
            await handlers.decide_verification(
                DecideVerification(verification_id=v.id, decision=Decision.REJECTED),
                real(work),
            )

    async def test_withdrawn_for_a_protection_need_it_no_longer_exists_for_the_consul(
        self,
    ) -> None:
        work = uow(CONSUL_GT)
        v = _verification(work)
        v.withdraw(WithdrawalReason.PROTECTION, NOW)
        with pytest.raises(NotVisible) as refused:
            await handlers.decide_verification(
                DecideVerification(verification_id=v.id, decision=Decision.CONFIRMED),
                real(work),
            )
        assert refused.value.message == "The verification request was not found."

    async def test_confirmed_by_the_caller(self) -> None:
        work = uow(CONSUL_GT)
        v = _verification(work)
        await handlers.decide_verification(
            DecideVerification(verification_id=v.id, decision=Decision.CONFIRMED), real(work)
        )
        assert (v.status, v.decided_by, v.decided_at) == (
            VerificationStatus.CONFIRMED,
            "consul.gt.tapachula",
            NOW,
        )


APPROVED = FundReturnTrigger(
    application_id="app-1",
    beneficiary=JUAN,
    nationality="GT",
    current_country="MX",
    approved_at=NOW - timedelta(hours=2),
    access=("IOM", "GT"),
)


class TestFundReturns:
    async def test_a_label_without_the_nationality_is_refused_for_good(self) -> None:
        work = uow("consular-fund-approved")
        with pytest.raises(handlers.AccessLabelExceeded) as refused:
            await handlers.notify_fund_return(
                FundReturnTrigger(**{**APPROVED.__dict__, "access": ("IOM",)}), real(work)
            )
        assert (refused.value.kind, refused.value.rule) == ("conflict", "access_label")
        assert (work.committed, work.notifications.stored) == (0, {})

    async def test_a_cancellation_consumed_first_withdraws_the_approval_when_it_comes(
        self,
    ) -> None:
        work = uow("consular-fund-cancelled")
        await handlers.withdraw_fund_return(
            FundReturnCancellation(application_id="app-1", version=3, at=NOW), real(work)
        )
        await handlers.notify_fund_return(APPROVED, real(work))
        (notice,) = work.notifications.stored.values()
        assert (notice.status, notice.withdrawn_reason) == (
            NotificationStatus.WITHDRAWN,
            WithdrawalReason.CANCELLED,
        )
        assert work.notifications.access_of(notice.id) == ["GT", "IOM"]
        assert work.committed == 2


class TestOverdue:
    async def test_escalated_once_by_the_scheduler(self) -> None:
        work = uow(INM_MX)
        n = await reported(work)
        scheduler = uow("scheduler")
        scheduler.notifications = work.notifications
        later = NOW + timedelta(days=4)
        assert await handlers.check_overdue(CheckOverdue(now=later), lambda: real(scheduler)) == 1
        assert await handlers.check_overdue(CheckOverdue(now=later), lambda: real(scheduler)) == 0
        assert (n.overdue, n.escalated_at) == (True, later)
