"""Shop files through the API: all rows or none, upsert by licence, classification recorded."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import SegmentChange, Shop
from customers.tests.factories import ShopFactory
from imports.tests.files import (
    SHOP_HEADERS_EN,
    SHOP_HEADERS_ZH,
    csv_bytes,
    shop_row,
    xlsx_bytes,
)


def _job(client, response):
    assert response.status_code == 201, response.content
    return client.get(f"/api/imports/jobs/{response.json()['id']}").json()


def test_a_good_csv_file_creates_every_shop_and_classifies_it(upload, client_for, admin_user, grid):
    manager = UserFactory(username="zhang", role=Role.ACCOUNT_MANAGER)
    rows = [shop_row(grid.code, n, account_manager="zhang") for n in range(1, 4)]
    response = upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_ZH, rows))
    job = _job(client_for(admin_user), response)
    assert (job["status"], job["total_rows"], job["created_count"], job["updated_count"]) == (
        "succeeded",
        3,
        3,
        0,
    )
    shop = Shop.objects.get(licence_no="340104000001")
    assert (shop.name, shop.phone, shop.grid, shop.account_manager) == (
        "导入便利店1",
        "13800000001",
        grid,
        manager,
    )
    assert (shop.business_type, shop.market_type, shop.grade, shop.star) == (
        "convenience",
        "urban",
        26,
        5,
    )
    assert shop.latitude == Decimal("31.800000")
    assert shop.contact_channels == ["wechat", "phone"]
    assert shop.opened_on == datetime.date(2021, 5, 1)
    assert shop.segment == "core"  # grade 26, five stars under the default rules
    change = SegmentChange.objects.get(shop=shop)
    assert (change.from_segment, change.to_segment, change.changed_by) == ("", "core", admin_user)


def test_a_good_xlsx_file_with_english_headers_imports(upload, client_for, admin_user, grid):
    # Excel keeps numbers as numbers: licence, phone, grade and coordinates arrive as floats.
    row = shop_row(
        grid.code,
        7,
        licence_no=340104000007,
        phone=13800000007,
        latitude=31.8,
        longitude=117.29,
        grade=12,
        star=3,
        opened_on=datetime.datetime(2022, 3, 4),
        business_type="supermarket",
    )
    response = upload(admin_user, "shops.xlsx", xlsx_bytes(SHOP_HEADERS_EN, [row]))
    assert _job(client_for(admin_user), response)["status"] == "succeeded"
    shop = Shop.objects.get(licence_no="340104000007")
    assert (shop.phone, shop.grade, shop.star, shop.opened_on, shop.business_type) == (
        "13800000007",
        12,
        3,
        datetime.date(2022, 3, 4),
        "supermarket",
    )
    assert shop.segment == "potential"


def test_one_bad_row_rejects_the_whole_file_and_changes_nothing(
    upload, client_for, admin_user, grid
):
    existing = ShopFactory(licence_no="340104000001", name="原店名", grid=grid)
    before = Shop.objects.count()
    rows = [shop_row(grid.code, n) for n in range(1, 6)]
    rows[3] = shop_row(grid.code, 4, phone="12345")  # row 5 of the sheet (header is row 1)
    response = upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_ZH, rows))
    job = _job(client_for(admin_user), response)
    assert job["status"] == "failed"
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(5, "电话/phone")]
    assert job["errors"][0]["message"]
    assert Shop.objects.count() == before
    existing.refresh_from_db()
    assert existing.name == "原店名"
    assert not SegmentChange.objects.exists()


def test_every_bad_cell_is_reported_with_its_row_and_column(upload, client_for, admin_user, grid):
    rows = [
        shop_row(grid.code, 1, grade="31", star="0"),
        shop_row("NOPE", 2, licence_no="99"),
        shop_row(grid.code, 3, latitude="north", opened_on="yesterday", market_type="space"),
    ]
    job = _job(
        client_for(admin_user),
        upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_EN, rows)),
    )
    assert [(e["row"], e["column"]) for e in job["errors"]] == [
        (2, "档级/grade"),
        (2, "星级/star"),
        (3, "许可证号/licence_no"),
        (3, "网格编码/grid_code"),
        (4, "纬度/latitude"),
        (4, "市场类型/market_type"),
        (4, "开业日期/opened_on"),
    ]
    assert job["error_count"] == 7
    assert not Shop.objects.exists()


def test_a_licence_twice_in_the_file_is_rejected(upload, client_for, admin_user, grid):
    rows = [shop_row(grid.code, 1), shop_row(grid.code, 2), shop_row(grid.code, 1)]
    job = _job(
        client_for(admin_user), upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_ZH, rows))
    )
    assert job["status"] == "failed"
    [error] = job["errors"]
    assert (error["row"], error["column"]) == (4, "许可证号/licence_no")
    assert "2" in error["message"]  # names the row it first appeared in
    assert not Shop.objects.exists()


def test_an_existing_licence_updates_that_shop_and_records_its_new_class(
    upload, client_for, admin_user, grid
):
    existing = ShopFactory(
        licence_no="340104000001", name="原店名", grade=5, star=1, segment="ordinary", grid=grid
    )
    rows = [shop_row(grid.code, 1, name="新店名", grade="20", star="3"), shop_row(grid.code, 2)]
    job = _job(
        client_for(admin_user), upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_ZH, rows))
    )
    assert (job["created_count"], job["updated_count"]) == (1, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.grade, existing.star, existing.segment) == (
        "新店名",
        20,
        3,
        "key",
    )
    assert existing.opened_on == datetime.date(2021, 5, 1)
    change = SegmentChange.objects.get(shop=existing)
    assert (change.from_segment, change.to_segment) == ("ordinary", "key")


def test_a_missing_required_column_rejects_the_file(upload, client_for, admin_user, grid):
    headers = [h for h in SHOP_HEADERS_EN if h != "phone"]
    row = [v for h, v in zip(SHOP_HEADERS_EN, shop_row(grid.code), strict=True) if h != "phone"]
    job = _job(client_for(admin_user), upload(admin_user, "shops.csv", csv_bytes(headers, [row])))
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(1, "电话/phone")]


def test_a_gbk_csv_from_chinese_excel_imports(upload, client_for, admin_user, grid):
    rows = [shop_row(grid.code, 1, business_type="食杂店", market_type="乡村")]
    job = _job(
        client_for(admin_user),
        upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_ZH, rows, encoding="gbk")),
    )
    assert job["status"] == "succeeded"
    shop = Shop.objects.get()
    assert (shop.name, shop.business_type, shop.market_type) == ("导入便利店1", "grocery", "rural")


@pytest.mark.parametrize("name", ["shops.txt", "shops.xls"])
def test_only_csv_and_xlsx_uploads_are_accepted(upload, admin_user, name):
    response = upload(admin_user, name, b"licence_no\n1\n")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "import_file_type")


def test_a_file_that_is_not_a_spreadsheet_is_rejected_with_a_message(
    upload, client_for, admin_user
):
    job = _job(client_for(admin_user), upload(admin_user, "shops.xlsx", b"not a zip file"))
    assert job["status"] == "failed"
    assert job["errors"][0]["row"] is None and job["errors"][0]["message"]


def test_messages_follow_the_language_of_the_upload(upload, client_for, admin_user, grid):
    rows = [shop_row("NOPE", 1)]
    content = csv_bytes(SHOP_HEADERS_EN, rows)
    response = upload(admin_user, "shops.csv", content, accept_language="en")
    job = _job(client_for(admin_user), response)
    assert job["errors"][0]["message"] == "No grid has the code NOPE."
