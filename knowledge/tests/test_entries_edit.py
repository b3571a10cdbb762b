"""Creating, editing and restoring entries on the console page: versions, audit, conflicts."""

import pytest

from audit.models import AuditEntry
from knowledge.models import Entry, EntryVersion
from knowledge.tests.factories import EntryFactory

NEW_URL = "/console/knowledge/new/"

pytestmark = pytest.mark.django_db


def _url(entry: Entry) -> str:
    return f"/console/knowledge/{entry.pk}/"


def _form(entry: Entry | None = None, **changes) -> dict:
    """The editor's fields as a browser posts them (an entry's current content by default)."""
    data = {
        "question": "新品上市怎么订",
        "phrasings": "新烟怎么订\n新品规在哪里订",
        "answer": "新品上市当周在订货App“新品”栏目订购。",
        "category": "product",
        "tags": "新品, 品规",
        "valid_from": "",
        "valid_until": "",
        "owner_id": "",
        "status": "published",
        "note": "",
    }
    if entry is not None:
        data |= {
            "question": entry.question,
            "phrasings": "\n".join(entry.phrasings),
            "answer": entry.answer,
            "category": entry.category,
            "tags": ", ".join(entry.tags),
            "status": entry.status,
            "owner_id": entry.owner_id or "",
            "expected_version": entry.version,
        }
    return data | changes


def _snapshot(entry: Entry) -> tuple:
    entry.refresh_from_db()
    return (entry.version, entry.question, entry.answer, entry.phrasings, entry.tags)


def test_a_manager_creates_an_entry_at_version_1_with_an_audit_row(client_for, service_manager):
    count = Entry.objects.count()
    response = client_for(service_manager).post(NEW_URL, _form(code="kb-product-new-1"))
    entry = Entry.objects.get(code="kb-product-new-1")
    assert response.status_code == 302 and response["Location"] == _url(entry)
    assert Entry.objects.count() == count + 1
    assert (entry.version, entry.phrasings, entry.tags) == (
        1,
        ["新烟怎么订", "新品规在哪里订"],
        ["新品", "品规"],
    )
    assert entry.owner == service_manager  # the creator, when no owner is chosen
    assert list(entry.versions.values_list("version", flat=True)) == [1]
    assert AuditEntry.objects.filter(
        action="knowledge.entry_create", target_id=entry.pk, actor=service_manager
    ).exists()


def test_a_new_entry_without_a_code_gets_one_from_its_category(client_for, service_manager):
    client_for(service_manager).post(NEW_URL, _form(question="独有的新问题"))
    assert Entry.objects.get(question="独有的新问题").code.startswith("kb-product-")


def test_an_edit_saves_the_next_version_with_its_note_and_audit(client_for, service_manager):
    entry = EntryFactory()
    response = client_for(service_manager).post(
        _url(entry), _form(entry, answer="新的答案。", note="截止时间调整")
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.version, entry.answer) == (2, "新的答案。")
    latest = entry.versions.get(version=2)
    assert (latest.note, latest.changed_by, latest.snapshot["answer"]) == (
        "截止时间调整",
        service_manager,
        "新的答案。",
    )
    audit = AuditEntry.objects.get(action="knowledge.entry_update", target_id=entry.pk)
    assert audit.changes["answer"][1] == "新的答案。"


