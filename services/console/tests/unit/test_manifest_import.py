"""The manifest import: a CSV or XLSX file's rows checked one by one before anything is sent."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from console.adapters.spreadsheets import read_xlsx, template_xlsx
from console.domain import manifest_import as mi

TODAY = date(2026, 12, 2)
ARRIVAL = date(2026, 12, 5)
HEADINGS = [c.heading for c in mi.COLUMNS]
GOOD = {
    "given_names": "Ana María",
    "surnames": "López Pérez",
    "sex": "F",
    "date_of_birth": "17/05/1990",
    "nationality": "GT",
    "place_of_origin": "Quetzaltenango",
    "family_group": "",
    "document_type": "",
    "document_number": "",
    "pregnant": "no",
    "disability": "no",
    "illness_or_injury": "no",
    "trafficking_indicator": "no",
    "age_disputed": "",
    "protection_need": "no",
}


def person(**changes: str) -> list[str]:
    values = {**GOOD, **changes}
    return [values[c.key] for c in mi.COLUMNS]


def csv_of(*rows: list[str], headings: list[str] = HEADINGS, delimiter: str = ";") -> bytes:
    lines = [delimiter.join(headings), *(delimiter.join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def checked(*rows: list[str], **kwargs: object) -> mi.Preview:
    sheet = mi.read_csv(csv_of(*rows))
    return mi.check(sheet, nationality="GT", today=TODAY, arrival=ARRIVAL, **kwargs)  # type: ignore[arg-type]


def errors_of(row: mi.Row) -> list[tuple[str | None, str]]:
    return [(e.column, e.rule) for e in row.errors]


class TestReading:
    def test_a_good_row_becomes_the_apis_body(self) -> None:
        preview = checked(
            person(document_type="pasaporte", document_number="A1", family_group="F1")
        )
        (row,) = preview.rows
        assert row.ok
        assert row.number == 2
        assert row.body == {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": "F",
            "date_of_birth": "1990-05-17",
            "nationality": "GT",
            "place_of_origin": "Quetzaltenango",
            "family_group": "F1",
            "document": {"type": "passport", "number": "A1"},
            "vulnerabilities": {
                "pregnant": False,
                "disability": False,
                "illness_or_injury": False,
                "trafficking_indicator": False,
            },
            "age_disputed": False,
            "protection_need": False,
        }

    def test_commas_latin1_english_headings_any_order_and_blank_rows(self) -> None:
        headings = [c.key.replace("_", " ").title() for c in mi.COLUMNS][::-1]
        row = person()[::-1]
        data = ",".join(headings) + "\n" + ",".join(row) + "\n,,,\n"
        preview = mi.check(mi.read_csv(data.encode("cp1252")), nationality="GT", today=TODAY)
        assert [r.ok for r in preview.rows] == [True]
        assert preview.rows[0].body
        assert preview.rows[0].body["given_names"] == "Ana María"

    def test_words_officers_write(self) -> None:
        preview = checked(
            person(
                sex="Mujer", nationality="guatemalteca", date_of_birth="1990-05-17", pregnant="Sí"
            ),
            person(given_names="Luis", sex="hombre", nationality="Guatemala", disability="x"),
        )
        first, second = (r.body for r in preview.rows)
        assert first
        assert second
        assert (first["sex"], first["nationality"], first["vulnerabilities"]["pregnant"]) == (
            "F",
            "GT",
            True,
        )
        assert (second["sex"], second["vulnerabilities"]["disability"]) == ("M", True)

    def test_a_file_that_is_not_text_is_unreadable(self) -> None:
        with pytest.raises(mi.UnreadableFile):
            mi.read_csv(b"PK\x03\x04\x00\x00binary")

    def test_a_missing_required_column_stops_the_file(self) -> None:
        headings = [h for h in HEADINGS if h != "Sexo"]
        row = [v for c, v in zip(mi.COLUMNS, person(), strict=True) if c.heading != "Sexo"]
        preview = mi.check(
            mi.read_csv(csv_of(row, headings=headings)), nationality="GT", today=TODAY
        )
        assert preview.problems == ["missing_columns"]
        assert preview.missing_columns == ["sex"]
        assert preview.valid == []

    def test_unknown_headings_are_named(self) -> None:
        preview = mi.check(
            mi.read_csv(csv_of([*person(), "x"], headings=[*HEADINGS, "Observaciones"])),
            nationality="GT",
            today=TODAY,
        )
        assert preview.unknown_headings == ["Observaciones"]
        assert preview.rows[0].ok

    def test_no_rows_and_too_many_rows(self) -> None:
        assert checked().problems == ["no_rows"]
        many = [person(given_names=f"P{i}") for i in range(mi.MAX_ROWS + 1)]
        preview = checked(*many)
        assert preview.problems == ["too_many_rows"]
        assert preview.valid == []


class TestRowRules:
    @pytest.mark.parametrize(
        "key",
        [c.key for c in mi.COLUMNS if c.required],
    )
    def test_required(self, key: str) -> None:
        (row,) = checked(person(**{key: ""})).rows
        assert (key, "required") in errors_of(row)
        assert row.body is None

    def test_too_long(self) -> None:
        (row,) = checked(person(given_names="a" * 101)).rows
        assert errors_of(row) == [("given_names", "too_long")]

    @pytest.mark.parametrize("text", ["31/02/1990", "1990/05/17", "ayer", "17-5-90x"])
    def test_bad_dates(self, text: str) -> None:
        (row,) = checked(person(date_of_birth=text)).rows
        assert errors_of(row) == [("date_of_birth", "bad_date")]

    def test_born_in_the_future_or_before_1900(self) -> None:
        future, old = checked(
            person(date_of_birth="03/12/2026"), person(given_names="B", date_of_birth="01/01/1899")
        ).rows
        assert errors_of(future) == [("date_of_birth", "born_in_future")]
        assert errors_of(old) == [("date_of_birth", "born_too_long_ago")]

    def test_sex(self) -> None:
        (row,) = checked(person(sex="Q")).rows
        assert errors_of(row) == [("sex", "bad_sex")]

    def test_nationality_unknown_or_of_another_country(self) -> None:
        unknown, other = checked(
            person(nationality="Guatemalteque"), person(given_names="B", nationality="Honduras")
        ).rows
        assert errors_of(unknown) == [("nationality", "bad_nationality")]
        assert errors_of(other) == [("nationality", "other_nationality")]

    def test_yes_no(self) -> None:
        (row,) = checked(person(pregnant="quizá")).rows
        assert errors_of(row) == [("pregnant", "bad_yes_no")]

    def test_a_protection_need_is_not_returned(self) -> None:
        (row,) = checked(person(protection_need="sí")).rows
        assert errors_of(row) == [("protection_need", "protection_need")]

    def test_a_man_is_not_pregnant(self) -> None:
        (row,) = checked(person(sex="M", pregnant="sí")).rows
        assert errors_of(row) == [("pregnant", "pregnant_male")]

    def test_a_document_needs_type_and_number(self) -> None:
        no_number, no_type = checked(
            person(document_type="pasaporte"), person(given_names="B", document_number="A1")
        ).rows
        assert errors_of(no_number) == [("document_number", "document_incomplete")]
        assert errors_of(no_type) == [("document_type", "document_incomplete")]

    def test_control_characters(self) -> None:
        sheet = mi.Sheet(HEADINGS, [person(place_of_origin="Xela\x07")])
        (row,) = mi.check(sheet, nationality="GT", today=TODAY).rows
        assert errors_of(row) == [("place_of_origin", "control_character")]

    def test_the_same_person_twice_in_the_file_or_on_the_manifest(self) -> None:
        first, again = checked(person(), person(given_names="ana maria")).rows
        assert first.ok
        assert errors_of(again) == [("given_names", "duplicate_person")]
        on_board = {
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "date_of_birth": "1990-05-17",
        }
        (row,) = checked(person(), already=[on_board]).rows
        assert errors_of(row) == [("given_names", "duplicate_person")]


class TestFamilies:
    def test_a_child_travels_with_an_adult_of_the_family_group(self) -> None:
        mother, child = checked(
            person(family_group="F1"),
            person(given_names="Luis", sex="M", date_of_birth="02/03/2015", family_group="F1"),
        ).rows
        assert mother.ok
        assert child.ok

    def test_a_child_alone_or_with_children_only_is_refused(self) -> None:
        alone, first, second = checked(
            person(given_names="Luis", date_of_birth="02/03/2015"),
            person(given_names="Eva", date_of_birth="02/03/2012", family_group="F2"),
            person(given_names="Ema", date_of_birth="02/03/2014", family_group="F2"),
        ).rows
        assert errors_of(alone) == [("family_group", "child_without_family")]
        assert errors_of(first) == [("family_group", "child_without_adult")]
        assert errors_of(second) == [("family_group", "child_without_adult")]

    def test_age_is_on_the_arrival_day(self) -> None:
        # 18 on 04/12/2026: an adult when the bus arrives on the 5th, alone is fine.
        (row,) = checked(person(date_of_birth="04/12/2008")).rows
        assert row.ok
        (row,) = checked(person(date_of_birth="06/12/2008")).rows
        assert errors_of(row) == [("family_group", "child_without_family")]

    def test_a_disputed_age_counts_as_a_child(self) -> None:
        (row,) = checked(person(age_disputed="sí")).rows
        assert errors_of(row) == [("family_group", "child_without_family")]

    def test_an_adult_already_on_the_manifest_counts(self) -> None:
        on_board = {
            "given_names": "Rosa",
            "surnames": "Díaz",
            "date_of_birth": "1980-01-01",
            "family_group": "F9",
            "age_disputed": False,
        }
        (row,) = checked(
            person(given_names="Luis", date_of_birth="02/03/2015", family_group="F9"),
            already=[on_board],
        ).rows
        assert row.ok

    def test_a_child_with_a_trafficking_indicator_goes_to_child_protection(self) -> None:
        _mother, child = checked(
            person(family_group="F1"),
            person(
                given_names="Luis",
                date_of_birth="02/03/2015",
                family_group="F1",
                trafficking_indicator="sí",
            ),
        ).rows
        assert errors_of(child) == [("trafficking_indicator", "child_trafficking")]


class TestXlsx:
    def test_cells_of_a_workbook_dates_and_numbers(self) -> None:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(HEADINGS)
        values: list[object] = list(person())
        values[HEADINGS.index("Fecha de nacimiento")] = datetime(1990, 5, 17)  # noqa: DTZ001 (a spreadsheet's date cell)
        values[HEADINGS.index("Embarazada")] = 0
        sheet.append(values)
        out = io.BytesIO()
        workbook.save(out)
        preview = mi.check(read_xlsx(out.getvalue()), nationality="GT", today=TODAY)
        (row,) = preview.rows
        assert row.ok, row.errors
        assert row.body
        assert row.body["date_of_birth"] == "1990-05-17"
        assert row.values["date_of_birth"] == "17/05/1990"

    def test_a_file_that_is_not_a_workbook(self) -> None:
        with pytest.raises(mi.UnreadableFile):
            read_xlsx(b"Nombres;Apellidos\r\n")


class TestTemplate:
    def test_the_csv_template_round_trips_its_example(self) -> None:
        sheet = mi.read_csv(mi.template_csv())
        assert list(sheet.headings) == HEADINGS
        preview = mi.check(sheet, nationality="GT", today=TODAY)
        assert [r.ok for r in preview.rows] == [True]
        assert preview.unknown_headings == []
        assert preview.problems == []

    def test_the_xlsx_template_round_trips_its_example(self) -> None:
        sheet = read_xlsx(template_xlsx())
        assert list(sheet.headings) == HEADINGS
        preview = mi.check(sheet, nationality="GT", today=TODAY)
        assert [r.ok for r in preview.rows] == [True]

    def test_the_headings_are_spanish(self) -> None:
        assert HEADINGS[:4] == ["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento"]


def test_a_full_bus_of_forty_rows_is_checked() -> None:
    # How fast is `make bench`'s to say, not a unit test's (STYLE.md "Tests").
    rows = [person(given_names=f"Persona {i}", family_group=f"F{i}") for i in range(40)]
    data = csv_of(*rows)
    preview = mi.check(mi.read_csv(data), nationality="GT", today=TODAY)
    assert len(preview.valid) == 40
