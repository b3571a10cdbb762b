"""commerce's panels (commerce/panels.py): recent orders on the console shop page and the portal
home, drawn through flexserve.panels so that customers does not import commerce."""

from decimal import Decimal

from commerce.models import Payment
from commerce.tests.factories import DeliveryFactory, OrderFactory, PaymentFactory
from flexserve import panels


def test_the_orders_panel_is_registered_on_the_shop_page_and_the_portal_home():
    assert "commerce.activity" in [p.key for p in panels.registered(panels.CONSOLE_SHOP)]
    assert "commerce.activity" in [p.key for p in panels.registered(panels.PORTAL_HOME)]


def test_staff_see_the_shops_recent_orders_on_the_console_shop_page(
    client_for, account_manager, shop, other_shop
):
    order = OrderFactory(shop=shop)
    OrderFactory(shop=other_shop, number="DD202611029999")
    response = client_for(account_manager).get(f"/console/shops/{shop.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/console/orders/{order.pk}/"' in html
    assert "DD202611029999" not in html


def test_recent_orders_link_to_the_order_page_and_failed_payments_stand_out(
    client_for, shop_owner, shop, other_shop
):
    order = OrderFactory(shop=shop, number="DD202611020001", total_amount=Decimal("1234.50"))
    DeliveryFactory(order=order)
    PaymentFactory(order=order, status=Payment.Status.FAILED, failure_reason="余额不足")
    OrderFactory(shop=other_shop, number="DD202611029999")
    html = client_for(shop_owner).get("/portal/").content.decode()
    assert f'href="/portal/orders/{order.pk}/"' in html
    assert "1,234.50" in html or "1234.50" in html
    assert 'class="row-failed"' in html and "余额不足" in html
    assert "DD202611029999" not in html
