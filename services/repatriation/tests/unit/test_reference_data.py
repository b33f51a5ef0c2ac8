from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from repatriation.domain import seed
from repatriation.domain.model import format_reference
from repatriation.domain.reference_data import (
    Agreement,
    NoticeRule,
    ReceptionPoint,
    ReceptionWindow,
    ReferenceData,
)

GUATEMALA = ZoneInfo("America/Guatemala")
WEEKDAYS = frozenset({1, 2, 3, 4, 5, 6})


class TestSeed:
    def test_has_the_eight_reception_points_of_the_domain_rules(self):
        assert {(p.code, p.country, p.time_zone) for p in seed.RECEPTION_POINTS} == {
            ("GT-TECUN-UMAN", "GT", "America/Guatemala"),
            ("GT-EL-CARMEN", "GT", "America/Guatemala"),
            ("GT-LA-MESILLA", "GT", "America/Guatemala"),
            ("SV-LAS-CHINAMAS", "SV", "America/El_Salvador"),
            ("SV-LA-HACHADURA", "SV", "America/El_Salvador"),
            ("HN-CORINTO", "HN", "America/Tegucigalpa"),
            ("HN-AGUA-CALIENTE", "HN", "America/Tegucigalpa"),
            ("NI-EL-GUASAULE", "NI", "America/Managua"),
        }

    def test_every_point_names_its_receiving_institution(self):
        institutions = {p.code: p.institution for p in seed.RECEPTION_POINTS}

        assert "IGM" in institutions["GT-TECUN-UMAN"]
        assert "DGME" in institutions["SV-LA-HACHADURA"]
        assert "CAMR" in institutions["HN-CORINTO"]
        assert all(name.strip() for name in institutions.values())

    def test_default_windows_are_8_to_17_and_8_to_15_monday_to_saturday(self):
        for point in seed.RECEPTION_POINTS:
            assert point.window == ReceptionWindow(
                opens=time(8, 0), closes=time(17, 0), weekdays=frozenset({1, 2, 3, 4, 5, 6})
            )
            assert point.vulnerable_window == ReceptionWindow(
                opens=time(8, 0), closes=time(15, 0), weekdays=frozenset({1, 2, 3, 4, 5, 6})
            )

    def test_the_five_parties_are_in_force(self):
        data = seed.reference_data()

        for country in ("MX", "GT", "SV", "HN", "NI"):
            assert data.agreement_in_force(country, date(2026, 12, 1)) is True
        assert data.agreement_in_force("CR", date(2026, 12, 1)) is False

    def test_advance_notice_is_24_hours_for_every_receiving_country(self):
        data = seed.reference_data()

        for country in ("GT", "SV", "HN", "NI"):
            assert data.advance_notice(country) == timedelta(hours=24)


class TestReceptionWindow:
    window = ReceptionWindow(opens=time(8, 0), closes=time(17, 0), weekdays=WEEKDAYS)

    @pytest.mark.parametrize(
        ("local", "admitted"),
        [
            (datetime(2026, 12, 1, 7, 59, tzinfo=GUATEMALA), False),
            (datetime(2026, 12, 1, 8, 0, tzinfo=GUATEMALA), True),
            (datetime(2026, 12, 1, 17, 0, tzinfo=GUATEMALA), True),
            (datetime(2026, 12, 1, 17, 0, 1, tzinfo=GUATEMALA), False),
            (datetime(2026, 12, 5, 10, 0, tzinfo=GUATEMALA), True),  # Saturday
            (datetime(2026, 12, 6, 10, 0, tzinfo=GUATEMALA), False),  # Sunday
        ],
    )
    def test_admits_inclusive_hours_on_its_weekdays(self, local, admitted):
        assert self.window.admits(local) is admitted

    def test_describes_itself_for_error_messages(self):
        assert self.window.describe() == "08:00-17:00 Mon,Tue,Wed,Thu,Fri,Sat"

    def test_must_open_before_it_closes(self):
        with pytest.raises(ValueError, match="open before"):
            ReceptionWindow(opens=time(17, 0), closes=time(8, 0), weekdays=WEEKDAYS)

    def test_weekdays_are_iso_numbers(self):
        with pytest.raises(ValueError, match="ISO"):
            ReceptionWindow(opens=time(8, 0), closes=time(17, 0), weekdays=frozenset({0}))


def _point(**overrides):
    values: dict[str, Any] = {
        "code": "GT-TECUN-UMAN",
        "country": "GT",
        "name": "Ciudad Hidalgo - Tecún Umán",
        "institution": "IGM",
        "time_zone": "America/Guatemala",
        "window": ReceptionWindow(opens=time(8, 0), closes=time(17, 0), weekdays=WEEKDAYS),
        "vulnerable_window": ReceptionWindow(
            opens=time(8, 0), closes=time(15, 0), weekdays=WEEKDAYS
        ),
        "valid_from": date(2006, 5, 1),
        "valid_to": None,
    } | overrides
    return ReceptionPoint(**values)


class TestReferenceData:
    def test_picks_the_point_version_in_service_on_the_local_arrival_date(self):
        old = _point(valid_to=date(2026, 11, 30), name="old")
        new = _point(valid_from=date(2026, 12, 1), name="new")
        data = ReferenceData(reception_points=(old, new), agreements=())

        # 2026-12-01 05:00 UTC is still 30 November (23:00) at the post.
        assert data.reception_point("GT-TECUN-UMAN", datetime(2026, 12, 1, 5, 0, tzinfo=UTC)) is old
        assert data.reception_point("GT-TECUN-UMAN", datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) is new

    def test_an_agreement_is_in_force_within_any_of_its_periods_inclusive(self):
        data = ReferenceData(
            reception_points=(),
            agreements=(
                Agreement(country="HN", valid_from=date(2006, 5, 1), valid_to=date(2012, 5, 31)),
                Agreement(country="HN", valid_from=date(2014, 1, 1)),
            ),
        )

        assert data.agreement_in_force("HN", date(2012, 5, 31)) is True
        assert data.agreement_in_force("HN", date(2013, 6, 1)) is False
        assert data.agreement_in_force("HN", date(2026, 12, 1)) is True

    def test_a_country_without_a_notice_rule_gets_the_24_hour_default(self):
        data = ReferenceData(
            reception_points=(),
            agreements=(),
            notice_rules=(NoticeRule(receiving_country="GT", lead_time=timedelta(hours=48)),),
        )

        assert data.advance_notice("GT") == timedelta(hours=48)
        assert data.advance_notice("SV") == timedelta(hours=24)

    def test_an_unknown_time_zone_fails_when_loaded(self):
        with pytest.raises(ZoneInfoNotFoundError):
            _point(time_zone="America/Guatemal")


class TestFormatReference:
    def test_formats_sending_receiving_year_and_six_digit_number(self):
        assert format_reference("MX", "GT", 2026, 123) == "MX-GT-2026-000123"

    def test_numbers_start_at_one(self):
        with pytest.raises(ValueError, match="start at 1"):
            format_reference("MX", "GT", 2026, 0)
