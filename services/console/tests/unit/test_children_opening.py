"""The opening form's body is what the officer typed, nested as the API's `CaseCreate`; the API's
refusals come back to the form's own fields."""

from __future__ import annotations

import pytest

from console.entrypoints import i18n
from console.entrypoints.pages.children_opening import opening_body, opening_field

TYPED = {
    "given_names": " Ana Lucía ",
    "surnames": "Reyes",
    "sex": "F",
    "date_of_birth": "14/03/2012",
    "estimated_age": "",
    "nationality": "HN",
    "languages": "español, garífuna ,",
    "identified_at_day": "01/12/2026",
    "identified_at_time": "08:30",
    "state": "Chiapas",
    "city": "",
    "accompaniment": "unaccompanied",
    "protection_need": "yes",
    "indicator_details": "Dice que la amenazaron.",
}


def test_the_form_becomes_the_apis_nested_body() -> None:
    body = opening_body(TYPED, "MX")
    assert body["child"] == {
        "given_names": "Ana Lucía",
        "surnames": "Reyes",
        "sex": "F",
        "date_of_birth": "2012-03-14",
        "nationality": "HN",
        "languages": ["español", "garífuna"],
    }
    assert body["place"] == {"state": "Chiapas", "country": "MX"}
    # 08:30 in Mexico City (UTC-6, no summer time since 2022)
    assert body["identified_at"] == "2026-12-01T08:30:00-06:00"
    assert body["accompaniment"] == "unaccompanied"
    assert body["protection_need"] is True
    assert body["trafficking_indicator"] is False  # an unticked box is a "no", not a gap
    assert body["age_disputed"] is False
    assert body["indicator_details"] == "Dice que la amenazaron."


def test_an_estimated_age_is_a_number_and_an_unreadable_one_goes_to_the_api_as_typed() -> None:
    assert opening_body({**TYPED, "estimated_age": "15"}, "MX")["child"]["estimated_age"] == 15
    # The API refuses it naming `child.estimated_age`; the console does not guess.
    assert opening_body({**TYPED, "estimated_age": "quince"}, "MX")["child"]["estimated_age"] == (
        "quince"
    )
    assert opening_body({**TYPED, "date_of_birth": "31/02/2012"}, "MX")["child"][
        "date_of_birth"
    ] == ("31/02/2012")


def test_an_identification_time_that_does_not_exist_names_its_field() -> None:
    with pytest.raises(i18n.NotADateTime, match="identified_at"):
        opening_body({**TYPED, "identified_at_time": "25:00"}, "MX")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("child.date_of_birth", "date_of_birth"),
        ("child.nationality", "nationality"),
        ("child.languages.0", "languages"),
        ("place.state", "state"),
        ("identified_at", "identified_at"),
        ("place.country", None),  # the officer's own country: a refusal at the form's top
        ("child", None),
    ],
)
def test_the_apis_field_paths_land_on_the_forms_fields(path: str, field: str | None) -> None:
    assert opening_field(path) == field
