"""Tables as XLSX downloads (openpyxl, write-only): one sheet per table, numbers as numbers.

Shared by the dashboards and the campaign funnels. A name Excel would run as a formula stays
text.
"""

import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from django.http import HttpResponse
from openpyxl.cell import WriteOnlyCell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # title, headers, rows


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        # A staff or shop name Excel would run as a formula stays text.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return "" if value is None else value


def xlsx_response(sheets: Sequence[Sheet], *, filename: str) -> HttpResponse:
    """A download of the given sheets (at most a few hundred rows each: built in memory)."""
    workbook = openpyxl.Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
