"""A shop owner asks the self-service Q&A on a phone and a desktop: a knowledge answer they rate,
an answer from their own orders, and a hand-over to a person that files a request."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from commerce.tests.factories import DeliveryFactory, OrderFactory
from customers.tests.factories import ShopFactory
from knowledge.models import Entry, Turn
from servicedesk.models import ServiceRequest
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def owner(e2e_db, settings):
    settings.QA_DENSE = "off"
    shop = ShopFactory(name="晨光便利店")
    user = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = user
    shop.save()
    DeliveryFactory(order=OrderFactory(shop=shop, number="DD20261124001"))
    return user


def test_shop_owner_asks_rates_and_hands_over(page: Page, live_server, owner):
    log_in(page, live_server.url, owner.username)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.goto(f"{live_server.url}/portal/ask/")

    entry = Entry.objects.get(code="kb-ordering-003")
    box = page.locator("#ask-question")
    box.fill(entry.question)
    box.press("Enter")
    first = page.locator(".turn").nth(1)
    expect(first.locator(".bubble.me")).to_have_text(re.compile(re.escape(entry.question)))
    expect(first.locator(".bot-source")).to_contain_text(entry.question)
    expect(box).to_have_value("")
    first.get_by_role("button", name=re.compile("有帮助|Helpful")).click()
    expect(first.locator(".rating")).to_contain_text(re.compile("感谢|Thanks"))

    box.fill("我的订单到哪了")
    page.get_by_role("button", name=re.compile("发送|Send")).click()
    live = page.locator(".turn").nth(2)
    expect(live.locator(".bot-live")).to_contain_text("DD20261124001")
    expect(live.locator(".bot-links a")).to_have_attribute(
        "href", re.compile(r"/portal/orders/\d+/")
    )

    box.fill("qwertyuiop")
    box.press("Enter")
    unknown = page.locator(".turn").nth(3)
    unknown.locator("[data-open-handover]").click()
    page.locator("#handover-note").fill("请客户经理回电")
    page.locator("#ask-handover button[type=submit]").click()
    expect(page.locator("#ask-handover .alert-ok")).to_contain_text("SR")

    request = ServiceRequest.objects.get()
    assert "请客户经理回电" in request.description and "DD20261124001" in request.description
    assert Turn.objects.filter(feedback=Turn.Feedback.HELPFUL).count() == 1
