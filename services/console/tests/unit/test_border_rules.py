"""The border pages' own rules: who is listed first at the gate, the buses by the post's own
day, which people a conflict concerns, and where an API's item refusal belongs."""

from __future__ import annotations

from datetime import date
from typing import Any

from console.entrypoints.pages.border import (
    Tried,
    age_on,
    arrival_days,
    conflicts,
    item_field,
    tags_of,
    units,
)

ARRIVAL = date(2026, 12, 3)


def returnee(
    id_: str, born: str = "1990-01-01", *, family: str | None = None, vulnerable: bool = False
) -> dict[str, Any]:
    return {
        "id": id_,
        "date_of_birth": born,
        "family_group": family,
        "vulnerable": vulnerable,
        "vulnerabilities": {},
    }


def names(found: list[Any]) -> list[list[str]]:
    return [[p["id"] for p in unit.people] for unit in found]


class TestWhoComesFirst:
    def test_a_family_stays_together_wherever_its_members_are_listed(self) -> None:
        listed = [
            returnee("mother", family="F1"),
            returnee("alone"),
            returnee("father", family="F1"),
        ]
        assert names(units(listed, ARRIVAL)) == [["mother", "father"], ["alone"]]

    def test_vulnerable_people_and_their_families_first_then_families_with_children(
        self,
    ) -> None:
        listed = [
            returnee("single"),
            returnee("father", family="KIDS"),
            returnee("girl", "2015-03-02", family="KIDS"),
            returnee("couple-a", family="ADULTS"),
            returnee("couple-b", family="ADULTS"),
            returnee("aunt", family="CARE"),
            returnee("pregnant", family="CARE", vulnerable=True),
            returnee("elderly", "1950-01-01", vulnerable=True),
        ]
        assert names(units(listed, ARRIVAL)) == [
            ["aunt", "pregnant"],
            ["elderly"],
            ["father", "girl"],
            ["single"],
            ["couple-a", "couple-b"],
        ]

    def test_a_family_of_one_is_shown_as_one_person(self) -> None:
        (unit,) = units([returnee("only", family="F9")], ARRIVAL)
        assert not unit.family

    def test_age_on_the_arrival_day(self) -> None:
        assert age_on("2008-12-03", ARRIVAL) == 18
        assert age_on("2008-12-04", ARRIVAL) == 17
        assert "child" in tags_of(returnee("x", "2008-12-04"), ARRIVAL)
        assert "child" not in tags_of(returnee("x", "2008-12-03"), ARRIVAL)
        assert "elderly" in tags_of(returnee("x", "1966-12-03"), ARRIVAL)


class TestArrivalDays:
    def test_buses_by_the_day_at_the_post_today_first(self) -> None:
        late_evening = {"id": "late", "scheduled_arrival": "2026-12-03T05:30:00Z"}  # 23:30 GT
        morning = {"id": "morning", "scheduled_arrival": "2026-12-02T16:00:00Z"}  # 10:00 GT
        tomorrow = {"id": "tomorrow", "scheduled_arrival": "2026-12-03T14:00:00Z"}
        yesterday = {"id": "yesterday", "scheduled_arrival": "2026-12-01T15:00:00Z"}
        found = arrival_days(
            [tomorrow, late_evening, yesterday, morning], "America/Guatemala", date(2026, 12, 2)
        )
        assert [(d.day, d.today, [m["id"] for m in d.manifests]) for d in found.days] == [
            (date(2026, 12, 2), True, ["morning", "late"]),
            (date(2026, 12, 3), False, ["tomorrow"]),
        ]
        assert [m["id"] for m in found.earlier] == ["yesterday"]


class TestConflicts:
    RECORD = {
        "entries": [
            {"returnee_id": "a", "outcome": "not_presented", "reason": None, "officer": "x"},
            {"returnee_id": "b", "outcome": "received", "reason": None},
            {"returnee_id": "c", "outcome": None, "reason": None},
            {"returnee_id": "d", "outcome": "refused", "reason": "other"},
        ]
    }

    def test_only_the_people_recorded_otherwise_than_tried(self) -> None:
        tried = [
            Tried("a", "received"),
            Tried("b", "received"),
            Tried("c", "received"),
            Tried("d", "refused", "identity_mismatch"),
        ]
        found = conflicts(tried, self.RECORD)
        assert sorted(found) == ["a", "d"]
        assert found["a"].recorded["outcome"] == "not_presented"
        assert found["a"].tried.outcome == "received"

    def test_the_same_refusal_is_no_conflict(self) -> None:
        assert conflicts([Tried("d", "refused", "other")], self.RECORD) == {}


class TestItemFields:
    def test_the_domains_and_pydantics_paths(self) -> None:
        assert item_field("items[3].reason") == (3, "reason")
        assert item_field("items.12.outcome") == (12, "outcome")
        assert item_field("reason") is None

    def test_a_refusal_item_carries_its_reason_only_when_given(self) -> None:
        assert Tried("a", "received").item() == {"returnee_id": "a", "outcome": "received"}
        assert Tried("a", "refused", "other").item()["reason"] == "other"
