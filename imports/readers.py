"""Tabular files as rows of text: CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX. No ORM, no Django.

``open_table`` reads the header row (row 1) and yields ``(row_number, {header: text})`` for every
other non-blank row; row numbers are the ones a spreadsheet shows (the header is row 1), so error
messages point at the cell a person sees. Every value is text: XLSX numbers, dates and times are
turned into the strings a person would have typed (13800001111, 31.82, 2024-03-01), so the
importers parse one kind of input whatever the file type.
"""

import codecs
import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from zipfile import BadZipFile

import openpyxl

EXTENSIONS = (".csv", ".xlsx")


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX table we can read; ``reason`` is a stable key."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "encoding", "format", "no_header", "extension"
        super().__init__(reason)


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    row_count_hint: int | None  # data rows, for progress; None when unknown


def open_table(file: IO[bytes], filename: str) -> Table:
    """Open ``file`` (binary) as a table; the extension of ``filename`` picks the format."""
    name = filename.lower()
    if name.endswith(".csv"):
        return _csv_table(file.read())
    if name.endswith(".xlsx"):
        return _xlsx_table(file)
    raise UnreadableFile("extension")


def _decode(data: bytes) -> str:
    # Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in the machine's code page,
    # which on Chinese Windows is GBK; GB 18030 is a superset of GBK, so it reads both.
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding")


def _csv_table(data: bytes) -> Table:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UnreadableFile("no_header") from None
    except csv.Error:
        raise UnreadableFile("format") from None
    if not any(headers):
        raise UnreadableFile("no_header")
    hint = max(text.count("\n") - 1, 0)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            # Records, not physical lines: a quoted cell may hold a line break.
            for number, values in enumerate(reader, start=2):
                if any(v.strip() for v in values):
                    yield number, _as_row(headers, [_unescape(v) for v in values])
        except csv.Error:
            raise UnreadableFile("format") from None

    return Table(headers=headers, rows=rows(), row_count_hint=hint)


def _xlsx_table(file: IO[bytes]) -> Table:
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("format") from None
    sheet = workbook.worksheets[0]
    hint = sheet.max_row - 1 if sheet.max_row else None
    # Some writers store a wrong sheet size; reading without it takes every row there is.
    sheet.reset_dimensions()
    values = sheet.iter_rows(min_row=1, values_only=True)
    try:
        headers = [_text(v) for v in next(values)]
    except StopIteration:
        workbook.close()
        raise UnreadableFile("no_header") from None
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        workbook.close()
        raise UnreadableFile("no_header")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for number, cells in enumerate(values, start=2):
                texts = [_text(v) for v in cells[: len(headers)]]
                if any(texts):
                    yield number, _as_row(headers, texts)
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows(), row_count_hint=hint)


def _unescape(value: str) -> str:
    # Our CSV exports write '=… for text starting with = + - @ (so Excel does not run it).
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


def _as_row(headers: list[str], values: list[str]) -> dict[str, str]:
    row = dict(zip(headers, (v.strip() for v in values), strict=False))
    if len(values) < len(headers):
        row.update(dict.fromkeys(headers[len(values) :], ""))
    return row


def _text(value: object) -> str:
    """A cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Excel keeps every number as a double: 13800001111.0 is a phone number, 12.0 a grade.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()
