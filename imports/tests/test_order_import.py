"""Order files: lines with the same number form one order; stored orders are never changed."""

from decimal import Decimal

from commerce.models import Order, OrderLine
from commerce.tests.factories import OrderFactory, ProductFactory
from customers.tests.factories import ShopFactory
from imports.tests.files import ORDER_HEADERS, csv_bytes, xlsx_bytes


def _job(client, response):
    assert response.status_code == 201, response.content
    return client.get(f"/api/imports/jobs/{response.json()['id']}").json()


def test_lines_with_the_same_number_become_one_order_with_totals(
    upload, client_for, admin_user, shop, other_shop
):
    ProductFactory(code="P001", unit_price=Decimal("150.00"))
    ProductFactory(code="P002", unit_price=Decimal("260.00"))
    rows = [
        ["DD1", shop.licence_no, "2026-11-02", "P001", "10", ""],
        ["DD2", other_shop.licence_no, "2026-11-03", "P001", "1", "149.50"],
        ["DD1", shop.licence_no, "2026-11-02", "P002", "2", "255"],
    ]
    job = _job(
        client_for(admin_user),
        upload(admin_user, "orders.csv", csv_bytes(ORDER_HEADERS, rows), kind="orders"),
    )
    assert (job["status"], job["total_rows"], job["created_count"]) == ("succeeded", 3, 2)
    first = Order.objects.get(number="DD1")
    assert (first.shop, first.total_quantity, first.total_amount) == (
        shop,
        12,
        Decimal("2010.00"),
    )
    lines = OrderLine.objects.filter(order=first).order_by("id")
    assert [(line.product.code, line.unit_price, line.amount) for line in lines] == [
        ("P001", Decimal("150.00"), Decimal("1500.00")),  # blank price: the product's price
        ("P002", Decimal("255.00"), Decimal("510.00")),
    ]
    assert Order.objects.get(number="DD2").total_amount == Decimal("149.50")


def test_an_order_number_already_stored_rejects_the_file(upload, client_for, admin_user, shop):
    ProductFactory(code="P001")
    OrderFactory(number="DD1", shop=shop)
    rows = [
        ["DD9", shop.licence_no, "2026-11-02", "P001", "1", ""],
        ["DD1", shop.licence_no, "2026-11-02", "P001", "1", ""],
    ]
    job = _job(
        client_for(admin_user),
        upload(admin_user, "orders.xlsx", xlsx_bytes(ORDER_HEADERS, rows), kind="orders"),
    )
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "订单号/number")]
    assert not Order.objects.filter(number="DD9").exists()
    assert Order.objects.count() == 1


def test_rows_of_one_order_must_agree_on_shop_and_date(upload, client_for, admin_user, shop):
    other = ShopFactory()
    ProductFactory(code="P001")
    rows = [
        ["DD1", shop.licence_no, "2026-11-02", "P001", "1", ""],
        ["DD1", other.licence_no, "2026-11-03", "P001", "1", ""],
        ["DD2", "340199999999", "2026-11-02", "NOPE", "0", "-1"],
    ]
    job = _job(
        client_for(admin_user),
        upload(admin_user, "orders.csv", csv_bytes(ORDER_HEADERS, rows), kind="orders"),
    )
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        (3, "许可证号/licence_no"),
        (3, "订货日期/ordered_on"),
        (4, "许可证号/licence_no"),
        (4, "商品编码/product_code"),
        (4, "数量/quantity"),
        (4, "单价/unit_price"),
    ]
    assert not Order.objects.exists()
