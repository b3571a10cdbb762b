"""Whole flows in the browser: a manager previews and applies segmentation rules; an
administrator's bad import is rejected with the row and column named, a good one goes in."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import SegmentChange, SegmentRuleSet, Shop
from customers.tests.factories import GridFactory, ShopFactory
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def shops(e2e_db):
    grid = GridFactory(code="LY001")
    made = [
        ShopFactory(grid=grid, grade=25, star=4, segment="core"),  # not core above grade 27
        ShopFactory(grid=grid, grade=29, star=5, segment="core"),
        ShopFactory(grid=grid, grade=5, star=1, segment="ordinary"),
    ]
    UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    UserFactory(username="admin", role=Role.ADMIN, password=PASSWORD, is_staff=True)
    return made


def test_manager_previews_then_applies_stricter_rules(page: Page, live_server, shops):
    log_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/console/segments/")
    first_rule = page.locator("[data-rule-row]").first
    first_rule.locator("input[name=grade_min]").fill("28")
    page.get_by_role("button", name=re.compile("^(预览|Preview)$")).click()

    preview = page.locator(".preview")
    expect(preview).to_be_visible()
    expect(preview.locator(".kpi-alert .kpi-value")).to_have_text("1")
    assert SegmentChange.objects.count() == 0  # a preview writes nothing
    assert Shop.objects.get(pk=shops[0].pk).segment == "core"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("保存并应用|Save and apply")).click()
    expect(page.locator("#rule-editor")).to_contain_text("2")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(page.locator("#rule-editor .alert-error")).to_have_count(0)
    assert Shop.objects.get(pk=shops[0].pk).segment == "key"
    assert SegmentRuleSet.objects.get(status="active").version == 2


HEADER = "许可证号,店名,负责人,电话,地址,纬度,经度,网格编码,业态,市场类型,档级,星级\n"
PLACE = "31.85,117.2,LY001,便利店,城镇,12,3\n"
GOOD = "340104500001,新开便利店,王五,13900001111,合肥市蜀山区长江西路1号," + PLACE
BAD = "340104500002,又一便利店,赵六,12345,合肥市蜀山区长江西路2号," + PLACE  # bad phone


def test_administrator_import_is_all_or_nothing(page: Page, live_server, shops, tmp_path):
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text(HEADER + GOOD + BAD, encoding="utf-8")
    good_file = tmp_path / "good.csv"
    good_file.write_text(HEADER + GOOD, encoding="utf-8")
    log_in(page, live_server.url, "admin")

    page.goto(f"{live_server.url}/imports/")
    page.locator("input[type=file]").set_input_files(str(bad_file))
    page.locator("form button.primary").click()
    errors = page.locator("main")
    expect(errors).to_contain_text("3")  # the row
    expect(errors).to_contain_text("电话/phone")  # the column
    assert not Shop.objects.filter(licence_no="340104500001").exists()

    page.goto(f"{live_server.url}/imports/")
    page.locator("input[type=file]").set_input_files(str(good_file))
    page.locator("form button.primary").click()
    expect(page.locator(".progress > span")).to_have_attribute("style", re.compile("100"))
    shop = Shop.objects.get(licence_no="340104500001")
    assert (shop.name, shop.segment) == ("新开便利店", "potential")
