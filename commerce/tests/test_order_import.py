"""commerce.importers: order lines checked against stored shops and products, then created."""

from decimal import Decimal

import pytest

from commerce.importers import order_rows_check, order_rows_write
from commerce.models import Order
from commerce.tests.factories import ProductFactory

HEADERS = ["number", "licence_no", "ordered_on", "product_code", "quantity", "unit_price"]


def _check(rows):
    return order_rows_check(
        HEADERS, [(n, dict(zip(HEADERS, r, strict=True))) for n, r in enumerate(rows, start=2)]
    )


def test_a_line_without_a_price_takes_the_products_price(shop):
    ProductFactory(code="P9", unit_price=Decimal("88.80"))
    check = _check([["DD7", shop.licence_no, "2026/11/2", "P9", "2", ""]])
    assert not check.errors
    result = order_rows_write(check)
    order = Order.objects.get()
    assert (result.orders, result.lines) == (1, 1)
    assert (order.total_amount, order.ordered_on.isoformat()) == (Decimal("177.60"), "2026-11-02")


def test_bad_quantities_and_prices_are_named_by_row_and_column(shop):
    ProductFactory(code="P9")
    check = _check(
        [
            ["DD7", shop.licence_no, "2026-11-02", "P9", "1.5", "1.234"],
            ["DD8", shop.licence_no, "", "P9", "0", "abc"],
        ]
    )
    assert [(e.row, e.column) for e in check.errors] == [
        (2, "数量/quantity"),
        (2, "单价/unit_price"),
        (3, "订货日期/ordered_on"),
        (3, "数量/quantity"),
        (3, "单价/unit_price"),
    ]
    with pytest.raises(ValueError):
        order_rows_write(check)
    assert not Order.objects.exists()
