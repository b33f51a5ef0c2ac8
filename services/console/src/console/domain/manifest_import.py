"""A manifest's people from a spreadsheet (CSV or XLSX): the file's rows checked one by one
before anything is sent, each row either an API body (`ReturneeAdd`) or its errors.

Pure: the adapter reads the file into cells (`Sheet`); this module knows the columns, the
words officers type ("sí", "Mujer", "Guatemala", 05/03/1990) and the rules the repatriation
API would refuse a row for, so the preview shows them all at once, row by row. Errors are
codes (`RowError.rule`); the console's pages turn them into sentences in the officer's
language.

The file's format: one heading row (Spanish, as in the template; English headings and the API's
field names are accepted too, in any order, accents and case ignored), then one person a row.
Empty rows are skipped. Yes/no columns take sí/no (also si, s, x, 1, yes, true / n, 0, false);
the four vulnerabilities and the protection need must be answered, the others mean "no" when
empty.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

MAX_ROWS = 300  # the API's most people on one manifest
MAX_BYTES = 2 * 1024 * 1024  # 300 rows at every text's longest are under 250 kB


@dataclass(frozen=True)
class Column:
    key: str  # the field of the row (and, but for the flags, of the API body)
    heading: str  # as the template writes it (Spanish)
    example: str
    required: bool = False
    max_length: int | None = None
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("given_names", "Nombres", "Ana María", True, 100, ("given names", "nombre")),
    Column("surnames", "Apellidos", "López Pérez", True, 100, ("surnames", "apellido")),
    Column("sex", "Sexo", "F", True, None, ("sex",)),
    Column(
        "date_of_birth",
        "Fecha de nacimiento",
        "17/05/1990",
        True,
        None,
        ("date of birth", "nacimiento", "fecha nacimiento"),
    ),
    Column("nationality", "Nacionalidad", "GT", True, None, ("nationality",)),
    Column(
        "place_of_origin",
        "Lugar de origen",
        "Quetzaltenango",
        True,
        200,
        ("place of origin", "origen"),
    ),
    Column("family_group", "Grupo familiar", "F1", False, 40, ("family group", "familia")),
    Column(
        "document_type",
        "Tipo de documento",
        "pasaporte",
        False,
        40,
        ("document type", "documento"),
    ),
    Column(
        "document_number",
        "Número de documento",
        "A1234567",
        False,
        40,
        ("document number", "numero documento"),
    ),
    Column("pregnant", "Embarazada", "no", True, None, ("pregnant",)),
    Column("disability", "Discapacidad", "no", True, None, ("disability",)),
    Column(
        "illness_or_injury",
        "Enfermedad o lesión",
        "no",
        True,
        None,
        ("illness or injury", "enfermedad"),
    ),
    Column(
        "trafficking_indicator",
        "Indicio de trata",
        "no",
        True,
        None,
        ("trafficking indicator", "trata"),
    ),
    Column("age_disputed", "Edad en disputa", "no", False, None, ("age disputed",)),
    Column(
        "protection_need",
        "Necesidad de protección",
        "no",
        True,
        None,
        ("protection need", "proteccion"),
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}
FLAGS = ("pregnant", "disability", "illness_or_injury", "trafficking_indicator")
YES_NO = (*FLAGS, "age_disputed", "protection_need")
ADULT_AGE = 18

YES = {"si", "s", "x", "1", "yes", "y", "true", "verdadero"}
NO = {"no", "n", "0", "false", "falso"}
SEXES = {
    "f": "F",
    "mujer": "F",
    "femenino": "F",
    "female": "F",
    "m": "M",
    "h": "M",
    "hombre": "M",
    "masculino": "M",
    "male": "M",
    "x": "X",
    "otro": "X",
    "other": "X",
    "no indica": "X",
}
# The nationalities officers write in words; any other is its ISO code.
COUNTRIES = {
    "guatemala": "GT",
    "guatemalteca": "GT",
    "guatemalteco": "GT",
    "el salvador": "SV",
    "salvador": "SV",
    "salvadorena": "SV",
    "salvadoreno": "SV",
    "honduras": "HN",
    "hondurena": "HN",
    "hondureno": "HN",
    "nicaragua": "NI",
    "nicaraguense": "NI",
    "mexico": "MX",
    "mexicana": "MX",
    "mexicano": "MX",
}
DOCUMENT_TYPES = {"pasaporte": "passport", "passport": "passport"}

Cell = str | int | float | date | datetime | bool | None


@dataclass(frozen=True)
class Sheet:
    """A file's cells: the heading row and the rows under it, as read."""

    headings: Sequence[Cell]
    rows: Sequence[Sequence[Cell]]
    first_row: int = 2  # the file's line (or row) number of `rows[0]`


