"""XLSX export and import of knowledge entries: all rows or none, errors by row and column."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.importers import entries_check, entries_write, export_headers
from knowledge.models import Entry, EntryVersion
from knowledge.tests.factories import EntryFactory

EXPORT_URL = "/console/knowledge/export/"
IMPORT_URL = "/console/knowledge/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.django_db


def _xlsx(rows: list[list], name: str = "kb.xlsx") -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=XLSX)


def _import(client, upload, language="en"):
    return client.post(IMPORT_URL, {"file": upload}, HTTP_ACCEPT_LANGUAGE=language, follow=True)


def _state() -> tuple[int, int, list]:
    return (
        Entry.objects.count(),
        EntryVersion.objects.count(),
        list(Entry.objects.order_by("pk").values_list("version", "answer")),
    )


def _export(client, params=None, language="zh-hans") -> list[list]:
    response = client.get(EXPORT_URL, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_the_export_has_chinese_headers_and_one_row_per_entry(client_for, account_manager):
    rows = _export(client_for(account_manager))
    assert rows[0] == export_headers("zh-hans")
    assert rows[0][:3] == ["编码", "分类", "标准问"]
    assert len(rows) == 1 + Entry.objects.count()
    first = next(r for r in rows if r[0] == "kb-ordering-001")
    entry = Entry.objects.get(code="kb-ordering-001")
    assert first[1] == "订货" and first[8] == "已发布" and first[10] == entry.version
    assert first[3].split("\n") == entry.phrasings
    assert first[5] == "、".join(entry.tags)


def test_the_export_in_english_uses_codes_and_keeps_the_list_filters(client_for, account_manager):
    rows = _export(client_for(account_manager), {"category": "licence"}, language="en")
    assert rows[0][:3] == ["code", "category", "question"]
    assert {r[1] for r in rows[1:]} == {"licence"}
    assert len(rows) - 1 == Entry.objects.filter(category="licence").count()


def test_an_unchanged_export_imports_as_zero_created_and_zero_updated(client_for, service_manager):
    client = client_for(service_manager)
    rows = _export(client)
    before = _state()
    response = _import(client, _xlsx(rows))
    assert response.status_code == 200
    total = Entry.objects.count()
    assert f"Import done: 0 created, 0 updated, {total} unchanged." in response.content.decode()
    assert _state() == before


def test_an_import_creates_new_rows_and_updates_changed_ones_in_one_go(client_for, service_manager):
    entry = EntryFactory()
    client = client_for(service_manager)
    rows = [
        ["code", "category", "question", "phrasings", "answer", "tags", "status", "owner"],
        [entry.code, "订货", entry.question, "几点前要订货", "改过的答案", "订货日", "已发布", ""],
        [
            "",
            "配送",
            "送货司机电话多少",
            "司机电话\n怎么联系送货员",
            "见配送短信。",
            "配送、司机",
            "",
            "manager",
        ],
        [
            "kb-new-code-1",
            "licence",
            "许可证丢了怎么办",
            "",
            "携带身份证到政务大厅补办。",
            "",
            "draft",
            "",
        ],
    ]
    count = Entry.objects.count()
    response = _import(client, _xlsx(rows))
    assert "Import done: 2 created, 1 updated, 0 unchanged." in response.content.decode()
    assert Entry.objects.count() == count + 2
    entry.refresh_from_db()
    assert (entry.version, entry.answer, entry.phrasings) == (2, "改过的答案", ["几点前要订货"])
    created = Entry.objects.get(question="送货司机电话多少")
    assert created.code.startswith("kb-delivery-") and created.tags == ["配送", "司机"]
    assert created.phrasings == ["司机电话", "怎么联系送货员"]
    assert created.owner == service_manager and created.status == "published"
    assert Entry.objects.get(code="kb-new-code-1").status == "draft"
    assert entry.versions.get(version=2).note


def test_an_import_with_errors_writes_nothing_and_lists_them_by_row_and_column(
    client_for, service_manager
):
    entry = EntryFactory()
    rows = [
        ["编码", "分类", "标准问", "答案", "生效日期", "失效日期", "负责人"],
        [entry.code, "订货", "改过的问题", "改过的答案", "", "", ""],  # fine on its own
        ["", "天气", "明天下雨吗", "不知道", "", "", ""],
        ["", "订货", "", "有答案没问题", "", "", ""],
        ["", "订货", "日期反了", "答案", "2026-05-01", "2026-04-01", "nobody"],
        [entry.code, "订货", "重复的编码", "答案", "", "", ""],
    ]
    before = _state()
    response = _import(client_for(service_manager), _xlsx(rows))
    assert response.status_code == 422
    assert _state() == before
    found = {(e.row, e.column) for e in response.context["row_errors"]}
    assert found == {
        (3, "分类/category"),
        (4, "标准问/question"),
        (5, "失效日期/valid_until"),
        (5, "负责人/owner"),
        (6, "编码/code"),
    }
    assert "Nothing was imported" in response.content.decode()


def test_a_row_checked_against_an_old_version_is_refused(client_for, service_manager):
    entry = EntryFactory(version=3)
    rows = [["code", "category", "question", "answer", "version"]]
    rows.append([entry.code, "ordering", entry.question, "新答案", 2])
    response = _import(client_for(service_manager), _xlsx(rows))
    assert response.status_code == 422
    assert [(e.row, e.column) for e in response.context["row_errors"]] == [(2, "版本/version")]


def test_a_file_without_the_required_columns_is_refused_at_the_header(client_for, service_manager):
    response = _import(client_for(service_manager), _xlsx([["标准问", "备注"], ["问", "x"]]))
    assert response.status_code == 422
    missing = {e.column for e in response.context["row_errors"] if e.row == 1}
    assert missing == {"分类/category", "答案/answer"}


def test_a_csv_file_is_read_too(client_for, service_manager):
    data = "question,category,answer\n新的CSV问题,其他,CSV答案\n".encode()
    upload = SimpleUploadedFile("kb.csv", data, content_type="text/csv")
    response = _import(client_for(service_manager), upload)
    assert "1 created" in response.content.decode()
    assert Entry.objects.filter(question="新的CSV问题", category="other").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("kb.txt", b"question\n"), ("kb.xlsx", b"not a zip"), ("kb.csv", b"")],
)
def test_unreadable_files_are_refused_with_a_message_on_the_file(
    client_for, service_manager, name, content
):
    count = Entry.objects.count()
    response = _import(client_for(service_manager), SimpleUploadedFile(name, content))
    assert response.status_code == 422
    assert response.context["import_form"].errors["file"]
    assert Entry.objects.count() == count


def test_files_over_the_size_limit_are_refused(client_for, service_manager, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("kb.csv", b"question,category,answer\n" + b"x" * (1024 * 1024))
    response = _import(client_for(service_manager), upload)
    assert response.status_code == 413


def test_files_over_the_row_limit_are_refused(service_manager, monkeypatch):
    from imports.readers import Table
    from knowledge import importers

    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    rows = iter((n, {"question": "问", "category": "other", "answer": "答"}) for n in range(2, 7))
    checked, errors = entries_check(Table(["question", "category", "answer"], rows, None))
    assert checked == [] and len(errors) == 1 and errors[0].row is None


def test_account_managers_may_export_but_not_import(client_for, account_manager):
    client = client_for(account_manager)
    assert client.get(EXPORT_URL).status_code == 200
    assert client.get(IMPORT_URL).status_code == 403
    upload = _xlsx([["question", "category", "answer"], ["问", "other", "答"]])
    count = Entry.objects.count()
    assert client.post(IMPORT_URL, {"file": upload}).status_code == 403
    assert Entry.objects.count() == count


def test_writing_checked_rows_counts_each_outcome(service_manager):
    from imports.readers import Table

    entry = EntryFactory()
    table = Table(
        ["code", "category", "question", "answer"],
        iter(
            [
                (
                    2,
                    {
                        "code": entry.code,
                        "category": "ordering",
                        "question": entry.question,
                        "answer": entry.answer,
                    },
                ),
                (3, {"code": "", "category": "other", "question": "全新的问题", "answer": "答"}),
            ]
        ),
        None,
    )
    rows, errors = entries_check(table)
    assert errors == []
    assert entries_write(service_manager, rows) == {"created": 1, "updated": 0, "unchanged": 1}
