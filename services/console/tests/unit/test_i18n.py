"""Spanish first: the officer's language, dates in the place's time, countries, catalogs."""

from __future__ import annotations

import pytest

from console.entrypoints import i18n


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "es"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-FR, en;q=0.5, es;q=0.8", "es"),
        (None, "fr, de", "es"),
        ("en", "es-MX", "en"),  # the switch wins over the browser
        ("xx", "en", "en"),  # a forged cookie is ignored
        (None, "en;q=0, es-GT", "es"),
    ],
)
def test_the_language_is_the_switchs_then_the_browsers_then_spanish(
    cookie: str | None, header: str | None, expected: str
) -> None:
    assert i18n.choose_locale(cookie, header) == expected


def test_a_time_is_shown_in_the_places_zone_and_the_zone_is_named() -> None:
    # 16:00 UTC is 10:00 in Guatemala (UTC-6, no summer time).
    assert (
        i18n.format_when("2026-12-03T16:00:00Z", "America/Guatemala", "es")
        == "03/12/2026 10:00 (hora de Guatemala, UTC-06:00)"
    )
    assert (
        i18n.format_when("2026-12-03T16:00:00+00:00", "America/Guatemala", "en")
        == "03/12/2026 10:00 (Guatemala Time, UTC-06:00)"
    )
    assert i18n.format_when(None, "America/Guatemala", "es") == "—"


def test_an_unknown_zone_is_shown_as_utc_not_an_error() -> None:
    assert i18n.format_when("2026-12-03T16:00:00Z", "Mars/Olympus", "es").startswith(
        "03/12/2026 16:00"
    )


def test_countries_are_named_in_the_officers_language() -> None:
    assert i18n.country_name("MX", "es") == "México"
    assert i18n.country_name("MX", "en") == "Mexico"
    assert i18n.country_name(None, "es") == "—"


def test_the_spanish_catalog_translates_the_shell() -> None:
    assert i18n.translations("es").ugettext("Sign out") == "Cerrar sesión"
    assert i18n.translations("en").ugettext("Sign out") == "Sign out"
