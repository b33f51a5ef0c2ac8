"""Recording consular access, an interview or a visit on a notification (DOMAIN.md §4 "Record":
"an action is refused when the person objected to consular action"; VCCR art. 36(1)(c)).

The office's defaults: a Guatemalan detained in Tapachula at 15:00 UTC on 10 March 2026,
reported at 18:00 UTC."""

from datetime import UTC, datetime, timedelta

import pytest

from consular.domain.errors import (
    ActionBeforeTrigger,
    InvalidInput,
    NotConsulOfNationality,
    NotificationNotVisible,
    NotificationWithdrawn,
    OccurredInFuture,
    PersonObjectsToConsularAction,
    TooManyActions,
)
from consular.domain.events import ConsularActionRecorded
from consular.domain.model import ConsularAction
from consular.domain.states import ConsularActionKind, WithdrawalReason
from consular.domain.values import Actor

CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
CONSUL_SV = Actor("consul.sv.tapachula", frozenset({"consular_officer"}), "SV")
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
DETAINED_AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
VISITED_AT = datetime(2026, 3, 11, 16, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 11, 17, 0, tzinfo=UTC)
VISIT = ConsularActionKind.VISIT


class TestRecorded:
    def test_a_visit_is_recorded_with_who_when_and_the_notes(self, office):
        notification = office.one()
        version = notification.version
        notification.record_consular_action(
            CONSUL_GT, VISIT, VISITED_AT, NOW, notes="  Estación Siglo XXI  "
        )
        assert notification.actions == (
            ConsularAction(VISIT, "consul.gt.tapachula", VISITED_AT, NOW, "Estación Siglo XXI"),
        )
        assert notification.version == version + 1
        assert notification.events == [
            ConsularActionRecorded(
                notification_id=notification.id,
                action=VISIT,
                by="consul.gt.tapachula",
                at=VISITED_AT,
                recorded_at=NOW,
                version=version + 1,
            )
        ]

    def test_actions_follow_each_other_on_a_pending_or_acknowledged_notice(self, office):
        notification = office.one()
        notification.record_consular_action(CONSUL_GT, ConsularActionKind.ACCESS, DETAINED_AT, NOW)
        notification.acknowledge(CONSUL_GT, NOW)
        notification.record_consular_action(CONSUL_GT, ConsularActionKind.INTERVIEW, NOW, NOW)
        assert [(a.kind, a.at, a.notes) for a in notification.actions] == [
            (ConsularActionKind.ACCESS, DETAINED_AT, None),
            (ConsularActionKind.INTERVIEW, NOW, None),
        ]

    def test_blank_notes_are_no_notes(self, office):
        notification = office.one()
        notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW, notes="   ")
        assert notification.actions[0].notes is None


class TestRefused:
    def test_the_persons_objection_refuses_every_kind_of_action(self, office):
        notification = office.one(person_objects_to_consular_action=True)
        for kind in ConsularActionKind:
            with pytest.raises(PersonObjectsToConsularAction) as refused:
                notification.record_consular_action(CONSUL_GT, kind, VISITED_AT, NOW)
            assert (refused.value.kind, refused.value.rule) == ("conflict", "do_not_act")
        assert notification.actions == ()
        assert notification.events == []

    def test_a_withdrawn_notice_has_nothing_to_act_on(self, office):
        notification = office.one()
        notification.withdraw(WithdrawalReason.CANCELLED, NOW)
        notification.events.clear()
        with pytest.raises(NotificationWithdrawn) as refused:
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW)
        assert (refused.value.kind, refused.value.rule) == ("conflict", "notification_withdrawn")
        assert notification.events == []

    def test_withdrawn_for_protection_it_does_not_exist_for_the_consulate(self, office):
        notification = office.one()
        notification.withdraw(WithdrawalReason.PROTECTION, NOW)
        with pytest.raises(NotificationNotVisible):
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW)

    def test_a_suppressed_notice_does_not_exist_for_the_consulate(self, office):
        notification = office.one(protection_need=True)
        with pytest.raises(NotificationNotVisible):
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW)

    @pytest.mark.parametrize("who", [CONSUL_SV, INM_MX], ids=["other consul", "reporting side"])
    def test_only_a_consul_of_the_nationality_acts(self, office, who):
        notification = office.one()
        with pytest.raises(NotConsulOfNationality) as refused:
            notification.record_consular_action(who, VISIT, VISITED_AT, NOW)
        assert refused.value.kind == "forbidden"
        assert notification.actions == ()

    def test_the_objection_is_decided_before_the_time(self, office):
        notification = office.one(person_objects_to_consular_action=True)
        with pytest.raises(PersonObjectsToConsularAction):
            notification.record_consular_action(CONSUL_GT, VISIT, NOW + timedelta(days=1), NOW)

    def test_a_notification_keeps_a_bounded_number_of_actions(self, office):
        notification = office.one()
        for _ in range(200):
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW)
        with pytest.raises(TooManyActions) as refused:
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW)
        assert (refused.value.kind, refused.value.rule) == ("conflict", "too_many_actions")
        assert len(notification.actions) == 200

    def test_notes_are_bounded(self, office):
        notification = office.one()
        notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW, notes="a" * 2000)
        with pytest.raises(InvalidInput) as refused:
            notification.record_consular_action(CONSUL_GT, VISIT, VISITED_AT, NOW, notes="a" * 2001)
        assert (refused.value.field, refused.value.rule) == ("notes", "too_long")


class TestTime:
    def test_within_the_clock_skew_ahead_is_accepted(self, office):
        notification = office.one()
        ahead = NOW + timedelta(minutes=5)
        notification.record_consular_action(CONSUL_GT, VISIT, ahead, NOW)
        assert notification.actions[0].at == ahead

    def test_beyond_the_clock_skew_ahead_is_refused(self, office):
        notification = office.one()
        with pytest.raises(OccurredInFuture) as refused:
            notification.record_consular_action(
                CONSUL_GT, VISIT, NOW + timedelta(minutes=5, seconds=1), NOW
            )
        assert (refused.value.kind, refused.value.field, refused.value.rule) == (
            "invalid",
            "at",
            "occurred_in_future",
        )
        assert notification.actions == ()

    def test_at_the_trigger_is_accepted_a_second_before_is_refused(self, office):
        notification = office.one()
        notification.record_consular_action(CONSUL_GT, VISIT, DETAINED_AT, NOW)
        with pytest.raises(ActionBeforeTrigger) as refused:
            notification.record_consular_action(
                CONSUL_GT, VISIT, DETAINED_AT - timedelta(seconds=1), NOW
            )
        assert (refused.value.kind, refused.value.field, refused.value.rule) == (
            "invalid",
            "at",
            "before_occurred_at",
        )
        assert len(notification.actions) == 1

    def test_a_time_in_another_zone_is_kept_in_utc(self, office):
        notification = office.one()
        tapachula = datetime.fromisoformat("2026-03-11T10:30:00-06:00")
        notification.record_consular_action(CONSUL_GT, VISIT, tapachula, NOW)
        assert notification.actions[0].at == VISITED_AT
        assert notification.actions[0].at.utcoffset() == timedelta(0)
