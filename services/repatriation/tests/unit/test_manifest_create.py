from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import (
    AgreementNotInForce,
    ChildHasTraffickingIndicator,
    DuplicateReturnee,
    InvalidReturneeData,
    InvalidSchedule,
    InvalidVehicle,
    NationalityIsNotReceivingCountry,
    NotAReceivingCountry,
    ReturneeHasProtectionNeed,
    ReturneeIsUnaccompaniedMinor,
    SameCountry,
    UnknownReceptionPoint,
)
from repatriation.domain.events import ManifestDrafted
from repatriation.domain.model import Vehicle
from repatriation.domain.reference_data import Agreement
from repatriation.domain.status import ManifestStatus

GUATEMALA = ZoneInfo("America/Guatemala")


class TestCreateManifest:
    def test_creates_a_draft_at_version_1_and_records_it(self, build):
        manifest = build.manifest([build.returnee(), build.returnee()])

        assert manifest.status is ManifestStatus.DRAFT
        assert manifest.version == 1
        assert manifest.reception_time_zone == "America/Guatemala"
        assert manifest.events == [
            ManifestDrafted(
                manifest_id=manifest.id,
                reference="MX-GT-2026-000123",
                sending_country="MX",
                receiving_country="GT",
                reception_point="GT-TECUN-UMAN",
                scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
                version=1,
                occurred_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
                scheduled_departure=datetime(2026, 12, 1, 2, 0, tzinfo=GUATEMALA),
                returnee_count=2,
            )
        ]

    def test_a_draft_may_start_empty(self, build):
        manifest = build.manifest([])

        assert manifest.returnees == []

    def test_rejects_the_same_returnee_twice(self, build):
        twice = build.returnee()

        with pytest.raises(DuplicateReturnee):
            build.manifest([twice, twice])

    def test_rejects_sending_to_its_own_country(self, build):
        with pytest.raises(SameCountry):
            build.manifest(sending_country="GT")

    def test_rejects_a_country_without_an_official_reception_point(self, build):
        # The seed has reception points in GT, SV, HN and NI only.
        with pytest.raises(NotAReceivingCountry) as caught:
            build.manifest(receiving_country="CR")

        assert (caught.value.rule, caught.value.field) == (
            "not_a_receiving_country",
            "receiving_country",
        )

    def test_rejects_a_vehicle_without_seats(self):
        with pytest.raises(InvalidVehicle) as caught:
            Vehicle(plate="CHS-4521", seats=0)

        assert caught.value.field == "vehicle.seats"


