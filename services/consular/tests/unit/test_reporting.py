from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from consular.domain import seed
from consular.domain.errors import (
    InvalidInput,
    NotHostImmigrationOfficer,
    NotReportable,
    OccurredInFuture,
    OnlyForDetention,
    PersonObjectsToConsularAction,
    PersonWishRequired,
)
from consular.domain.events import ConsularActionRecorded, NotificationCreated
from consular.domain.reference import MandatoryNotification
from consular.domain.rules import NotificationKind, SuppressionReason
from consular.domain.states import ConsularActionKind, NotificationStatus
from consular.domain.values import Actor, Place

IGM_GT = Actor("igm.gt", frozenset({"immigration_officer"}), "GT")
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
AUDITOR = Actor("audit.rcm", frozenset({"auditor"}), None)
CONSUL_VE = Actor("consul.ve", frozenset({"consular_officer"}), "VE")
CONSUL_GT = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
DIF_MX = Actor("dif.mx", frozenset({"child_protection_officer"}), "MX")
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def _mx_lists_gt(reference, valid_to=None):
    row = MandatoryNotification("MX", "GT", date(2026, 1, 1), valid_to)
    return replace(reference, mandatory=(row,))


class TestMandatoryNotification:
    def test_detention_not_asked_for_and_not_mandatory_is_not_sent(self, office, reference):
        (notification,) = office.report(
            reference=replace(reference, mandatory=()), person_requests_notification=False
        )
        assert notification.status is NotificationStatus.SUPPRESSED
        assert notification.suppression_reason is SuppressionReason.NOT_REQUESTED
        assert notification.mandatory is False

    def test_detention_asked_for_is_sent(self, office):
        (notification,) = office.report(person_requests_notification=True)
        assert notification.status is NotificationStatus.PENDING
        assert notification.person_requests_notification is True

    def test_the_hosts_table_makes_it_mandatory_whatever_the_person_wishes(self, office, reference):
        (notification,) = office.report(
            reference=_mx_lists_gt(reference), person_requests_notification=False
        )
        assert notification.status is NotificationStatus.PENDING
        assert notification.mandatory is True
        assert notification.person_requests_notification is False

    def test_a_row_no_longer_valid_on_the_detention_date_does_not_count(self, office, reference):
        # Detained 09:00 on 10 March in Tapachula; the arrangement ended that day (exclusive).
        table = _mx_lists_gt(reference, valid_to=date(2026, 3, 10))
        (notification,) = office.report(reference=table, person_requests_notification=False)
        assert notification.suppression_reason is SuppressionReason.NOT_REQUESTED

    def test_the_validity_date_is_the_hosts_calendar_date(self, office, reference):
        # 03:00 UTC on 10 March is still 9 March (21:00) in Tapachula: the row still holds.
        table = _mx_lists_gt(reference, valid_to=date(2026, 3, 10))
        (notification,) = office.report(
            reference=table,
            person_requests_notification=False,
            occurred_at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC),
        )
        assert notification.mandatory is True

    def test_another_hosts_table_does_not_count(self, office, reference):
        table = replace(reference, mandatory=(MandatoryNotification("US", "GT", date(2020, 1, 1)),))
        (notification,) = office.report(reference=table, person_requests_notification=False)
        assert notification.suppression_reason is SuppressionReason.NOT_REQUESTED

    def test_the_seed_lists_belize_and_costa_rica_for_the_us_and_every_member_for_mexico(
        self, reference
    ):
        assert sorted((m.host_country, m.nationality) for m in reference.mandatory) == [
            ("MX", "BZ"), ("MX", "CA"), ("MX", "CR"), ("MX", "DO"), ("MX", "GT"), ("MX", "HN"),
            ("MX", "NI"), ("MX", "PA"), ("MX", "SV"), ("MX", "US"),
            ("US", "BZ"), ("US", "CR"),
        ]  # fmt: skip
        assert reference.is_mandatory("MX", "GT", date(2026, 3, 10))
        assert not reference.is_mandatory("MX", "CO", date(2026, 3, 10))
        assert reference.is_mandatory("US", "CR", date(2026, 3, 10))

    def test_in_mexico_a_detained_guatemalan_is_notified_though_he_did_not_ask(self, office):
        (notification,) = office.report(person_requests_notification=False)
        assert notification.status is NotificationStatus.PENDING
        assert notification.mandatory is True

    def test_in_mexico_a_protection_need_still_comes_first(self, office):
        (notification,) = office.report(person_requests_notification=False, protection_need=True)
        assert notification.suppression_reason is SuppressionReason.PROTECTION_NEED

    @pytest.mark.parametrize(
        "kind",
        [NotificationKind.DEATH, NotificationKind.MINOR_GUARDIANSHIP, NotificationKind.ACCIDENT],
    )
    def test_deaths_minors_and_accidents_are_always_notified(self, office, kind):
        (notification,) = office.report(kind=kind)
        assert notification.status is NotificationStatus.PENDING
        assert notification.consular_post == "GT-CONS-TAPACHULA"


