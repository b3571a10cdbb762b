"""customers.importers: each cell checked as the model would; upserts keep what the file omits."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.importers import shop_rows_check, shop_rows_write
from customers.models import SegmentChange, SegmentRuleSet, Shop
from customers.tests.factories import ShopFactory

HEADERS = ["licence_no", "name", "owner_name", "phone", "address", "latitude", "longitude"]
HEADERS += ["grid_code", "market_type", "grade", "star"]


def _row(grid, **extra) -> dict[str, str]:
    values = dict(
        zip(
            HEADERS,
            ["340105000001", "新店", "李四", "0551-62345678", "合肥市", "31.1234567", "117.2"]
            + [grid.code, "城镇", "10", "2"],
            strict=True,
        )
    )
    return values | extra


def _check(rows, headers=None):
    headers = headers or list(dict.fromkeys(k for row in rows for k in row))
    return shop_rows_check(headers, list(enumerate(rows, start=2)))


@pytest.mark.parametrize(
    ("value", "code"),
    [("kiosk", "kiosk"), ("烟酒店", "tobacco_liquor"), ("Convenience store", "convenience")],
)
def test_business_type_takes_the_code_or_a_name(grid, value, code):
    check = _check([_row(grid, business_type=value)])
    assert not check.errors
    assert check.rows[0][1]["business_type"] == code


def test_the_account_manager_must_be_active_staff(grid, shop_owner):
    UserFactory(username="gone", role=Role.ACCOUNT_MANAGER, is_active=False)
    check = _check(
        [
            _row(grid, account_manager=shop_owner.username),
            _row(grid, licence_no="340105000002", account_manager="gone"),
        ]
    )
    assert [(e.row, e.column) for e in check.errors] == [
        (2, "客户经理/account_manager"),
        (3, "客户经理/account_manager"),
    ]


def test_channels_may_be_separated_by_chinese_commas(grid):
    check = _check([_row(grid, contact_channels="wechat，sms、wechat")])
    assert check.rows[0][1]["contact_channels"] == ["wechat", "sms"]


def test_coordinates_are_rounded_to_the_six_decimals_stored(grid):
    assert _check([_row(grid)]).rows[0][1]["latitude"] == Decimal("31.123457")


def test_a_blank_optional_cell_keeps_the_type_and_date_but_clears_the_manager(grid):
    manager = UserFactory(username="am2", role=Role.ACCOUNT_MANAGER)
    shop = ShopFactory(
        licence_no="340105000001",
        grid=grid,
        business_type="supermarket",
        opened_on=datetime.date(2019, 1, 2),
        account_manager=manager,
    )
    check = _check([_row(grid, business_type="", opened_on="", account_manager="")])
    result = shop_rows_write(check, actor=None)
    shop.refresh_from_db()
    assert (result.created, result.updated) == (0, 1)
    assert (shop.business_type, shop.opened_on, shop.account_manager) == (
        "supermarket",
        datetime.date(2019, 1, 2),
        None,
    )


def test_columns_missing_from_the_file_are_left_alone(grid):
    shop = ShopFactory(licence_no="340105000001", grid=grid, contact_channels=["sms"])
    shop_rows_write(_check([_row(grid)]), actor=None)
    shop.refresh_from_db()
    assert shop.contact_channels == ["sms"]


def test_without_an_active_rule_set_new_shops_are_ordinary_and_no_history_is_written(grid):
    SegmentRuleSet.objects.update(status=SegmentRuleSet.Status.RETIRED)
    shop_rows_write(_check([_row(grid, grade="30", star="5")]), actor=None)
    assert Shop.objects.get().segment == "ordinary"
    assert not SegmentChange.objects.exists()


def test_a_check_with_errors_is_never_written(grid):
    check = _check([_row(grid, grade="0")])
    with pytest.raises(ValueError):
        shop_rows_write(check, actor=None)
    assert not Shop.objects.exists()


@pytest.mark.parametrize(
    ("column", "value"), [("latitude", "1e30"), ("grade", "1e999999999"), ("star", "NaN")]
)
def test_absurd_numbers_are_cell_errors(grid, column, value):
    check = _check([_row(grid, **{column: value})])
    assert [e.column.split("/")[1] for e in check.errors] == [column]
