"""manage.py import_shops / import_orders: progress on the terminal, errors and exit code."""

import pytest
from django.core.management import CommandError, call_command

from commerce.models import Order
from commerce.tests.factories import ProductFactory
from customers.models import Shop
from imports.tests.files import ORDER_HEADERS, SHOP_HEADERS_ZH, csv_bytes, shop_row


def test_import_shops_prints_progress_and_imports(tmp_path, capsys, grid):
    path = tmp_path / "shops.csv"
    path.write_bytes(csv_bytes(SHOP_HEADERS_ZH, [shop_row(grid.code, n) for n in range(1, 4)]))
    call_command("import_shops", str(path), "--language", "en")
    out = capsys.readouterr().out
    assert "100% Importing 3/3 rows" in out and "rows/s" in out
    assert "3 created, 0 updated" in out
    assert Shop.objects.count() == 3


def test_a_rejected_file_prints_each_error_and_fails(tmp_path, capsys, grid):
    path = tmp_path / "shops.csv"
    rows = [shop_row(grid.code, 1), shop_row(grid.code, 2, grade="99")]
    path.write_bytes(csv_bytes(SHOP_HEADERS_ZH, rows))
    with pytest.raises(CommandError):
        call_command("import_shops", str(path), "--language", "en")
    assert "Row 3, column 档级/grade: " in capsys.readouterr().err
    assert not Shop.objects.exists()


def test_import_orders_creates_the_orders(tmp_path, shop):
    ProductFactory(code="P001")
    path = tmp_path / "orders.csv"
    path.write_bytes(
        csv_bytes(ORDER_HEADERS, [["DD1", shop.licence_no, "2026-11-02", "P001", 3, ""]])
    )
    call_command("import_orders", str(path))
    assert Order.objects.get().total_quantity == 3


def test_a_missing_file_is_a_command_error(tmp_path, db):
    with pytest.raises(CommandError):
        call_command("import_orders", str(tmp_path / "nope.csv"))
