"""/api/outreach: a shop reads only its own messages and settings; staff read campaigns in scope."""

import pytest

from customers.tests.factories import ShopFactory
from outreach.models import Campaign, ConsentRecord, ContactPreference, Delivery
from outreach.tests.factories import TemplateFactory, make_delivery

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_a_shop_lists_and_reads_only_its_own_messages(
    client_for, shop_owner, shop, other_shop, other_shop_owner
):
    mine = make_delivery(shop, "in_app", status=Delivery.Status.DELIVERED)
    theirs = make_delivery(other_shop, "in_app", status=Delivery.Status.DELIVERED)
    client = client_for(shop_owner)
    items = client.get("/api/outreach/messages").json()["items"]
    assert [m["id"] for m in items] == [mine.pk]
    assert items[0]["subject"] == "到货通知" and shop.name in items[0]["text"]
    assert items[0]["read"] is False and "/o/l/" in items[0]["link"]

    answer = client.post(f"/api/outreach/messages/{mine.pk}/read")
    assert answer.status_code == 200 and answer.json()["read"] is True
    mine.refresh_from_db()
    assert mine.status == Delivery.Status.READ

    assert client.post(f"/api/outreach/messages/{theirs.pk}/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Delivery.Status.DELIVERED


def test_preferences_round_trip_with_a_consent_record(client_for, shop_owner, shop):
    client = client_for(shop_owner)
    body = client.get("/api/outreach/preferences").json()
    assert body["topics"] == [] and body["statement"]
    answer = client.put(
        "/api/outreach/preferences",
        {"channels": ["email", "sms"], "topics": ["marketing"], "email": "a@example.com"},
        content_type=JSON,
    )
    assert answer.status_code == 200
    assert answer.json()["channels"] == ["email", "sms"]
    records = ConsentRecord.objects.filter(shop=shop)
    assert set(records.values_list("what", flat=True)) == {"channels", "topics", "email"}
    assert all(r.wording == body["statement"] for r in records)


@pytest.mark.parametrize(
    "bad",
    [
        {"channels": ["fax"], "topics": [], "email": ""},
        {"channels": ["sms"], "topics": ["gossip"], "email": ""},
        {"channels": ["sms"], "topics": [], "email": "not-an-address"},
    ],
)
def test_bad_preferences_change_nothing(client_for, shop_owner, shop, bad):
    answer = client_for(shop_owner).put("/api/outreach/preferences", bad, content_type=JSON)
    assert answer.status_code == 422
    assert answer.json()["error"]["message"]
    assert not ContactPreference.objects.exists() and not ConsentRecord.objects.exists()


def test_campaigns_for_staff_only_and_created_by_managers(
    client_for, service_manager, account_manager, shop_owner
):
    ShopFactory(segment="core")
    template = TemplateFactory(created_by=service_manager)
    body = {"name": "新品", "template_id": template.pk, "audience": {"segments": ["core"]}}
    assert client_for(shop_owner).get("/api/outreach/campaigns").status_code == 403
    refused = client_for(account_manager).post("/api/outreach/campaigns", body, content_type=JSON)
    assert refused.status_code == 403
    made = client_for(service_manager).post("/api/outreach/campaigns", body, content_type=JSON)
    assert made.status_code == 201 and made.json()["template"] == template.name
    campaign = Campaign.objects.get()
    items = client_for(account_manager).get("/api/outreach/campaigns").json()["items"]
    assert [c["id"] for c in items] == [campaign.pk]
    funnel = client_for(service_manager).get(f"/api/outreach/campaigns/{campaign.pk}/funnel")
    assert funnel.status_code == 200
    assert funnel.json()["stages"][0]["key"] == "targeted"


def test_an_empty_audience_is_refused_with_its_code(client_for, service_manager):
    template = TemplateFactory(created_by=service_manager)
    body = {"name": "空", "template_id": template.pk, "audience": {"segments": ["core"]}}
    answer = client_for(service_manager).post("/api/outreach/campaigns", body, content_type=JSON)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "empty_audience"
    assert not Campaign.objects.exists()
