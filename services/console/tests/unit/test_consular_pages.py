"""The consular pages' own rules: the inbox's order, the local time an officer types, the
verification queue per manifest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.entrypoints import i18n
from console.entrypoints.pages.consular import (
    group_by_manifest,
    inbox_order,
    merged,
)


def notice(id_: str, kind: str, status: str = "pending", **extra: object) -> dict[str, object]:
    return {"id": id_, "kind": kind, "status": status, "overdue": False, **extra}


class TestInboxOrder:
    def test_overdue_first_then_pending_then_the_rest(self) -> None:
        items = [
            notice("ack", "detention", status="acknowledged"),
            notice("pending", "detention"),
            notice("late", "reserve_fund_return", overdue=True),
        ]
        assert [n["id"] for n in inbox_order(items)] == ["late", "pending", "ack"]

    def test_within_a_status_by_kind_a_detention_before_a_return(self) -> None:
        items = [notice("return", "repatriation_notice"), notice("detained", "detention")]
        assert [n["id"] for n in inbox_order(items)] == ["detained", "return"]

    def test_within_a_kind_the_earliest_deadline_first_across_offsets(self) -> None:
        items = [
            notice("later", "detention", ack_due_at="2026-03-10T12:00:00-06:00"),  # 18:00 UTC
            notice("sooner", "detention", ack_due_at="2026-03-10T17:00:00+00:00"),
        ]
        assert [n["id"] for n in inbox_order(items)] == ["sooner", "later"]

    def test_an_unknown_kind_comes_last_and_is_kept(self) -> None:
        items = [notice("new", "something_new"), notice("death", "death")]
        assert [n["id"] for n in inbox_order(items)] == ["death", "new"]


def test_merged_keeps_each_notification_once_the_first_list_winning() -> None:
    first = [notice("a", "death", overdue=True)]
    then = [notice("b", "death"), notice("a", "death")]
    assert [(n["id"], n["overdue"]) for n in merged(first, then)] == [("a", True), ("b", False)]


class TestLocalTime:
    def test_typed_in_tapachula_is_utc_minus_six(self) -> None:
        at = i18n.local_instant("10/03/2026", "09:30", "America/Mexico_City")
        assert at.astimezone(UTC) == datetime(2026, 3, 10, 15, 30, tzinfo=UTC)

    def test_the_native_date_input_format_is_read_too(self) -> None:
        at = i18n.local_instant("2026-03-10", "09:30", "America/Guatemala")
        assert at.astimezone(UTC) == datetime(2026, 3, 10, 15, 30, tzinfo=UTC)

    def test_a_zone_with_summer_time_uses_the_offset_of_that_day(self) -> None:
        winter = i18n.local_instant("10/01/2026", "12:00", "America/Tijuana")
        summer = i18n.local_instant("10/07/2026", "12:00", "America/Tijuana")
        assert winter.astimezone(UTC).hour == 20  # UTC-8
        assert summer.astimezone(UTC).hour == 19  # UTC-7

    @pytest.mark.parametrize(
        ("day", "clock"),
        [
            ("31/02/2026", "10:00"),
            ("", "10:00"),
            ("10/03/2026", "25:00"),
            ("10/03/2026", ""),
            ("mañana", "10:00"),
        ],
    )
    def test_not_a_date_and_time_is_refused(self, day: str, clock: str) -> None:
        with pytest.raises(i18n.NotADateTime):
            i18n.local_instant(day, clock, "America/Mexico_City")

    def test_day_first_as_officers_type_it(self) -> None:
        typed = i18n.typed_day("02/12/2026")
        assert typed is not None
        assert typed.month == 12


def test_the_queue_groups_by_manifest_the_oldest_request_first() -> None:
    def request(manifest: str, at: str) -> dict[str, object]:
        return {"related": {"service": "repatriation", "id": manifest}, "requested_at": at}

    groups = group_by_manifest(
        [
            request("m2", "2026-03-10T12:00:00+00:00"),
            request("m1", "2026-03-10T11:00:00+00:00"),
            request("m2", "2026-03-10T10:00:00+00:00"),
        ]
    )
    assert [(g.manifest_id, g.count) for g in groups] == [("m2", 2), ("m1", 1)]
    assert groups[0].first_requested_at == "2026-03-10T10:00:00+00:00"
