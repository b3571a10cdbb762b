"""Order pages: a shop owner's orders in the portal, one order with lines, delivery, payments."""

import re
from decimal import Decimal

from commerce.models import Payment
from commerce.tests.factories import (
    DeliveryFactory,
    OrderFactory,
    OrderLineFactory,
    PaymentFactory,
    ProductFactory,
)

ORDER_LINK = re.compile(r'href="/portal/orders/\d+/"')


def _order(shop, **kwargs):
    order = OrderFactory(shop=shop, total_quantity=12, total_amount=Decimal("1860.00"), **kwargs)
    OrderLineFactory(
        order=order,
        product=ProductFactory(brand="黄山", name="红方印"),
        quantity=12,
        unit_price=Decimal("155.00"),
        amount=Decimal("1860.00"),
    )
    DeliveryFactory(order=order, route_code="R07", driver_name="李师傅")
    PaymentFactory(order=order, amount=Decimal("1860.00"), status=Payment.Status.FAILED)
    return order


def test_shop_owner_lists_only_their_orders(client_for, shop_owner, shop, other_shop):
    mine = OrderFactory(shop=shop, number="DD202611020001")
    OrderFactory(shop=other_shop, number="DD202611020002")
    response = client_for(shop_owner).get("/portal/orders/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/portal/orders/{mine.pk}/"' in html
    assert "DD202611020002" not in html
    assert "1 order" in html


def test_the_order_list_filters_by_status_and_pages(client_for, shop_owner, shop):
    OrderFactory.create_batch(22, shop=shop, status="delivered")
    OrderFactory(shop=shop, status="cancelled", number="DD202611020099")
    client = client_for(shop_owner)
    cancelled = client.get("/portal/orders/?status=cancelled").content.decode()
    assert "DD202611020099" in cancelled and len(ORDER_LINK.findall(cancelled)) == 1
    first = client.get("/portal/orders/?status=delivered").content.decode()
    assert len(ORDER_LINK.findall(first)) == 20
    assert "?status=delivered&amp;page=2" in first


def test_shop_owner_sees_lines_delivery_and_payments_of_their_order(client_for, shop_owner, shop):
    order = _order(shop)
    response = client_for(shop_owner).get(f"/portal/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html
    assert "黄山" in html and "红方印" in html and "155.00" in html and "1,860.00" in html
    assert "R07" in html and "李师傅" in html
    assert 'class="row-failed"' in html and "Failed" in html


def test_another_shops_order_answers_not_found(client_for, shop_owner, other_shop):
    order = _order(other_shop)
    response = client_for(shop_owner).get(f"/portal/orders/{order.pk}/")
    assert response.status_code == 404
    assert order.number not in response.content.decode()


def test_staff_open_the_order_from_the_console_within_their_scope(
    client_for, account_manager, shop, other_shop
):
    mine, theirs = _order(shop), _order(other_shop)
    client = client_for(account_manager)
    response = client.get(f"/console/orders/{mine.pk}/")
    assert response.status_code == 200
    assert f'href="/console/shops/{shop.pk}/"' in response.content.decode()
    assert client.get(f"/console/orders/{theirs.pk}/").status_code == 404


def test_each_role_keeps_to_its_own_side(client_for, shop_owner, account_manager, shop):
    order = _order(shop)
    assert client_for(account_manager).get("/portal/orders/").status_code == 403
    assert client_for(account_manager).get(f"/portal/orders/{order.pk}/").status_code == 403
    assert client_for(shop_owner).get(f"/console/orders/{order.pk}/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, shop):
    order = _order(shop)
    for url in ("/portal/orders/", f"/portal/orders/{order.pk}/", f"/console/orders/{order.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_an_order_without_delivery_or_payments_still_shows(client_for, shop_owner, shop):
    order = OrderFactory(shop=shop)
    response = client_for(shop_owner).get(f"/portal/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No delivery is planned yet." in html and "No payments yet." in html
