"""The reception window, checked in the post's own time zone (America/Guatemala is UTC-6 all
year: no DST, so these cases are about the offset and the calendar, not clock changes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import OutsideReceptionWindow
from repatriation.domain.reference_data import ReceptionWindow
from repatriation.domain.status import ManifestStatus

GUATEMALA = ZoneInfo("America/Guatemala")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026, local time at the post."""
    return datetime(2026, 12, day, hour, minute, tzinfo=GUATEMALA)


class TestReceptionWindow:
    def test_arrival_at_16_30_is_fine_without_vulnerable_people(self, build):
        manifest = build.manifest([build.returnee()], scheduled_arrival=at(1, 16, 30))

        assert manifest.status is ManifestStatus.DRAFT

    def test_arrival_at_16_30_is_refused_with_a_pregnant_woman_aboard(self, build):
        pregnant = build.returnee(vulnerabilities=build.flags(pregnant=True))

        with pytest.raises(OutsideReceptionWindow) as caught:
            build.manifest([build.returnee(), pregnant], scheduled_arrival=at(1, 16, 30))

        assert caught.value.kind == "invalid"
        assert caught.value.field == "scheduled_arrival"
        assert "08:00-15:00" in caught.value.message
        assert "16:30" in caught.value.message

    @pytest.mark.parametrize(
        ("date_of_birth", "refused"),
        [
            (date(1966, 12, 1), True),  # 60 on the arrival date
            (date(1966, 12, 2), False),  # 60 the day after
        ],
    )
    def test_aged_60_on_the_arrival_date_brings_the_stricter_window(
        self, build, date_of_birth, refused
    ):
        returnees = [build.returnee(date_of_birth=date_of_birth)]

        if refused:
            with pytest.raises(OutsideReceptionWindow):
                build.manifest(returnees, scheduled_arrival=at(1, 16, 30))
        else:
            assert build.manifest(returnees, scheduled_arrival=at(1, 16, 30)).returnees

    @pytest.mark.parametrize(
        ("arrival", "vulnerable", "admitted"),
        [
            (at(1, 7, 59), False, False),
            (at(1, 8, 0), False, True),
            (at(1, 17, 0), False, True),
            (at(1, 17, 1), False, False),
            (at(1, 8, 0), True, True),
            (at(1, 15, 0), True, True),
            (at(1, 15, 1), True, False),
            (at(5, 10, 0), False, True),  # Saturday
            (at(6, 10, 0), False, False),  # Sunday
            (at(6, 10, 0), True, False),  # Sunday
        ],
    )
    def test_window_boundaries(self, build, arrival, vulnerable, admitted):
        flags = build.flags(disability=vulnerable)
        returnees = [build.returnee(vulnerabilities=flags)]

        if admitted:
            assert build.manifest(returnees, scheduled_arrival=arrival).returnees
        else:
            with pytest.raises(OutsideReceptionWindow):
                build.manifest(returnees, scheduled_arrival=arrival)

    def test_sunday_is_refused(self, build):
        with pytest.raises(OutsideReceptionWindow) as caught:
            build.manifest(scheduled_arrival=at(6, 10, 0))

        assert "Sun 2026-12-06 10:00" in caught.value.message

    def test_the_window_is_read_in_the_posts_time_zone_not_utc(self, build):
        vulnerable = [build.returnee(vulnerabilities=build.flags(illness_or_injury=True))]

        # 16:30 UTC is 10:30 at the post: inside the vulnerable window.
        manifest = build.manifest(
            vulnerable, scheduled_arrival=datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
        )
        assert manifest.status is ManifestStatus.DRAFT

        # 22:30 UTC is 16:30 at the post: outside it.
        with pytest.raises(OutsideReceptionWindow):
            build.manifest(vulnerable, scheduled_arrival=datetime(2026, 12, 1, 22, 30, tzinfo=UTC))

    def test_the_weekday_is_the_posts_local_weekday(self, build):
        # Sunday 2026-12-06 14:30 UTC is Sunday 08:30 at the post: refused for the day.
        with pytest.raises(OutsideReceptionWindow):
            build.manifest(scheduled_arrival=datetime(2026, 12, 6, 14, 30, tzinfo=UTC))
        # Saturday 2026-12-05 22:59 UTC is Saturday 16:59 at the post: admitted.
        manifest = build.manifest(scheduled_arrival=datetime(2026, 12, 5, 22, 59, tzinfo=UTC))
        assert manifest.status is ManifestStatus.DRAFT

    def test_uses_the_points_own_configured_window(self, build, reference_data):
        sundays_too = ReceptionWindow(
            opens=time(6, 0), closes=time(20, 0), weekdays=frozenset({1, 2, 3, 4, 5, 6, 7})
        )
        points = tuple(
            replace(p, window=sundays_too) if p.code == "GT-TECUN-UMAN" else p
            for p in reference_data.reception_points
        )
        data = replace(reference_data, reception_points=points)

        manifest = build.manifest(scheduled_arrival=at(6, 19, 0), reference_data=data)

        assert manifest.status is ManifestStatus.DRAFT
