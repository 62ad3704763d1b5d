"""What every .xlsx download shares: formula escaping, the styled header row, the bytes and the response.

The household registry (households/excel.py) and the review exports (visits/exports.py) build their sheets with
these, so every spreadsheet the product hands out looks the same and none can run a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
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


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of the workbook under its (possibly Chinese) file name."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    # RFC 6266 filename*: a Chinese file name arrives intact in every current browser.
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
