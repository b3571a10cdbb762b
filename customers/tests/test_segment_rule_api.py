"""Rule sets through the API: draft, preview (no write), apply (history), permissions."""

from customers.models import SegmentChange, SegmentRuleSet, Shop
from customers.tests.factories import ShopFactory

RAISE_THE_BAR = {
    "rules": [
        {"segment": "core", "grade_min": 28, "star_min": 5},
        {"segment": "key", "grade_min": 20, "star_min": 4},
    ],
    "default_segment": "ordinary",
    "note": "stricter",
}


def _shops():
    return [
        ShopFactory(grade=26, star=4, segment="core"),  # core → key (fails 28/5)
        ShopFactory(grade=29, star=5, segment="core"),  # stays core
        ShopFactory(grade=22, star=4, segment="key"),  # stays key
        ShopFactory(grade=5, star=1, segment="ordinary"),  # stays ordinary
    ]


def test_preview_counts_moves_and_writes_nothing(client_for, service_manager):
    shops = _shops()
    response = client_for(service_manager).post(
        "/api/customers/segment-preview", RAISE_THE_BAR, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["moved"]) == (4, 1)
    assert body["transitions"] == [{"from_segment": "core", "to_segment": "key", "shops": 1}]
    assert body["before"]["core"] == 2 and body["after"]["core"] == 1
    assert SegmentChange.objects.count() == 0
    assert [Shop.objects.get(pk=s.pk).segment for s in shops] == [s.segment for s in shops]


def test_applying_a_draft_reclassifies_and_records_history(client_for, service_manager):
    moved, *_ = _shops()
    client = client_for(service_manager)
    draft = client.post(
        "/api/customers/segment-rule-sets", RAISE_THE_BAR, content_type="application/json"
    ).json()
    assert (draft["version"], draft["status"]) == (2, "draft")
    result = client.post(f"/api/customers/segment-rule-sets/{draft['id']}/activate").json()
    assert result == {
        "rule_set_version": 2,
        "shops_checked": 4,
        "shops_moved": 1,
        "moved_to": {"key": 1},
    }
    moved.refresh_from_db()
    assert moved.segment == "key"
    change = SegmentChange.objects.get(shop=moved)
    assert (change.from_segment, change.to_segment, change.rule_set.version) == (
        "core",
        "key",
        2,
    )
    statuses = dict(SegmentRuleSet.objects.values_list("version", "status"))
    assert statuses == {1: "retired", 2: "active"}


def test_an_applied_rule_set_cannot_be_applied_again(client_for, service_manager):
    active = SegmentRuleSet.objects.get(status="active")
    response = client_for(service_manager).post(
        f"/api/customers/segment-rule-sets/{active.pk}/activate"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "rule_set_not_draft")


def test_bad_rules_are_refused_with_the_field_named(client_for, service_manager):
    bad = {"rules": [{"segment": "core", "grade_min": 25, "grade_max": 3}]}
    response = client_for(service_manager).post(
        "/api/customers/segment-rule-sets", bad, content_type="application/json"
    )
    assert response.status_code == 422
    assert "rules[1].grade_min" in response.json()["error"]["fields"]
    assert SegmentRuleSet.objects.count() == 1


def test_account_managers_read_rules_but_may_not_change_them(client_for, account_manager):
    client = client_for(account_manager)
    assert client.get("/api/customers/segment-rule-sets").status_code == 200
    response = client.post(
        "/api/customers/segment-rule-sets", RAISE_THE_BAR, content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    preview = client.post(
        "/api/customers/segment-preview", RAISE_THE_BAR, content_type="application/json"
    )
    assert preview.status_code == 403


def test_shop_owners_cannot_read_rule_sets(client_for, shop_owner):
    response = client_for(shop_owner).get("/api/customers/segment-rule-sets")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_changing_a_grade_reclassifies_the_shop(client_for, service_manager):
    shop = ShopFactory(grade=10, star=4, segment="potential")
    response = client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}", {"grade": 25}, content_type="application/json"
    )
    assert response.json()["segment"] == "core"
    assert SegmentChange.objects.filter(shop=shop, to_segment="core").count() == 1
