"""The tabular reader: encodings Excel writes, XLSX values as typed text, spreadsheet rows."""

import datetime
import io

import pytest

from imports.readers import UnreadableFile, open_table
from imports.tests.files import csv_bytes, xlsx_bytes


def _rows(content: bytes, name: str) -> tuple[list[str], list]:
    table = open_table(io.BytesIO(content), name)
    return table.headers, list(table.rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_csv_reads_in_every_encoding_excel_saves(encoding):
    content = csv_bytes(["店名", "电话"], [["合肥便利店", "13800001111"]], encoding=encoding)
    headers, rows = _rows(content, "shops.CSV")
    assert headers == ["店名", "电话"]
    assert rows == [(2, {"店名": "合肥便利店", "电话": "13800001111"})]


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_sheet():
    content = b"name,phone\n,\nA, 1 \n\nB\n"
    _, rows = _rows(content, "x.csv")
    assert rows == [(3, {"name": "A", "phone": "1"}), (5, {"name": "B", "phone": ""})]


def test_xlsx_numbers_and_dates_arrive_as_the_text_a_person_typed():
    row = [340102100001, 13800001111.0, 31.82, 12.0, datetime.datetime(2024, 3, 1), None]
    headers, rows = _rows(xlsx_bytes(["a", "b", "c", "d", "e", "f"], [row, [], ["x"]]), "s.xlsx")
    assert headers == ["a", "b", "c", "d", "e", "f"]
    assert rows == [
        (
            2,
            {
                "a": "340102100001",
                "b": "13800001111",
                "c": "31.82",
                "d": "12",
                "e": "2024-03-01",
                "f": "",
            },
        ),
        (4, {"a": "x", "b": "", "c": "", "d": "", "e": "", "f": ""}),
    ]


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"\xff\xfe\x00", "a.csv", "encoding"),
        (b"", "a.csv", "no_header"),
        (b"PK not really", "a.xlsx", "format"),
        (b"a,b", "a.ods", "extension"),
    ],
)
def test_unreadable_files_say_why(content, name, reason):
    with pytest.raises(UnreadableFile) as caught:
        open_table(io.BytesIO(content), name)
    assert caught.value.reason == reason


def test_a_quoted_line_break_stays_in_one_row_and_escaped_formulas_are_unescaped():
    content = b'name,note\n"two\nlines",x\n\'=1+1,y\n'
    _, rows = _rows(content, "x.csv")
    assert rows == [(2, {"name": "two\nlines", "note": "x"}), (3, {"name": "=1+1", "note": "y"})]
