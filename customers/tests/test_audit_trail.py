"""Changes to shops, rules and plans leave an append-only trail that managers can read.

(Here, not in audit/tests: these are customers' writes, and audit sits below customers.)
"""

from audit.models import AuditEntry
from customers.models import ServicePlan
from customers.tests.factories import ShopFactory


def test_a_shop_edit_records_who_changed_which_field_from_what_to_what(client_for, service_manager):
    shop = ShopFactory(grade=10, phone="13900000000")
    client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}",
        {"grade": 20, "phone": "13911112222", "address": shop.address},
        content_type="application/json",
    )
    entry = AuditEntry.objects.get(action="shop.updated")
    assert entry.actor == service_manager and entry.shop_id == shop.pk
    assert entry.changes == {"grade": [10, 20], "phone": ["13900000000", "13911112222"]}


def test_a_refused_edit_records_nothing(client_for, service_manager):
    shop = ShopFactory()
    response = client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}", {"phone": "123"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert not AuditEntry.objects.exists()


def test_managers_see_the_change_log_on_the_shop_page_and_staff_do_not(
    client_for, service_manager, account_manager, grid
):
    shop = ShopFactory(grid=grid, grade=10)
    client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}", {"grade": 11}, content_type="application/json"
    )
    manager_page = client_for(service_manager).get(f"/console/shops/{shop.pk}/")
    assert manager_page.context["audit"][0].changes[0][1:] == (10, 11)
    staff_page = client_for(account_manager).get(f"/console/shops/{shop.pk}/")
    assert staff_page.status_code == 200 and staff_page.context["audit"] is None


def test_rule_changes_and_plan_changes_are_recorded(client_for, service_manager):
    client = client_for(service_manager)
    draft = client.post(
        "/api/customers/segment-rule-sets",
        {"rules": [{"segment": "core", "grade_min": 25, "star_min": 4}], "note": "更严格"},
        content_type="application/json",
    ).json()
    client.post(f"/api/customers/segment-rule-sets/{draft['id']}/activate")
    plan = ServicePlan.objects.get(segment="key")
    client.patch(
        f"/api/customers/service-plans/{plan.pk}",
        {
            "visits_per_month": "3",
            "sla_targets": [
                {"category": "complaint", "first_response_min": 20, "resolution_min": 300}
            ],
        },
        content_type="application/json",
    )
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["rule_set.saved", "rule_set.applied", "service_plan.updated"]
    plan_change = AuditEntry.objects.get(action="service_plan.updated").changes
    assert plan_change["visits_per_month"] == ["2.0", "3"]
    assert plan_change["sla_targets"][1]["complaint"] == [20, 300]


def test_an_unknown_service_item_is_refused_and_nothing_changes(client_for, service_manager):
    plan = ServicePlan.objects.get(segment="key")
    before = sorted(plan.service_items.values_list("pk", flat=True))
    response = client_for(service_manager).patch(
        f"/api/customers/service-plans/{plan.pk}",
        {"service_item_ids": [before[0], 999999]},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid")
    assert sorted(plan.service_items.values_list("pk", flat=True)) == before
    assert not AuditEntry.objects.exists()


def test_ticking_the_same_channels_in_another_order_is_not_a_change(client_for, service_manager):
    shop = ShopFactory(contact_channels=["wechat", "phone"])
    client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}",
        {"contact_channels": ["phone", "wechat"]},
        content_type="application/json",
    )
    shop.refresh_from_db()
    assert shop.contact_channels == ["wechat", "phone"]
    assert not AuditEntry.objects.exists()


def test_the_log_reads_labels_not_codes(client_for, service_manager):
    shop = ShopFactory(business_type="kiosk", contact_channels=["sms"])
    client_for(service_manager).patch(
        f"/api/customers/shops/{shop.pk}",
        {"business_type": "supermarket", "contact_channels": ["sms", "wechat"]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = client_for(service_manager).get(f"/console/shops/{shop.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    changes = {label: (old, new) for label, old, new in page.context["audit"][0].changes}
    assert changes["business type"] == ("Kiosk", "Supermarket")
    assert changes["preferred contact channels"] == ("SMS", "SMS、WeChat")
