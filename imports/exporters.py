"""Tables as files: CSV streamed row by row, XLSX written in openpyxl's write-only mode.

CSV starts with a UTF-8 byte-order mark so Excel opens the Chinese text correctly. Values keep
their type in XLSX (numbers stay numbers, dates are dates) except text that only looks like a
number (licence numbers, phones), which stays text so Excel keeps every digit.
"""

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Line:
    """A file-like object that hands back what csv.writer writes into it."""

    def write(self, text: str) -> str:
        return text


# Text that a spreadsheet would run as a formula (=HYPERLINK(…) in a shop name) is written with a
# leading apostrophe, as OWASP advises for CSV; imports.readers takes it off again.
FORMULA_START = ("=", "+", "-", "@")


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_chunks(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """The CSV file as byte chunks (UTF-8 with BOM), one per few hundred rows."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode() + writer.writerow(headers).encode()
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow([_csv_value(v) for v in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def _xlsx_value(sheet: Any, value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores text starting with "=" as a formula; keep it text.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return "" if value is None else value


def xlsx_file(headers: list[str], rows: Iterable[list[Any]], *, title: str) -> io.BufferedIOBase:
    """The XLSX file in a temporary file (spooled in memory while small), at position 0."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([_xlsx_value(sheet, v) for v in row])
    # Closed by the response that streams it (FileResponse closes its file).
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out
