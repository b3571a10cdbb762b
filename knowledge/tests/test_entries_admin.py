"""The back office saves entries through the services (a version each) and only shows the rest."""

import pytest

from audit.models import AuditEntry
from knowledge.models import Entry
from knowledge.tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def _admin_form(entry: Entry | None = None, **changes) -> dict:
    data = {
        "code": "",
        "category": "other",
        "question": "后台新建的问题",
        "phrasings": "说法一\n说法二",
        "answer": "后台写的答案",
        "tags": "后台, 测试",
        "valid_from": "",
        "valid_until": "",
        "status": "published",
        "owner": "",
        "note": "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    if entry is not None:
        data |= {
            "code": entry.code,
            "category": entry.category,
            "question": entry.question,
            "phrasings": "\n".join(entry.phrasings),
            "answer": entry.answer,
            "tags": ", ".join(entry.tags),
            "versions-TOTAL_FORMS": str(entry.versions.count()),
            "versions-INITIAL_FORMS": str(entry.versions.count()),
        }
    return data | changes


def test_an_edit_in_the_back_office_saves_a_new_version_with_an_audit_row(client_for, admin_user):
    entry = EntryFactory()
    response = client_for(admin_user).post(
        f"/admin/knowledge/entry/{entry.pk}/change/",
        _admin_form(entry, answer="后台改的答案", note="后台修改"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert (entry.version, entry.answer) == (2, "后台改的答案")
    assert entry.versions.get(version=2).note == "后台修改"
    assert AuditEntry.objects.filter(action="knowledge.entry_update", target_id=entry.pk).exists()


def test_an_entry_added_in_the_back_office_is_version_1_with_clean_phrasings(
    client_for, admin_user
):
    response = client_for(admin_user).post(
        "/admin/knowledge/entry/add/", _admin_form(phrasings="说法一\n说法一\n后台新建的问题")
    )
    assert response.status_code == 302
    entry = Entry.objects.get(question="后台新建的问题")
    assert (entry.version, entry.phrasings, entry.tags) == (1, ["说法一"], ["后台", "测试"])
    assert entry.versions.count() == 1


def test_the_back_office_refuses_what_the_console_refuses(client_for, admin_user):
    entry = EntryFactory()
    response = client_for(admin_user).post(
        f"/admin/knowledge/entry/{entry.pk}/change/",
        _admin_form(entry, valid_from="2026-05-01", valid_until="2026-04-01"),
    )
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors["valid_until"]
    entry.refresh_from_db()
    assert entry.version == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/knowledge/entryversion/",
        "/admin/knowledge/conversation/",
        "/admin/knowledge/turn/?decision__exact=handover",
        "/admin/knowledge/entry/?category__exact=ordering",
    ],
)
def test_the_back_office_lists_open(client_for, admin_user, url):
    assert client_for(admin_user).get(url).status_code == 200


def test_versions_and_conversations_cannot_be_added_in_the_back_office(client_for, admin_user):
    client = client_for(admin_user)
    assert client.get("/admin/knowledge/entryversion/add/").status_code == 403
    assert client.get("/admin/knowledge/turn/add/").status_code == 403
