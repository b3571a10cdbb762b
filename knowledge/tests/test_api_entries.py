"""/api/knowledge/entries: staff read the knowledge base; knowledge managers write versions."""

from knowledge.models import Entry

BODY = {
    "category": "ordering",
    "question": "节假日前订货有什么安排",
    "phrasings": ["过年前怎么订货", "节假日前订货有什么安排"],
    "answer": "节前一周按公告提前订货。",
    "tags": ["节假日"],
}


def test_manager_creates_and_versions_an_entry(client_for, service_manager):
    client = client_for(service_manager)
    created = client.post("/api/knowledge/entries", BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    entry = created.json()
    assert entry["version"] == 1 and entry["phrasings"] == ["过年前怎么订货"]
    assert entry["code"].startswith("kb-ordering-")
    url = f"/api/knowledge/entries/{entry['id']}"
    saved = client.put(
        url,
        {**BODY, "answer": "节前两周提前订货。", "expected_version": 1},
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = client.put(
        url, {**BODY, "answer": "又改了", "expected_version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "entry_changed"
    assert Entry.objects.get(pk=entry["id"]).answer == "节前两周提前订货。"


def test_staff_read_but_cannot_write_and_shops_cannot_read(client_for, account_manager, shop_owner):
    staff = client_for(account_manager)
    listed = staff.get("/api/knowledge/entries?category=licence").json()
    assert listed["count"] == Entry.objects.filter(category="licence").count() > 0
    refused = staff.post("/api/knowledge/entries", BODY, content_type="application/json")
    assert refused.status_code == 403
    assert client_for(shop_owner).get("/api/knowledge/entries").status_code == 403


def test_invalid_entry_is_refused_with_field_errors(client_for, service_manager):
    before = Entry.objects.count()
    bad = client_for(service_manager).post(
        "/api/knowledge/entries",
        {**BODY, "category": "nope", "valid_from": "2026-12-01", "valid_until": "2026-11-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) >= {"category", "valid_until"}
    assert Entry.objects.count() == before
