"""Closing and reopening a shop: dated, validated, audited, refused to other roles."""

import datetime

from audit.models import AuditEntry
from customers.models import Shop


def test_manager_closes_a_shop_on_a_date_and_reopens_it(client_for, service_manager, shop):
    client = client_for(service_manager)
    closed = client.post(
        f"/api/customers/shops/{shop.pk}/close",
        {"closed_on": "2026-11-02"},
        content_type="application/json",
    )
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closed_on"]) == ("closed", "2026-11-02")
    again = client.post(
        f"/api/customers/shops/{shop.pk}/close", {}, content_type="application/json"
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "shop_already_closed")
    reopened = client.post(f"/api/customers/shops/{shop.pk}/reopen").json()
    assert (reopened["status"], reopened["closed_on"]) == ("active", None)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["shop.closed", "shop.reopened"]


def test_a_closing_date_before_opening_or_in_the_future_is_refused(
    client_for, service_manager, shop
):
    client = client_for(service_manager)
    for day in ("2019-12-31", (datetime.date.today() + datetime.timedelta(days=3)).isoformat()):
        response = client.post(
            f"/api/customers/shops/{shop.pk}/close",
            {"closed_on": day},
            content_type="application/json",
        )
        assert response.status_code == 422 and "closed_on" in response.json()["error"]["fields"]
    assert Shop.objects.get(pk=shop.pk).status == "active"


def test_account_managers_cannot_close_shops(client_for, account_manager, shop):
    response = client_for(account_manager).post(
        f"/api/customers/shops/{shop.pk}/close", {}, content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert Shop.objects.get(pk=shop.pk).status == "active"


def test_the_shop_page_closes_and_reopens_with_htmx(client_for, service_manager, shop):
    client = client_for(service_manager)
    url = f"/console/shops/{shop.pk}/status/"
    html = client.post(
        url, {"action": "close", "closed_on": "2026-11-03"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'value="reopen"' in html
    assert Shop.objects.get(pk=shop.pk).closed_on == datetime.date(2026, 11, 3)
    bad = client.post(url, {"action": "close"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-error-code="shop_already_closed"' in bad
    client.post(url, {"action": "reopen"}, HTTP_HX_REQUEST="true")
    assert Shop.objects.get(pk=shop.pk).status == "active"


def test_a_malformed_closing_date_on_the_page_changes_nothing(client_for, service_manager, shop):
    response = client_for(service_manager).post(
        f"/console/shops/{shop.pk}/status/",
        {"action": "close", "closed_on": "2026-02-30"},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-error-code="invalid"' in response.content.decode()
    assert Shop.objects.get(pk=shop.pk).status == "active"
