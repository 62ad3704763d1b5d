"""What every .xlsx download shares: formula escaping, the styled header row, the bytes and the response.

The household registry (households/excel.py) and the review exports (visits/exports.py) build their sheets with
these, so every spreadsheet the product hands out looks the same and none can run a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A spreadsheet runs a cell that starts with one of these as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def escape_formula(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula, made plain text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def style_sheet(ws, widths: Sequence[int]) -> None:
    """Column widths, and the header row frozen so it stays in view while scrolling."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"


def header_cells(ws, labels: Iterable[str]) -> list[WriteOnlyCell]:
    """The header row of a write-only sheet, bold on a light fill."""
    cells = []
    for label in labels:
        cell = WriteOnlyCell(ws, value=str(label))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def table_workbook(*, title: str, columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a frozen header row of (label, width) columns, then the rows, formulas escaped."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    style_sheet(ws, [width for _label, width in columns])
    ws.append(header_cells(ws, [label for label, _width in columns]))
    for row in rows:
        ws.append([escape_formula(value) for value in row])
    return workbook_bytes(wb)


# The characters Excel forbids in a sheet title, each replaced by its full-width form, which reads the same in Chinese.
_TITLE_SAFE = str.maketrans({"\\": "＼", "*": "＊", "?": "？", ":": "：", "/": "／", "[": "【", "]": "】"})
# Excel refuses a sheet title longer than this.
SHEET_TITLE_MAX = 31
# Yuan to the fen, with thousands grouped.
AMOUNT_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Table:
    """One sheet of a workbook: its title, (label, width) columns and rows of plain values."""

    title: str
    columns: Sequence[tuple[str, int]]
    rows: Iterable[Sequence[Any]]


def sheet_title(text: str) -> str:
    """A title Excel accepts: without the characters it forbids, at most 31 characters, never empty."""
    title = str(text).translate(_TITLE_SAFE).strip()[:SHEET_TITLE_MAX].strip()
    return title or _("工作表")


def _cell(ws, value: Any) -> WriteOnlyCell:
    if isinstance(value, Promise):
        value = str(value)  # a choice's label, translated now: text to the sheet, not an object it cannot store
    cell = WriteOnlyCell(ws, value=escape_formula(value))
    if isinstance(value, Decimal):
        cell.number_format = AMOUNT_FORMAT
    return cell


def tables_workbook(tables: Iterable[Table]) -> bytes:
    """A workbook of several sheets, each laid out as table_workbook's one: frozen header, formulas escaped."""
    wb = Workbook(write_only=True)
    for table in tables:
        ws = wb.create_sheet(sheet_title(table.title))  # openpyxl numbers a repeated title
        style_sheet(ws, [width for _label, width in table.columns])
        # A heading may be data too (a category's name over a chart's column): escaped like any cell.
        ws.append(header_cells(ws, [escape_formula(str(label)) for label, _width in table.columns]))
        for row in table.rows:
            ws.append([_cell(ws, value) for value in row])
    if not wb.worksheets:
        wb.create_sheet(_("工作表"))
    return workbook_bytes(wb)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of the workbook under its (possibly Chinese) file name."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    # RFC 6266 filename*: a Chinese file name arrives intact in every current browser.
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
