"""XLSX files through openpyxl: a workbook's first sheet as cells (`Sheet`) for the manifest
import, and the import's template as a workbook. CSV needs no adapter (the domain reads it).

A workbook is read in read-only mode (rows streamed, no styles, no formulas evaluated: a
formula's cell gives its cached value or nothing) and at most `MAX_ROWS` + a few rows are read,
so a crafted file of a million rows costs nothing more than the upload limit already allows.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from console.domain.manifest_import import (
    COLUMNS,
    MAX_ROWS,
    Cell,
    Sheet,
    UnreadableFile,
    template_rows,
)

# The rows read past the limit: enough to tell the officer the file has too many.
_SLACK = 5


def read_xlsx(data: bytes) -> Sheet:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("not_xlsx") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return Sheet(headings=(), rows=())
        rows: list[list[Cell]] = []
        for values in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1 + _SLACK):
            rows.append([_cell(v) for v in values])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("not_xlsx") from None
    finally:
        workbook.close()
    if not rows:
        return Sheet(headings=(), rows=())
    return Sheet(headings=rows[0], rows=rows[1:])


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | bool | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def template_xlsx() -> bytes:
    """The template: bold Spanish headings, one example row, the date column as text
    (dd/mm/aaaa) so that Excel does not turn 05/03/1990 into another day."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Personas"
    headings, example = template_rows()
    sheet.append(headings)
    sheet.append(example)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.heading) + 4)
        if column.key == "date_of_birth":
            for row in range(2, MAX_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