@dataclass(frozen=True)
class RowError:
    column: str | None  # a `Column.key`, or None: the row as a whole
    rule: str


@dataclass
class Row:
    number: int  # the row's number in the file (the heading is 1)
    values: dict[str, str]  # each column's cell as text, as the officer typed it
    body: dict[str, Any] | None = None  # the API body, when the row has no errors
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, column: str | None, rule: str) -> None:
        self.errors.append(RowError(column, rule))


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file as a whole: rule codes
    missing_columns: list[str] = field(default_factory=list)
    unknown_headings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> list[Row]:
        return [r for r in self.rows if r.ok] if not self.problems else []

    @property
    def invalid(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]


class UnreadableFile(Exception):
    """The file is not what it says (not UTF-8/Latin-1 text, not an XLSX workbook)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


# -- reading ----------------------------------------------------------------------------


def read_csv(data: bytes) -> Sheet:
    """A CSV as Excel writes it in Spanish (`;`) or English (`,`), UTF-8 with or without BOM,
    else Windows-1252."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            content = data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFile("not_text") from None
    if "\x00" in content:
        raise UnreadableFile("not_text")
    first = content.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    if first.count("\t") > max(first.count(";"), first.count(",")):
        delimiter = "\t"
    try:
        lines = list(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter))
    except csv.Error:
        raise UnreadableFile("not_csv") from None
    if not lines:
        return Sheet(headings=(), rows=())
    return Sheet(headings=lines[0], rows=lines[1:])


# -- checking ---------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, no accents, single spaces, no `_`: how headings and words are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("_", " ").lower().split())


