from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest

from consular.domain.commands import NotifyChildCase
from consular.domain.errors import (
    BlockNotLiftable,
    InvalidInput,
    NotificationNotSendable,
    NotificationNotVisible,
)
from consular.domain.events import (
    NotificationCreated,
    NotificationReleased,
    NotificationSuppressed,
)
from consular.domain.reference import MandatoryNotification
from consular.domain.rules import NotificationKind, SuppressionReason, suppression_reason
from consular.domain.states import Channel, NotificationStatus
from consular.domain.triggers import notify_on_child_case
from consular.domain.values import Actor, Person, Place, Sex

INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
CONSUL_SV = Actor("consul.sv.tapachula", frozenset({"consular_officer"}), "SV")
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


class TestProtectionNeed:
    def test_a_person_with_a_protection_need_is_recorded_but_never_sent(self, office):
        (notification,) = office.report(protection_need=True)
        assert notification.status is NotificationStatus.SUPPRESSED
        assert notification.suppression_reason is SuppressionReason.PROTECTION_NEED
        assert notification.consular_post is None
        assert notification.due_at is None
        assert notification.deliveries == ()
        assert notification.channels_to_deliver() == ()
        assert [type(e) for e in notification.events] == [NotificationSuppressed]

    def test_protection_need_wins_even_for_a_death(self, office):
        (notification,) = office.report(kind=NotificationKind.DEATH, protection_need=True)
        assert notification.suppression_reason is SuppressionReason.PROTECTION_NEED

    def test_the_consulate_never_sees_it_and_the_reporting_side_sees_why(self, office):
        notification = office.one(protection_need=True)
        assert not notification.is_visible_to(CONSUL_GT)
        assert notification.suppression_reason_for(CONSUL_GT) is None
        assert notification.is_visible_to(INM_MX)
        assert notification.suppression_reason_for(INM_MX) is SuppressionReason.PROTECTION_NEED

    def test_it_cannot_be_delivered(self, office):
        notification = office.one(protection_need=True)
        with pytest.raises(NotificationNotSendable) as refused:
            notification.delivery_attempted(Channel.EMAIL, ok=True, error=None, now=NOW)
        assert (refused.value.kind, refused.value.rule) == ("conflict", "notification_suppressed")
        assert notification.sent_at is None

    def test_the_consul_cannot_acknowledge_what_they_may_not_see(self, office):
        notification = office.one(protection_need=True)
        with pytest.raises(NotificationNotVisible) as refused:
            notification.acknowledge(CONSUL_GT, NOW)
        assert refused.value.kind == "not_found"
        assert notification.status is NotificationStatus.SUPPRESSED

    def test_it_is_never_overdue(self, office):
        notification = office.one(protection_need=True)
        notification.check_overdue(datetime(2026, 4, 1, tzinfo=UTC))
        assert notification.overdue is False
        assert notification.events == []


class TestHostNational:
    def test_a_mexican_detained_in_mexico_is_not_notified_about(self, office):
        (notification,) = office.report(nationalities=("MX",))
        assert notification.status is NotificationStatus.SUPPRESSED
        assert notification.suppression_reason is SuppressionReason.HOST_NATIONAL
        assert notification.consular_post is None

    def test_a_sent_notification_is_visible_to_the_consul_of_the_nationality_only(self, office):
        notification = office.one()
        assert notification.status is NotificationStatus.PENDING
        assert notification.is_visible_to(CONSUL_GT)
        assert not notification.is_visible_to(CONSUL_SV)


class TestDualNationality:
    def test_two_foreign_nationalities_give_one_notification_each(self, office):
        guatemala, el_salvador = office.report(nationalities=("GT", "SV"))
        assert (guatemala.nationality, guatemala.consular_post) == ("GT", "GT-CONS-TAPACHULA")
        assert (el_salvador.nationality, el_salvador.consular_post) == ("SV", "SV-CONS-TAPACHULA")
        assert guatemala.status is NotificationStatus.PENDING
        assert el_salvador.status is NotificationStatus.PENDING
        assert guatemala.id != el_salvador.id

    def test_each_consulate_sees_only_its_own(self, office):
        guatemala, el_salvador = office.report(nationalities=("GT", "SV"))
        assert guatemala.is_visible_to(CONSUL_GT)
        assert not guatemala.is_visible_to(CONSUL_SV)
        assert el_salvador.is_visible_to(CONSUL_SV)
        assert not el_salvador.is_visible_to(CONSUL_GT)

    def test_each_nationality_is_assessed_on_its_own_table(self, office, reference):
        with_sv = replace(
            reference, mandatory=(MandatoryNotification("MX", "SV", date(2020, 1, 1)),)
        )
        guatemala, el_salvador = office.report(
            reference=with_sv, nationalities=("GT", "SV"), person_requests_notification=False
        )
        assert guatemala.suppression_reason is SuppressionReason.NOT_REQUESTED
        assert el_salvador.status is NotificationStatus.PENDING
        assert el_salvador.mandatory is True

    def test_holding_the_host_nationality_suppresses_every_nationality(self, office):
        mexico, guatemala = office.report(nationalities=("MX", "GT"))
        assert mexico.suppression_reason is SuppressionReason.HOST_NATIONAL
        assert guatemala.suppression_reason is SuppressionReason.HOST_NATIONAL
        assert guatemala.status is NotificationStatus.SUPPRESSED
        assert not guatemala.is_visible_to(CONSUL_GT)

    def test_the_rule_in_isolation(self):
        decide: dict[str, Any] = dict(
            kind=NotificationKind.DEATH,
            host_country="MX",
            protection_need=False,
        )
        assert suppression_reason(nationality="GT", holds_host_nationality=False, **decide) is None
        assert (
            suppression_reason(nationality="GT", holds_host_nationality=True, **decide)
            is SuppressionReason.HOST_NATIONAL
        )
        assert (
            suppression_reason(nationality="MX", holds_host_nationality=False, **decide)
            is SuppressionReason.HOST_NATIONAL
        )


