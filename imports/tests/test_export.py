"""Exports: only the shops and orders the user may see, phones masked without the contact perm."""

import csv
import io

import openpyxl
import pytest

from accounts.models import Role
from commerce.tests.factories import OrderLineFactory
from customers.models import Shop
from customers.tests.factories import ShopFactory
from flexserve import policy
from flexserve.policy import Perm


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # so Excel reads the Chinese text as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_an_account_managers_export_holds_only_their_shops(
    client_for, account_manager, shop, other_shop
):
    assigned = ShopFactory(account_manager=account_manager)
    response = client_for(account_manager).get("/imports/export/shops.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    assert header[:4] == ["许可证号", "店名", "负责人", "电话"]
    assert sorted(r[0] for r in rows) == sorted([shop.licence_no, assigned.licence_no])
    assert {r[3] for r in rows} == {shop.phone, assigned.phone}  # staff who serve them: in full


def test_phones_are_masked_for_a_role_without_the_contact_permission(
    client_for, account_manager, shop, monkeypatch
):
    perms = policy.ROLE_PERMS[Role.ACCOUNT_MANAGER] - {Perm.SHOP_VIEW_CONTACT}
    monkeypatch.setitem(policy.ROLE_PERMS, Role.ACCOUNT_MANAGER, perms)
    _, row = _csv(client_for(account_manager).get("/imports/export/shops.csv"))
    assert row[3] == shop.masked_phone != shop.phone


def test_the_shop_list_filters_narrow_the_export(client_for, dispatcher, db):
    ShopFactory(grade=25, star=5)
    ShopFactory(grade=3, star=1)
    rows = _csv(client_for(dispatcher).get("/imports/export/shops.csv?grade_min=20"))[1:]
    assert [int(r[10]) for r in rows] == [25]


def test_shop_owners_cannot_export_and_anonymous_users_must_log_in(client_for, shop_owner):
    assert client_for(shop_owner).get("/imports/export/shops.csv").status_code == 403
    assert client_for(shop_owner).get("/imports/export/orders.xlsx").status_code == 403
    response = client_for(None).get("/imports/export/shops.xlsx")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_xlsx_export_opens_with_the_same_columns(client_for, dispatcher, shop):
    response = client_for(dispatcher).get(
        "/imports/export/shops.xlsx", headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("licence_no", "name", "owner_name")
    assert (row[0], row[7], row[10]) == (shop.licence_no, shop.grid.code, shop.grade)


def test_an_exported_file_imports_again_unchanged(client_for, admin_user, upload, shop, other_shop):
    content = b"".join(client_for(admin_user).get("/imports/export/shops.csv").streaming_content)
    before = list(Shop.objects.order_by("pk").values())
    response = upload(admin_user, "export.csv", content)
    job = client_for(admin_user).get(f"/api/imports/jobs/{response.json()['id']}").json()
    assert (job["status"], job["created_count"], job["updated_count"]) == ("succeeded", 0, 2)
    after = list(Shop.objects.order_by("pk").values())
    ignore = {"updated_at", "segment"}
    assert [{k: v for k, v in s.items() if k not in ignore} for s in after] == [
        {k: v for k, v in s.items() if k not in ignore} for s in before
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_order_export_has_one_row_per_line_of_visible_orders(
    client_for, account_manager, shop, other_shop, fmt
):
    mine = OrderLineFactory(order__shop=shop)
    OrderLineFactory(order=mine.order)
    OrderLineFactory(order__shop=other_shop)
    response = client_for(account_manager).get(f"/imports/export/orders.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        rows = _csv(response)[1:]
    else:
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(book.active.iter_rows(values_only=True))[1:]
    assert [(r[0], r[1]) for r in rows] == [(mine.order.number, shop.licence_no)] * 2


def test_text_that_looks_like_a_formula_is_exported_as_text(client_for, dispatcher, db):
    shop = ShopFactory(name="=HYPERLINK(1)")
    client = client_for(dispatcher)
    _, row = _csv(client.get("/imports/export/shops.csv"))
    assert row[1] == "'=HYPERLINK(1)"
    response = client.get("/imports/export/shops.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == (shop.name, "s")