class TestObjection:
    def test_a_mandatory_notice_is_sent_with_do_not_act(self, office, reference):
        (notification,) = office.report(
            reference=_mx_lists_gt(reference),
            person_requests_notification=False,
            person_objects_to_consular_action=True,
        )
        assert notification.status is NotificationStatus.PENDING
        assert notification.do_not_act is True
        (created,) = notification.events
        assert isinstance(created, NotificationCreated)
        assert created.do_not_act is True

    def test_the_objection_is_recorded_with_the_wish(self, office):
        (notification,) = office.report(
            person_requests_notification=True, person_objects_to_consular_action=True
        )
        assert notification.person_requests_notification is True
        assert notification.person_objects_to_consular_action is True
        assert notification.status is NotificationStatus.PENDING

    def test_the_consul_may_not_record_an_action_the_person_objects_to(self, office):
        notification = office.one(person_objects_to_consular_action=True)
        with pytest.raises(PersonObjectsToConsularAction) as refused:
            notification.record_consular_action(
                CONSUL_GT, ConsularActionKind.VISIT, at=NOW, now=NOW
            )
        assert refused.value.kind == "conflict"
        assert notification.actions == ()

    def test_without_objection_the_visit_is_recorded(self, office):
        notification = office.one()
        notification.record_consular_action(
            CONSUL_GT, ConsularActionKind.VISIT, at=NOW, now=NOW, notes="Siglo XXI"
        )
        assert [(a.kind, a.by, a.at) for a in notification.actions] == [
            (ConsularActionKind.VISIT, "consul.gt.tapachula", NOW)
        ]
        assert isinstance(notification.events[-1], ConsularActionRecorded)

    def test_an_objection_is_only_recorded_for_a_detention(self, office):
        with pytest.raises(OnlyForDetention) as refused:
            office.report(kind=NotificationKind.DEATH, person_objects_to_consular_action=True)
        assert refused.value.field == "person_objects_to_consular_action"


class TestReportNotification:
    def test_only_an_immigration_officer_of_the_host_country_reports(self, office):
        with pytest.raises(NotHostImmigrationOfficer) as refused:
            office.report(reported_by=IGM_GT)
        assert refused.value.kind == "forbidden"
        assert refused.value.rule == "host_immigration_officer_only"

    @pytest.mark.parametrize("actor", [CONSUL_GT, DIF_MX])
    def test_other_roles_of_either_country_do_not_report(self, office, actor):
        with pytest.raises(NotHostImmigrationOfficer):
            office.report(reported_by=actor)

    def test_guatemalas_officer_reports_in_guatemala_to_the_embassy(self, office):
        (notification,) = office.report(
            reported_by=IGM_GT,
            nationalities=("HN",),
            place=Place("GT", "Quetzaltenango", "Quetzaltenango"),
        )
        assert notification.host_country == "GT"
        assert notification.consular_post == "HN-EMB-GUATEMALA"
        assert notification.recipient_email == "embajada.guatemala@hn.example"

    def test_a_detention_says_whether_the_person_asked(self, office):
        with pytest.raises(PersonWishRequired) as refused:
            office.report(person_requests_notification=None)
        assert (refused.value.kind, refused.value.field) == (
            "invalid",
            "person_requests_notification",
        )

    @pytest.mark.parametrize(
        "kind", [NotificationKind.REPATRIATION_NOTICE, NotificationKind.CHILD_CASE]
    )
    def test_event_kinds_are_not_reported_by_hand(self, office, kind):
        with pytest.raises(NotReportable):
            office.report(kind=kind)

    def test_a_nationality_is_required(self, office):
        with pytest.raises(InvalidInput) as refused:
            office.report(nationalities=())
        assert refused.value.rule == "nationality_required"

    def test_country_codes_are_iso_alpha_2(self, office):
        with pytest.raises(InvalidInput) as refused:
            office.report(nationalities=("GTM",))
        assert (refused.value.rule, refused.value.field) == ("country_code", "person.nationality")

    def test_a_naive_time_is_a_bug_not_an_answer(self, office):
        # The API's schemas refuse one (422 `timezone_aware`); reaching the domain is a bug.
        with pytest.raises(ValueError, match="UTC offset"):
            office.report(occurred_at=datetime(2026, 3, 10, 9, 0))  # noqa: DTZ001

    def test_the_trigger_cannot_be_in_the_future(self, office):
        with pytest.raises(OccurredInFuture):
            office.report(occurred_at=NOW + timedelta(minutes=6))

    def test_a_few_minutes_of_client_clock_skew_are_tolerated(self, office):
        (notification,) = office.report(occurred_at=NOW + timedelta(minutes=5))
        assert notification.occurred_at == datetime(2026, 3, 10, 18, 5, tzinfo=UTC)

    def test_times_are_kept_in_utc(self, office):
        tapachula = timezone(timedelta(hours=-6))
        (notification,) = office.report(occurred_at=datetime(2026, 3, 10, 9, 0, tzinfo=tapachula))
        assert notification.occurred_at == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
        assert notification.occurred_at.tzinfo is UTC

    def test_a_nationality_without_any_post_is_kept_unroutable_not_refused(self, office):
        # Venezuela has no post in the directory: the notice is kept, never dropped.
        guatemala, venezuela = office.report(nationalities=("GT", "VE"))
        assert guatemala.status is NotificationStatus.PENDING
        assert venezuela.status is NotificationStatus.UNROUTABLE
        assert (venezuela.consular_post, venezuela.due_at, venezuela.deliveries) == (None, None, ())
        assert venezuela.is_visible_to(INM_MX)
        assert venezuela.is_visible_to(AUDITOR)
        assert not venezuela.is_visible_to(CONSUL_VE)

    def test_the_seed_has_every_rcm_member_clock(self):
        assert sorted(r["host_country"] for r in seed.CLOCKS) == [
            "BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US",
        ]  # fmt: skip