def test_saving_unchanged_content_makes_no_new_version(client_for, service_manager):
    entry = EntryFactory()
    response = client_for(service_manager).post(
        _url(entry), _form(entry), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert _snapshot(entry)[0] == 1
    assert EntryVersion.objects.filter(entry=entry).count() == 1
    assert "Nothing changed, so no new version was saved." in response.content.decode()


def test_a_save_over_a_newer_version_is_refused_with_a_409_and_keeps_the_typed_text(
    client_for, service_manager
):
    entry = EntryFactory()
    opened = _form(entry, answer="我的修改")
    client = client_for(service_manager)
    client.post(_url(entry), _form(entry, answer="同事先保存的修改"))
    before = _snapshot(entry)
    response = client.post(_url(entry), opened, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-error-code="entry_changed"' in html and "now version 2" in html
    assert "我的修改" in html  # still in the form, to copy
    assert _snapshot(entry) == before


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"question": ""}, "question"),
        ({"answer": "  "}, "answer"),
        ({"category": "weather"}, "category"),
        ({"valid_from": "2026-05-01", "valid_until": "2026-04-01"}, "valid_until"),
        ({"valid_from": "not a date"}, "valid_from"),
        ({"tags": "这个标签实在是太长了超过了二十个字的限制这个标签"}, "tags"),
        ({"owner_id": "999999"}, "owner_id"),
        ({"expected_version": ""}, "expected_version"),
    ],
)
def test_an_invalid_edit_answers_422_and_changes_nothing(
    client_for, service_manager, changes, field_error
):
    entry = EntryFactory()
    before = _snapshot(entry)
    response = client_for(service_manager).post(_url(entry), _form(entry, **changes))
    assert response.status_code == 422
    assert response.context["form"].errors.get(field_error)
    assert _snapshot(entry) == before
    assert not AuditEntry.objects.filter(target_id=entry.pk).exists()


def test_an_invalid_new_entry_answers_422_in_chinese_and_creates_nothing(
    client_for, service_manager
):
    count = Entry.objects.count()
    response = client_for(service_manager).post(
        NEW_URL, _form(question="", code="Bad Code!"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422
    assert Entry.objects.count() == count
    assert set(response.context["form"].errors) >= {"question", "code"}


def test_a_code_already_in_use_is_refused(client_for, service_manager):
    taken = EntryFactory()
    response = client_for(service_manager).post(NEW_URL, _form(code=taken.code))
    assert response.status_code == 422
    assert response.context["form"].errors["code"]


def test_the_history_shows_what_each_version_changed(client_for, service_manager):
    entry = EntryFactory(phrasings=["旧说法"])
    client = client_for(service_manager)
    client.post(_url(entry), _form(entry, phrasings="新说法", status="draft"))
    html = client.get(_url(entry), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<ins>+ 新说法</ins>" in html and "<del>− 旧说法</del>" in html
    assert "<del>Published</del> → <ins>Draft</ins>" in html
    assert f"/console/knowledge/{entry.pk}/restore/1/" in html


def test_restoring_a_version_brings_its_content_back_as_a_new_version(client_for, service_manager):
    entry = EntryFactory(answer="最初的答案")
    client = client_for(service_manager)
    client.post(_url(entry), _form(entry, answer="改错了的答案"))
    response = client.post(f"{_url(entry)}restore/1/")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.version, entry.answer) == (3, "最初的答案")
    assert "1" in entry.versions.get(version=3).note


def test_restoring_a_version_that_does_not_exist_is_refused(client_for, service_manager):
    entry = EntryFactory()
    response = client_for(service_manager).post(f"{_url(entry)}restore/7/")
    assert response.status_code == 422
    assert _snapshot(entry)[0] == 1


def test_account_managers_read_an_entry_but_may_not_edit_or_restore_it(client_for, account_manager):
    entry = EntryFactory()
    client = client_for(account_manager)
    page = client.get(_url(entry))
    assert page.status_code == 200
    assert 'name="expected_version"' not in page.content.decode()
    assert "restore" not in page.content.decode()
    assert client.post(_url(entry), _form(entry, answer="x")).status_code == 403
    assert client.post(f"{_url(entry)}restore/1/").status_code == 403
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, _form()).status_code == 403
    assert _snapshot(entry)[0] == 1


def test_shop_owners_may_not_open_an_entry_in_the_console(client_for, shop_owner):
    entry = EntryFactory()
    assert client_for(shop_owner).get(_url(entry)).status_code == 403


def test_an_unknown_entry_answers_not_found(client_for, service_manager):
    assert client_for(service_manager).get("/console/knowledge/99999999/").status_code == 404


def test_the_answer_is_shown_with_its_links_and_line_breaks(client_for, account_manager):
    entry = EntryFactory(answer="第一行\n详见 https://example.com/a")
    html = client_for(account_manager).get(_url(entry)).content.decode()
    assert '第一行<br>详见 <a href="https://example.com/a" rel="nofollow">' in html
