"""A shop owner and a manager log in through the real browser and see what their role allows."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from commerce.tests.factories import OrderLineFactory
from customers.tests.factories import ShopFactory
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def city(e2e_db):
    mine = ShopFactory(name="晨光便利店", grade=26, star=5, segment="core")
    theirs = ShopFactory(name="远方烟酒商行", grade=5, star=1)
    owner = UserFactory(username=mine.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    mine.owner_account = owner
    mine.save()
    OrderLineFactory(order__shop=mine, order__number="DD202611020001")
    OrderLineFactory(order__shop=theirs, order__number="DD202611020002")
    manager = UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    return {"mine": mine, "theirs": theirs, "owner": owner, "manager": manager}


def test_shop_owner_sees_own_shop_and_orders_but_not_another_shop(page: Page, live_server, city):
    log_in(page, live_server.url, city["owner"].username)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    body = page.locator("main")
    expect(body).to_contain_text("晨光便利店")
    expect(body).to_contain_text("DD202611020001")
    expect(body).not_to_contain_text("远方烟酒商行")
    expect(body).not_to_contain_text("DD202611020002")

    response = page.goto(f"{live_server.url}/console/shops/")
    assert response is not None and response.status == 403
    theirs = page.goto(f"{live_server.url}/console/shops/{city['theirs'].pk}/")
    assert theirs is not None and theirs.status == 403


def test_manager_sees_every_shop_and_the_segmentation_chart(page: Page, live_server, city):
    log_in(page, live_server.url, "manager")
    expect(page).to_have_url(re.compile(r"/console/shops/"))
    results = page.locator("main")
    expect(results).to_contain_text("晨光便利店")
    expect(results).to_contain_text("远方烟酒商行")
    # Lists mask phone numbers.
    expect(results).not_to_contain_text(city["theirs"].phone)

    page.goto(f"{live_server.url}/console/segments/")
    expect(page.locator("[data-chart] canvas").first).to_be_visible()

    page.goto(f"{live_server.url}/portal/")
    expect(page.locator("[data-error-code]")).to_have_attribute("data-error-code", "forbidden")


def test_language_switch_changes_the_interface(page: Page, live_server, city):
    log_in(page, live_server.url, "manager")
    page.locator(".lang-switch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".site-header")).to_contain_text("Log out")
    page.locator(".lang-switch button[value=zh-hans]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".site-header")).to_contain_text("退出")
