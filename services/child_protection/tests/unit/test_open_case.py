from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from child_protection.domain import DeadlineRule, Place, Stage, format_reference
from child_protection.domain import errors as e
from child_protection.domain.events import CaseOpened, ProtectionDecisionRequired


class TestOpenCase:
    def test_starts_identified_at_version_one(self, build):
        case = build.open()

        assert case.stage is Stage.IDENTIFIED
        assert case.version == 1
        assert case.opened_by == "dif.mx"
        assert case.reached == {Stage.IDENTIFIED: datetime(2026, 12, 1, 13, 30, tzinfo=UTC)}
        assert case.blocked_for_consulate is False
        assert case.access == ("MX", "HN")

    def test_emits_case_opened_that_notifies_the_consulate(self, build):
        case = build.open()

        assert len(case.events) == 1
        opened = case.events[0]
        assert isinstance(opened, CaseOpened)
        assert opened.notify_consulate is True
        assert opened.blocked_for_consulate is False
        assert opened.access == ("MX", "HN")
        assert opened.reference == "CP-MX-2026-000042"
        assert opened.version == 1
        assert opened.stage is Stage.IDENTIFIED
        assert opened.nationality == "HN"
        assert opened.occurred_at == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        assert opened.actor == "dif.mx"

    @pytest.mark.parametrize(
        ("protection_need", "trafficking_indicator"), [(True, False), (False, True), (True, True)]
    )
    def test_protection_flag_blocks_the_consulate(
        self, build, protection_need, trafficking_indicator
    ):
        case = build.open(
            protection_need=protection_need, trafficking_indicator=trafficking_indicator
        )

        assert case.blocked_for_consulate is True
        assert case.access == ("MX",)
        opened, alert = case.events
        assert isinstance(opened, CaseOpened)
        assert opened.notify_consulate is False
        assert opened.access == ("MX",)
        assert isinstance(alert, ProtectionDecisionRequired)
        assert alert.access == ("MX",)
        assert alert.host_country == "MX"

    def test_keeps_the_indicators_in_the_sensitive_sections(self, build):
        case = build.open(trafficking_indicator=True, indicator_details="Recruited by a coyote.")

        assert case.sensitive.indicators.trafficking_indicator is True
        assert case.sensitive.indicators.protection_need is False
        assert case.sensitive.indicators.details == "Recruited by a coyote."

    def test_disputed_age_is_treated_as_a_child(self, build):
        # Papers say 19 on the day of identification, but the age is disputed.
        case = build.open(child=build.child(date_of_birth=date(2007, 6, 1)), age_disputed=True)

        assert case.stage is Stage.IDENTIFIED
        assert case.age_disputed is True

    def test_refused_for_an_adult_whose_age_is_not_disputed(self, build):
        with pytest.raises(e.NotAChild) as raised:
            build.open(child=build.child(date_of_birth=date(2007, 6, 1)), age_disputed=False)

        assert raised.value.kind == "invalid"
        assert raised.value.rule == "not_a_child"
        assert raised.value.field == "child.date_of_birth"

    def test_eighteenth_birthday_on_identification_day_is_an_adult(self, build):
        with pytest.raises(e.NotAChild):
            build.open(child=build.child(date_of_birth=date(2008, 12, 1)))

    def test_day_before_eighteenth_birthday_is_a_child(self, build):
        case = build.open(child=build.child(date_of_birth=date(2008, 12, 2)))

        assert case.child.age_on(date(2026, 12, 1)) == 17

    def test_refused_for_an_estimated_adult_whose_age_is_not_disputed(self, build):
        with pytest.raises(e.NotAChild):
            build.open(child=build.child(date_of_birth=None, estimated_age=18))

    def test_estimated_adult_with_disputed_age_is_treated_as_a_child(self, build):
        case = build.open(
            child=build.child(date_of_birth=None, estimated_age=18), age_disputed=True
        )

        assert case.child.estimated_age == 18

    def test_child_needs_a_date_of_birth_or_an_estimated_age(self, build):
        with pytest.raises(e.AgeUnknown) as raised:
            build.child(date_of_birth=None, estimated_age=None)

        assert raised.value.kind == "invalid"
        assert raised.value.field == "child.date_of_birth"

    def test_refused_for_a_national_of_the_host_country(self, build):
        with pytest.raises(e.NationalityIsHostCountry) as raised:
            build.open(nationality="MX")

        assert raised.value.field == "child.nationality"

    def test_refused_when_identified_outside_the_host_country(self, build):
        with pytest.raises(e.PlaceNotInHostCountry) as raised:
            build.open(place=Place("GT", "San Marcos", "Tecún Umán"))

        assert raised.value.field == "place.country"

    def test_refused_for_a_malformed_place_country(self, build):
        with pytest.raises(e.CountryCodeInvalid) as raised:
            build.open(place=Place("Mexico", "Chiapas", "Tapachula"))

        assert raised.value.field == "place.country"

    def test_refused_for_a_malformed_country_code(self, build):
        with pytest.raises(e.CountryCodeInvalid) as raised:
            build.open(nationality="HND")

        assert raised.value.field == "child.nationality"

    def test_refused_when_identified_after_opening(self, build):
        with pytest.raises(e.IdentifiedAfterOpening):
            build.open(identified_at=datetime(2026, 12, 1, 15, 1, tzinfo=UTC))

    def test_a_naive_timestamp_is_a_bug_not_an_answer(self, build):
        # The API's schema answers it (422 `timezone_aware`) before the domain is reached.
        with pytest.raises(ValueError, match="opened_at must carry a UTC offset"):
            build.open(opened_at=datetime(2026, 12, 1, 15, 0))  # noqa: DTZ001 - on purpose

    def test_stores_times_in_utc(self, build):
        chiapas = ZoneInfo("America/Mexico_City")
        case = build.open(opened_at=datetime(2026, 12, 1, 9, 0, tzinfo=chiapas))

        assert case.opened_at == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        assert case.opened_at.tzinfo is UTC

    @pytest.mark.parametrize("who", ["dinaf", "supervisor", "consul", "inm", "sbs"])
    def test_only_a_host_child_protection_officer_opens(self, build, who):
        with pytest.raises(e.OnlyHostOfficer) as raised:
            build.open(actor=getattr(build, who))

        assert raised.value.kind == "forbidden"

    def test_deadline_rule_of_another_country_is_a_wiring_error(self, build):
        with pytest.raises(ValueError, match="host country"):
            build.open(deadline_rule=DeadlineRule("GT"))


class TestFormatReference:
    def test_pads_year_and_sequence(self):
        assert format_reference("MX", 2026, 42) == "CP-MX-2026-000042"

    def test_sequence_starts_at_one(self):
        with pytest.raises(ValueError, match="starts at 1"):
            format_reference("MX", 2026, 0)