def _child_case(**overrides):
    fields: dict[str, Any] = {
        "case_id": "case-7",
        "child": Person("Ana", "Cruz", Sex.F, None, estimated_age=14),
        "nationalities": ("HN",),
        "place": Place("MX", "Chiapas", "Tapachula"),
        "opened_at": datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        "protection_need": False,
        "blocked_for_consulate": False,
    }
    fields.update(overrides)
    return NotifyChildCase(**fields)


class TestChildCase:
    def test_an_unblocked_case_is_notified(self, reference, new_id):
        (notification,) = notify_on_child_case(_child_case(), reference, new_id, NOW)
        assert notification.kind is NotificationKind.CHILD_CASE
        assert notification.status is NotificationStatus.PENDING
        assert notification.consular_post == "HN-CONS-TAPACHULA"
        assert notification.source_key == "child_protection:case-7:child_case:HN"

    def test_a_blocked_case_is_recorded_not_sent(self, reference, new_id):
        (notification,) = notify_on_child_case(
            _child_case(blocked_for_consulate=True), reference, new_id, NOW
        )
        assert notification.status is NotificationStatus.SUPPRESSED
        assert notification.suppression_reason is SuppressionReason.CONSULAR_CONTACT_BLOCKED
        assert notification.deliveries == ()

    def test_lifting_the_block_sends_it_with_clocks_from_the_lifting(self, reference, new_id):
        (notification,) = notify_on_child_case(
            _child_case(blocked_for_consulate=True), reference, new_id, NOW
        )
        notification.events.clear()
        lifted_at = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
        notification.release(reference, lifted_at)
        assert notification.status is NotificationStatus.PENDING
        assert notification.suppression_reason is None
        assert notification.consular_post == "HN-CONS-TAPACHULA"
        assert notification.due_at == datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
        assert notification.ack_due_at == datetime(2026, 3, 17, 10, 0, tzinfo=UTC)
        assert notification.channels_to_deliver() == (Channel.IN_APP, Channel.EMAIL)
        (released,) = notification.events
        assert isinstance(released, NotificationReleased)
        assert released.version == 2

    def test_a_notice_held_without_the_identity_is_released_with_who_and_where(
        self, reference, new_id
    ):
        """A blocked case's opening does not say who the child is: the notice is held knowing
        nobody, and the clearing's consular notice brings the child and the place."""
        (notification,) = notify_on_child_case(
            _child_case(blocked_for_consulate=True, child=None, place=Place("MX")),
            reference,
            new_id,
            NOW,
        )
        assert notification.person is None
        assert notification.status is NotificationStatus.SUPPRESSED
        ana = Person("Ana", "Cruz", Sex.F, None, estimated_age=14)
        with pytest.raises(InvalidInput):  # a place in another country is not this notice's
            notification.release(
                reference, NOW, person=ana, place=Place("GT", "Quetzaltenango", None)
            )
        assert (notification.status, notification.person) == (NotificationStatus.SUPPRESSED, None)
        notification.release(reference, NOW, person=ana, place=Place("MX", "Chiapas", "Tapachula"))
        # (mypy keeps the narrowing of the assert above across the call that changes it)
        assert cast(NotificationStatus, notification.status) is NotificationStatus.PENDING
        assert notification.person == ana
        assert notification.place == Place("MX", "Chiapas", "Tapachula")
        assert notification.consular_post == "HN-CONS-TAPACHULA"

    def test_lifting_twice_changes_nothing(self, reference, new_id):
        (notification,) = notify_on_child_case(
            _child_case(blocked_for_consulate=True), reference, new_id, NOW
        )
        notification.release(reference, datetime(2026, 3, 14, 10, 0, tzinfo=UTC))
        notification.release(reference, datetime(2026, 3, 15, 10, 0, tzinfo=UTC))
        assert notification.due_at == datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
        assert notification.version == 2

    def test_no_supervisor_lifts_a_protection_need(self, reference, new_id):
        (notification,) = notify_on_child_case(
            _child_case(blocked_for_consulate=True, protection_need=True), reference, new_id, NOW
        )
        assert notification.suppression_reason is SuppressionReason.PROTECTION_NEED
        with pytest.raises(BlockNotLiftable):
            notification.release(reference, datetime(2026, 3, 14, 10, 0, tzinfo=UTC))
        assert notification.status is NotificationStatus.SUPPRESSED

    def test_created_event_carries_no_personal_data(self, reference, new_id):
        (notification,) = notify_on_child_case(_child_case(), reference, new_id, NOW)
        (created,) = notification.events
        assert isinstance(created, NotificationCreated)
        assert not hasattr(created, "person")