class TestUnaccompaniedChildren:
    def test_rejects_unaccompanied_minor(self, build):
        with pytest.raises(ReturneeIsUnaccompaniedMinor) as caught:
            build.manifest([build.returnee(), build.child(family_group=None)])

        assert caught.value.kind == "invalid"
        assert caught.value.rule == "unaccompanied_minor"
        assert caught.value.field == "returnees[1].family_group"
        assert "child_protection" in caught.value.message

    def test_rejects_a_child_whose_family_group_has_no_adult(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(family_group="F2")

        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest([mother, child])

    def test_accepts_a_child_with_an_adult_of_the_same_family_group(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(family_group="F1")

        manifest = build.manifest([child, mother])

        assert manifest.returnees == [child, mother]

    def test_two_children_of_one_family_do_not_accompany_each_other(self, build):
        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest([build.child(family_group="F1"), build.child(family_group="F1")])

    def test_turning_18_on_the_departure_date_travels_as_an_adult(self, build):
        # Departure is 2026-12-01 02:00 at the post's time zone.
        manifest = build.manifest([build.returnee(date_of_birth=date(2008, 12, 1))])

        assert len(manifest.returnees) == 1

    def test_turning_18_the_day_after_departure_travels_as_a_child(self, build):
        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest([build.returnee(date_of_birth=date(2008, 12, 2))])

    def test_the_departure_date_is_the_local_one_at_the_reception_point(self, build):
        # 2026-12-01 05:00 UTC is 2026-11-30 23:00 in Guatemala: the person is still 17.
        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest(
                [build.returnee(date_of_birth=date(2008, 12, 1))],
                scheduled_departure=datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
            )

    def test_disputed_age_is_treated_as_a_child(self, build):
        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest([build.returnee(date_of_birth=date(1990, 5, 17), age_disputed=True)])

    def test_a_person_whose_age_is_disputed_cannot_be_the_accompanying_adult(self, build):
        disputed = build.returnee(family_group="F1", age_disputed=True)
        child = build.child(family_group="F1")

        with pytest.raises(ReturneeIsUnaccompaniedMinor):
            build.manifest([disputed, child])

    def test_disputed_age_with_an_adult_of_the_family_is_accepted(self, build):
        father = build.returnee(family_group="F1", sex="M")
        disputed = build.returnee(family_group="F1", age_disputed=True)

        manifest = build.manifest([father, disputed])

        assert len(manifest.returnees) == 2

    def test_rejects_a_child_with_a_trafficking_indicator_even_with_family(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(
            family_group="F1", vulnerabilities=build.flags(trafficking_indicator=True)
        )

        with pytest.raises(ChildHasTraffickingIndicator) as caught:
            build.manifest([mother, child])

        assert caught.value.field == "returnees[1].vulnerabilities.trafficking_indicator"
        assert "child_protection" in caught.value.message

    def test_accepts_an_adult_with_a_trafficking_indicator(self, build):
        adult = build.returnee(vulnerabilities=build.flags(trafficking_indicator=True))

        manifest = build.manifest([adult])

        assert manifest.returnees == [adult]


class TestProtectionScreen:
    def test_rejects_a_person_with_a_protection_need(self, build):
        with pytest.raises(ReturneeHasProtectionNeed) as caught:
            build.manifest([build.returnee(), build.returnee(protection_need=True)])

        assert caught.value.kind == "invalid"
        assert caught.value.rule == "protection_need"
        assert caught.value.field == "returnees[1].protection_need"

    def test_the_error_does_not_echo_the_persons_data(self, build):
        person = build.returnee(
            protection_need=True,
            given_names="Rosa Elvira",
            surnames="Chávez Morales",
            date_of_birth=date(1987, 7, 23),
            place_of_origin="Huehuetenango",
            family_group="FAM-77",
        )

        with pytest.raises(ReturneeHasProtectionNeed) as caught:
            build.manifest([person])

        text = f"{caught.value} {caught.value.message} {caught.value.field} {caught.value!r}"
        for secret in ("Rosa", "Chávez", "1987", "Huehuetenango", "FAM-77", str(person.id)):
            assert secret not in text

    def test_is_checked_before_any_other_rule(self, build):
        # Wrong nationality, unaccompanied child and impossible schedule too: the protection
        # screen still answers first, so no other message ever describes this person.
        person = build.child(protection_need=True, nationality="SV")

        with pytest.raises(ReturneeHasProtectionNeed):
            build.manifest(
                [person],
                scheduled_arrival=datetime(2026, 11, 30, 10, 0, tzinfo=GUATEMALA),
            )


class TestReturneeScreening:
    def test_rejects_a_nationality_other_than_the_receiving_country(self, build):
        with pytest.raises(NationalityIsNotReceivingCountry) as caught:
            build.manifest([build.returnee(), build.returnee(nationality="HN")])

        assert caught.value.field == "returnees[1].nationality"

    def test_rejects_a_date_of_birth_after_departure(self, build):
        with pytest.raises(InvalidReturneeData) as caught:
            build.manifest([build.returnee(date_of_birth=date(2026, 12, 2))])

        assert caught.value.rule == "date_of_birth_after_departure"
        assert caught.value.field == "returnees[0].date_of_birth"

    def test_rejects_blank_names(self, build):
        with pytest.raises(InvalidReturneeData) as caught:
            build.manifest([build.returnee(surnames="  ")])

        assert caught.value.field == "returnees[0].surnames"


class TestSchedule:
    def test_a_time_without_offset_is_a_bug_in_the_caller(self, build):
        # The API's schema answers it (422 `timezone_aware`) before the domain is reached.
        with pytest.raises(ValueError, match="scheduled_departure must be a timezone-aware"):
            build.manifest(scheduled_departure=datetime(2026, 12, 1, 2, 0))  # noqa: DTZ001

    def test_rejects_an_arrival_already_past(self, build):
        # now: 2026-11-28 12:00 UTC; the arrival an hour before it.
        with pytest.raises(InvalidSchedule) as caught:
            build.manifest(
                scheduled_departure=datetime(2026, 11, 28, 4, 0, tzinfo=GUATEMALA),
                scheduled_arrival=datetime(2026, 11, 28, 5, 0, tzinfo=GUATEMALA),
            )

        assert (caught.value.rule, caught.value.field) == ("arrival_in_past", "scheduled_arrival")

    def test_an_arrival_at_now_is_already_past(self, build):
        with pytest.raises(InvalidSchedule) as caught:
            build.manifest(scheduled_arrival=datetime(2026, 11, 28, 12, 0, tzinfo=UTC))

        assert caught.value.rule == "arrival_in_past"

    def test_rejects_an_arrival_before_departure(self, build):
        with pytest.raises(InvalidSchedule) as caught:
            build.manifest(scheduled_departure=datetime(2026, 12, 1, 11, 0, tzinfo=GUATEMALA))

        assert caught.value.rule == "arrival_before_departure"

    def test_a_naive_now_is_a_bug_in_the_caller(self, build):
        with pytest.raises(ValueError, match="timezone-aware"):
            build.manifest(now=datetime(2026, 11, 28, 12, 0))  # noqa: DTZ001


class TestReceptionPointAndAgreement:
    def test_rejects_an_unknown_reception_point(self, build):
        with pytest.raises(UnknownReceptionPoint) as caught:
            build.manifest(reception_point="GT-NOWHERE")

        assert caught.value.rule == "unknown_reception_point"
        assert caught.value.field == "reception_point"

    def test_rejects_a_point_in_another_country(self, build):
        with pytest.raises(UnknownReceptionPoint) as caught:
            build.manifest(reception_point="SV-LAS-CHINAMAS")

        assert caught.value.rule == "reception_point_not_in_receiving_country"

    def test_rejects_a_point_not_in_service_on_the_arrival_date(self, build, reference_data):
        points = tuple(
            replace(p, valid_to=date(2026, 11, 30)) if p.code == "GT-TECUN-UMAN" else p
            for p in reference_data.reception_points
        )

        with pytest.raises(UnknownReceptionPoint) as caught:
            build.manifest(reference_data=replace(reference_data, reception_points=points))

        assert caught.value.rule == "reception_point_not_in_service"

    def _with_agreement(self, reference_data, country, valid_to):
        agreements = tuple(a for a in reference_data.agreements if a.country != country)
        ended = Agreement(country=country, valid_from=date(2006, 5, 1), valid_to=valid_to)
        return replace(reference_data, agreements=(*agreements, ended))

    def test_rejects_a_receiving_country_whose_agreement_ended(self, build, reference_data):
        data = self._with_agreement(reference_data, "GT", date(2026, 11, 30))

        with pytest.raises(AgreementNotInForce) as caught:
            build.manifest(reference_data=data)

        assert caught.value.rule == "agreement_not_in_force"
        assert caught.value.field == "receiving_country"

    def test_accepts_an_arrival_on_the_agreements_last_day(self, build, reference_data):
        data = self._with_agreement(reference_data, "GT", date(2026, 12, 1))

        manifest = build.manifest(reference_data=data)

        assert manifest.status is ManifestStatus.DRAFT

    def test_rejects_a_sending_country_whose_agreement_ended(self, build, reference_data):
        data = self._with_agreement(reference_data, "MX", date(2026, 11, 30))

        with pytest.raises(AgreementNotInForce) as caught:
            build.manifest(reference_data=data)

        assert caught.value.field == "sending_country"

    def test_rejects_a_receiving_country_without_any_agreement(self, build, reference_data):
        data = replace(
            reference_data,
            agreements=tuple(a for a in reference_data.agreements if a.country != "GT"),
        )

        with pytest.raises(AgreementNotInForce):
            build.manifest(reference_data=data, id=uuid.UUID(int=1))