HEADINGS: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.heading, _column.key, *_column.aliases):
        HEADINGS[_plain(_name)] = _column.key


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "sí" if cell else "no"
    if isinstance(cell, datetime):
        return cell.date().strftime("%d/%m/%Y")
    if isinstance(cell, date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


def parse_date(cell: Cell) -> date | None:
    """dd/mm/aaaa (also with `-` or `.`), aaaa-mm-dd, or a spreadsheet's date cell."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    for form in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 (a day, no time)
        except ValueError:
            continue
    return None


def parse_yes_no(cell: Cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    word = _plain(_text(cell))
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check(
    sheet: Sheet,
    *,
    nationality: str,
    today: date,
    arrival: date | None = None,
    already: Iterable[Mapping[str, Any]] = (),
) -> Preview:
    """Every row of `sheet` checked for a manifest to `nationality`'s country.

    `today` bounds dates of birth; ages (a child travels with an adult of their family group)
    are on `arrival` (the manifest's arrival day at the point), else today. `already` are the
    people on the manifest now (API reads): the same person twice is refused, and a family
    group may continue one already on the manifest."""
    preview = Preview()
    keys: list[str | None] = []
    for heading in sheet.headings:
        name = _text(heading)
        key = HEADINGS.get(_plain(name))
        if name and key is None:
            preview.unknown_headings.append(name)
        keys.append(key if key not in keys else None)
    preview.missing_columns = [c.key for c in COLUMNS if c.required and c.key not in keys]
    if preview.missing_columns:
        preview.problems.append("missing_columns")
    rows = [
        (sheet.first_row + index, cells)
        for index, cells in enumerate(sheet.rows)
        if any(_text(cell) for cell in cells)
    ]
    if not rows and not preview.problems:
        preview.problems.append("no_rows")
    if len(rows) > MAX_ROWS:
        preview.problems.append("too_many_rows")
        rows = rows[:MAX_ROWS]
    on = arrival or today
    seen: dict[tuple[str, str, date], int] = {
        _identity(p["given_names"], p["surnames"], date.fromisoformat(str(p["date_of_birth"]))): 0
        for p in already
        if p.get("date_of_birth")
    }
    for number, cells in rows:
        raw = {key: cells[i] for i, key in enumerate(keys) if key is not None and i < len(cells)}
        row = Row(number, {c.key: _text(raw.get(c.key)) for c in COLUMNS})
        body = _check_row(row, raw, nationality=nationality, today=today)
        if body is not None:
            identity = _identity(body["given_names"], body["surnames"], body["date_of_birth"])
            if identity in seen:
                row.error("given_names", "duplicate_person")
            seen.setdefault(identity, number)
        preview.rows.append(row)
        if row.ok and body is not None:
            row.body = {**body, "date_of_birth": body["date_of_birth"].isoformat()}
    _check_families(preview.rows, on, already)
    return preview


def _identity(given: str, surnames: str, born: date) -> tuple[str, str, date]:
    return (_plain(given), _plain(surnames), born)


def _check_row(
    row: Row, raw: Mapping[str, Cell], *, nationality: str, today: date
) -> dict[str, Any] | None:
    values = row.values
    for column in COLUMNS:
        text = values[column.key]
        if column.required and not text:
            row.error(column.key, "required")
        elif column.max_length is not None and len(text) > column.max_length:
            row.error(column.key, "too_long")
        elif any(ord(ch) < 32 for ch in text):
            row.error(column.key, "control_character")
    sex = SEXES.get(_plain(values["sex"])) if values["sex"] else None
    if values["sex"] and sex is None:
        row.error("sex", "bad_sex")
    born = parse_date(raw.get("date_of_birth")) if values["date_of_birth"] else None
    if values["date_of_birth"]:
        if born is None:
            row.error("date_of_birth", "bad_date")
        elif born > today:
            row.error("date_of_birth", "born_in_future")
        elif born.year < 1900:
            row.error("date_of_birth", "born_too_long_ago")
    country = _country(values["nationality"]) if values["nationality"] else None
    if values["nationality"]:
        if country is None:
            row.error("nationality", "bad_nationality")
        elif country != nationality:
            row.error("nationality", "other_nationality")
    flags: dict[str, bool] = {}
    for key in YES_NO:
        if not values[key]:
            flags[key] = False  # empty: "required" already said for those that need it
            continue
        answer = parse_yes_no(raw.get(key))
        if answer is None:
            row.error(key, "bad_yes_no")
        else:
            flags[key] = answer
    if flags.get("protection_need"):
        row.error("protection_need", "protection_need")
    if flags.get("pregnant") and sex == "M":
        row.error("pregnant", "pregnant_male")
    doc_type, doc_number = values["document_type"], values["document_number"]
    if bool(doc_type) != bool(doc_number):
        row.error("document_number" if doc_type else "document_type", "document_incomplete")
    if row.errors or sex is None or born is None or country is None:
        return None
    body: dict[str, Any] = {
        "given_names": values["given_names"],
        "surnames": values["surnames"],
        "sex": sex,
        "date_of_birth": born,
        "nationality": country,
        "place_of_origin": values["place_of_origin"],
        "family_group": values["family_group"] or None,
        "document": (
            {"type": DOCUMENT_TYPES.get(_plain(doc_type), doc_type), "number": doc_number}
            if doc_type
            else None
        ),
        "vulnerabilities": {key: flags[key] for key in FLAGS},
        "age_disputed": flags["age_disputed"],
        "protection_need": False,
    }
    return body


def _country(text: str) -> str | None:
    word = _plain(text)
    if word in COUNTRIES:
        return COUNTRIES[word]
    if len(word) == 2 and word.isalpha():
        return word.upper()
    return None


def _check_families(rows: list[Row], on: date, already: Iterable[Mapping[str, Any]]) -> None:
    """A child (under 18 on arrival, or of disputed age) travels in a family group with an
    adult: alone, or in a group of children only, the API refuses them (child protection
    takes over)."""
    adults: set[str] = set()
    for person in already:
        group = person.get("family_group")
        born = person.get("date_of_birth")
        adult = bool(born) and age_on(date.fromisoformat(str(born)), on) >= ADULT_AGE
        if group and adult and not person.get("age_disputed"):
            adults.add(_plain(str(group)))
    for row in rows:
        body = row.body
        if body is None:
            continue
        born = date.fromisoformat(body["date_of_birth"])
        if body["family_group"] and age_on(born, on) >= ADULT_AGE and not body["age_disputed"]:
            adults.add(_plain(body["family_group"]))
    for row in rows:
        body = row.body
        if body is None:
            continue
        born = date.fromisoformat(body["date_of_birth"])
        child = age_on(born, on) < ADULT_AGE or body["age_disputed"]
        if not child:
            continue
        group = body["family_group"]
        if not group:
            row.error("family_group", "child_without_family")
        elif _plain(group) not in adults:
            row.error("family_group", "child_without_adult")
        if body["vulnerabilities"]["trafficking_indicator"]:
            row.error("trafficking_indicator", "child_trafficking")
        if not row.ok:
            row.body = None


# -- the template -----------------------------------------------------------------------


def template_rows() -> tuple[list[str], list[str]]:
    """The template's heading row and its one example row."""
    return [c.heading for c in COLUMNS], [c.example for c in COLUMNS]


def template_csv() -> bytes:
    """The template as Excel opens it in Spanish: UTF-8 with BOM, `;` between columns."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(template_rows())
    return out.getvalue().encode("utf-8-sig")
