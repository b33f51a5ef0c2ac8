"""Taking back what the consulate was told (a protection need found later, a removal, a
cancellation) and keeping what could not be routed: the aggregates' rules, on fakes."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from consular.domain.commands import NotifyChildCase, NotifyFundReturn, RequestVerification
from consular.domain.directory import ConsularPost, Directory, PostKind
from consular.domain.errors import (
    NotificationNotVisible,
    NotificationWithdrawn,
    VerificationNotVisible,
    VerificationWithdrawn,
)
from consular.domain.events import (
    NotificationRecounted,
    NotificationRouted,
)
from consular.domain.events import (
    NotificationWithdrawn as Withdrawn,
)
from consular.domain.events import (
    VerificationWithdrawn as VerificationWithdrawnEvent,
)
from consular.domain.model import ManifestSummary
from consular.domain.states import (
    Channel,
    Decision,
    DeliveryStatus,
    NotificationStatus,
    VerificationStatus,
    WithdrawalReason,
)
from consular.domain.triggers import (
    notify_on_child_case,
    notify_on_fund_approval,
    request_verification,
)
from consular.domain.values import Actor, Person, Place, Related, Sex

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
CONSUL_HN = Actor("consul.hn.tapachula", frozenset({"consular_officer"}), "HN")
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
DIF_MX = Actor("dif.mx", frozenset({"child_protection_officer"}), "MX")
AUDITOR = Actor("audit.rcm", frozenset({"auditor"}), None)
KEVIN = Person("Kevin Josué", "Martínez Reyes", Sex.M, date(2012, 4, 9))


def _child_notice(reference, new_id, *, blocked=False):
    (notice,) = notify_on_child_case(
        NotifyChildCase(
            case_id="case-1",
            child=KEVIN,
            nationalities=("HN",),
            place=Place("MX", "Chiapas", "Tapachula"),
            opened_at=NOW - timedelta(hours=1),
            protection_need=False,
            blocked_for_consulate=blocked,
        ),
        reference,
        new_id,
        NOW,
    )
    if not blocked:  # delivered in the consulate's inbox, as the handler does
        notice.delivery_attempted(Channel.IN_APP, True, None, NOW)
    notice.events.clear()
    return notice


def _verification(new_id):
    verification = request_verification(
        RequestVerification(
            person=Person("María José", "Ajú Tzul", Sex.F, date(1998, 11, 23)),
            claimed_nationality="GT",
            host_country="MX",
            related=Related("repatriation", "m-1", "r-9"),
            requested_at=NOW,
        ),
        new_id(),
    )
    verification.events.clear()
    return verification


class TestWithdrawNotification:
    def test_a_protection_withdrawal_hides_it_from_the_consulate_only(self, reference, new_id):
        notice = _child_notice(reference, new_id)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert (notice.status, notice.withdrawn_reason) == (
            NotificationStatus.WITHDRAWN,
            WithdrawalReason.PROTECTION,
        )
        assert not notice.is_visible_to(CONSUL_HN)
        assert notice.is_visible_to(DIF_MX)
        assert not notice.is_visible_to(AUDITOR)  # the audit trail records it
        with pytest.raises(NotificationNotVisible):
            notice.acknowledge(CONSUL_HN, NOW)
        (event,) = notice.events
        assert isinstance(event, Withdrawn)

    def test_clocks_stop_and_undelivered_channels_are_cancelled(self, reference, new_id):
        notice = _child_notice(reference, new_id)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert [(d.channel, d.status) for d in notice.deliveries] == [
            (Channel.IN_APP, DeliveryStatus.SENT),
            (Channel.EMAIL, DeliveryStatus.CANCELLED),
        ]
        assert notice.channels_to_deliver() == ()
        notice.check_overdue(NOW + timedelta(days=10))
        assert (notice.overdue, notice.escalated_at) == (False, None)
        # A mailer that was already sending reports back: nothing changes.
        notice.delivery_attempted(Channel.EMAIL, True, None, NOW)
        assert notice.delivery(Channel.EMAIL).status is DeliveryStatus.CANCELLED

    def test_a_cancelled_return_is_shown_withdrawn_to_the_consulate(self, reference, new_id):
        notice = _child_notice(reference, new_id)
        notice.withdraw(WithdrawalReason.CANCELLED, NOW)
        assert notice.is_visible_to(CONSUL_HN)
        with pytest.raises(NotificationWithdrawn):
            notice.acknowledge(CONSUL_HN, NOW)

    def test_protection_overrides_a_weaker_reason_and_never_the_reverse(self, reference, new_id):
        notice = _child_notice(reference, new_id)
        notice.withdraw(WithdrawalReason.CANCELLED, NOW)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert notice.withdrawn_reason is WithdrawalReason.PROTECTION
        version = notice.version
        notice.withdraw(WithdrawalReason.CANCELLED, NOW)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert (notice.withdrawn_reason, notice.version) == (WithdrawalReason.PROTECTION, version)

    def test_a_notice_never_sent_stays_suppressed(self, reference, new_id):
        notice = _child_notice(reference, new_id, blocked=True)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert notice.status is NotificationStatus.SUPPRESSED
        assert notice.events == []

    def test_a_cleared_block_tells_the_consulate_again_from_scratch(self, reference, new_id):
        notice = _child_notice(reference, new_id)
        notice.acknowledge(CONSUL_HN, NOW)
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        later = NOW + timedelta(days=2)
        notice.release(reference, later)
        assert (notice.status, notice.withdrawn_reason) == (NotificationStatus.PENDING, None)
        assert (notice.acknowledged_at, notice.sent_at) == (None, None)
        assert notice.due_at == later + timedelta(hours=24)
        assert notice.channels_to_deliver() == (Channel.IN_APP, Channel.EMAIL)
        assert notice.is_visible_to(CONSUL_HN)

    @pytest.mark.parametrize(("child_case_id", "released"), [("case-1", True), (None, False)])
    def test_a_cleared_block_releases_a_fund_notice_only_when_it_names_the_childs_case(
        self, reference, child_case_id, released
    ):
        notice = notify_on_fund_approval(
            NotifyFundReturn(
                application_id="application-1",
                beneficiary=KEVIN,
                nationality="HN",
                place=Place("MX"),
                approved_at=NOW - timedelta(hours=1),
                child_case_id=child_case_id,
            ),
            reference,
            UUID(int=7),
            NOW,
        )
        assert notice.child_case_id == child_case_id
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        notice.release(reference, NOW + timedelta(days=1))
        assert notice.is_visible_to(CONSUL_HN) is released


class TestUnroutable:
    def test_kept_then_routed_when_the_directory_has_a_post(self, office, reference):
        (notice,) = office.report(nationalities=("VE",))
        assert notice.status is NotificationStatus.UNROUTABLE
        assert notice.reroute(reference, NOW) is False
        embassy = ConsularPost(
            code="VE-EMB-MEXICO",
            country="VE",
            kind=PostKind.EMBASSY,
            city="Ciudad de México",
            host_country="MX",
            jurisdiction=frozenset(),
            email="embajada@ve.example",
            valid_from=date(2026, 3, 10),
        )
        grown = replace(
            reference,
            directory=Directory(
                posts=(*reference.directory.posts, embassy),
                subdivisions=reference.directory.subdivisions,
            ),
        )
        notice.events.clear()
        assert notice.reroute(grown, NOW + timedelta(hours=2)) is True
        assert (notice.status, notice.consular_post) == (
            NotificationStatus.PENDING,
            "VE-EMB-MEXICO",
        )
        # The clocks run from the detention: the delay in finding a post was the host's.
        assert notice.due_at == notice.occurred_at + timedelta(hours=24)
        (event,) = notice.events
        assert isinstance(event, NotificationRouted)

    def test_an_unroutable_notice_can_be_withdrawn(self, office):
        (notice,) = office.report(nationalities=("VE",))
        notice.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert notice.status is NotificationStatus.WITHDRAWN


class TestManifestCount:
    def _notice(self, ids, version=2, count=None):
        return ManifestSummary(
            reference="MX-GT-2026-000123",
            version=version,
            reception_point="GT-TECUN-UMAN",
            scheduled_arrival=None,
            returnee_count=len(ids) if count is None else count,
            returnee_ids=frozenset(ids),
        )

    def test_only_the_people_it_counted_come_off(self):
        summary = self._notice({"a", "b", "c"}).without(frozenset({"a", "z"}), None)
        assert (summary.returnee_count, summary.returnee_ids) == (2, frozenset({"b", "c"}))

    def test_unknown_whom_it_counted_the_fallback_count_is_used(self):
        summary = replace(self._notice({"a"}, count=30), returnee_ids=None)
        assert summary.without(frozenset({"a"}), 29).returnee_count == 29
        assert summary.without(frozenset({"a"}), None).returnee_count == 30

    def test_a_notice_made_after_the_protection_need_is_left_alone(self, office):
        (notice,) = office.report()
        notice.manifest = self._notice({"a", "b"}, version=4)
        notice.events.clear()
        notice.forget_returnees(frozenset({"a"}), as_of_version=3)
        assert notice.manifest.returnee_count == 2
        notice.forget_returnees(frozenset({"a"}), as_of_version=5)
        assert notice.manifest.returnee_count == 1
        (event,) = notice.events
        assert isinstance(event, NotificationRecounted)


class TestWithdrawVerification:
    def test_a_removal_withdraws_a_pending_request_visibly_to_the_consul(self, new_id):
        v = _verification(new_id)
        v.withdraw(WithdrawalReason.REMOVED, NOW)
        assert (v.status, v.withdrawn_reason) == (
            VerificationStatus.WITHDRAWN,
            WithdrawalReason.REMOVED,
        )
        assert v.is_visible_to(CONSUL_GT)
        with pytest.raises(VerificationWithdrawn):
            v.decide(CONSUL_GT, Decision.CONFIRMED, None, NOW)
        (event,) = v.events
        assert isinstance(event, VerificationWithdrawnEvent)

    def test_a_removal_leaves_a_decision_on_the_record(self, new_id):
        v = _verification(new_id)
        v.decide(CONSUL_GT, Decision.CONFIRMED, None, NOW)
        v.withdraw(WithdrawalReason.CANCELLED, NOW)
        assert v.status is VerificationStatus.CONFIRMED

    def test_a_protection_need_withdraws_it_whatever_its_state_and_hides_it(self, new_id):
        v = _verification(new_id)
        v.decide(CONSUL_GT, Decision.CONFIRMED, None, NOW)
        v.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert v.status is VerificationStatus.WITHDRAWN
        assert not v.is_visible_to(CONSUL_GT)
        assert v.is_visible_to(INM_MX)
        assert not v.is_visible_to(AUDITOR)
        with pytest.raises(VerificationNotVisible):
            v.decide(CONSUL_GT, Decision.CONFIRMED, None, NOW)

    def test_protection_overrides_a_removal(self, new_id):
        v = _verification(new_id)
        v.withdraw(WithdrawalReason.REMOVED, NOW)
        v.withdraw(WithdrawalReason.PROTECTION, NOW)
        assert not v.is_visible_to(CONSUL_GT)
        v.withdraw(WithdrawalReason.REMOVED, NOW)
        assert v.withdrawn_reason is WithdrawalReason.PROTECTION
