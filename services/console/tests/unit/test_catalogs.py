"""The catalog check fails on what `pybabel --statistics` lets through."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from console.entrypoints import catalogs


def test_the_consoles_catalogs_are_complete() -> None:
    assert catalogs.problems() == []


@pytest.fixture
def one_area(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def path(locale: str, area: str) -> Path:
        return tmp_path / locale / f"{area}.po"

    monkeypatch.setattr(catalogs, "catalog_path", path)
    monkeypatch.setattr(
        catalogs,
        "extracted",
        lambda: {"shell": {"Sign out": ["a:1"], ("%(n)s bus", "%(n)s buses"): ["b:2"]}},
    )
    return tmp_path


def write(folder: Path, locale: str, entries: dict[object, object]) -> None:
    catalog = Catalog(locale=locale)
    for key, value in entries.items():
        catalog.add(key, value)  # type: ignore[arg-type]
    (folder / locale).mkdir(parents=True, exist_ok=True)
    with (folder / locale / "shell.po").open("wb") as po:
        write_po(po, catalog)


def test_an_empty_plural_form_is_a_missing_translation(one_area: Path) -> None:
    write(one_area, "en", {"Sign out": "Sign out", ("%(n)s bus", "%(n)s buses"): ("a", "b")})
    # Spanish has three plural forms in CLDR (one, many, other): the check counts them all.
    write(
        one_area,
        "es",
        {"Sign out": "Cerrar sesión", ("%(n)s bus", "%(n)s buses"): ("x", "", "z")},
    )
    assert catalogs.problems() == ["es/shell.po: a plural form of '%(n)s bus' is empty (b:2)"]


def test_a_message_absent_from_a_catalog_is_reported(one_area: Path) -> None:
    write(one_area, "en", {"Sign out": "Sign out", ("%(n)s bus", "%(n)s buses"): ("a", "b")})
    write(one_area, "es", {("%(n)s bus", "%(n)s buses"): ("x", "y", "z")})
    assert catalogs.problems() == ["es/shell.po: missing 'Sign out' (a:1)"]


def test_a_message_two_areas_translate_differently_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogs, "catalog_path", lambda locale, area: tmp_path / f"{area}.po")
    monkeypatch.setattr(catalogs, "LOCALES", ("es",))
    monkeypatch.setattr(
        catalogs, "extracted", lambda: {"border": {"From": ["b:1"]}, "shell": {"From": ["s:1"]}}
    )
    for area, words in (("border", "Procedencia"), ("shell", "Desde")):
        catalog = Catalog(locale="es")
        catalog.add("From", words)
        with (tmp_path / f"{area}.po").open("wb") as po:
            write_po(po, catalog)
    (problem,) = catalogs.problems()
    assert "'From' reads 'Desde' here and 'Procedencia' in border.po" in problem
