"""A shop owner on a phone and a desktop: opens 我的消息 from the site's menu, reads a message
(its variables filled, then no longer unread), opens 消息设置, orders the channels, ticks a topic,
saves, and finds the change in the consent history."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from outreach.models import Channel, ConsentRecord, ContactPreference, Delivery, Message, Template
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(e2e_db):
    shop = ShopFactory(name="晨光便利店", owner_name="王芳")
    owner = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = owner
    shop.save(update_fields=["owner_account"])
    author = UserFactory(username="manager", role=Role.SERVICE_MANAGER)
    template = Template.objects.create(
        name="政策通知",
        topic="service",
        subject="{店名}：订货时间调整",
        body="{负责人}您好，下周起订货截止时间调整为17:00。",
        created_by=author,
    )
    for hours, status in ((30, Delivery.Status.READ), (2, Delivery.Status.DELIVERED)):
        message = Message.objects.create(
            template=template,
            topic=template.topic,
            link="/portal/" if hours == 2 else "",
            scheduled_for=timezone.now() - datetime.timedelta(hours=hours),
            state=Message.State.OUT,
        )
        Delivery.objects.create(message=message, shop=shop, channel=Channel.IN_APP, status=status)
    return {"owner": owner, "shop": shop}


def test_shop_owner_reads_a_message_and_chooses_channels_and_topics(page: Page, live_server, cast):
    base = live_server.url
    log_in(page, base, cast["owner"].username)

    page.goto(f"{base}/portal/")
    toggle = page.locator("[data-toggle-nav]")
    if toggle.is_visible():  # the phone's menu
        toggle.click()
    page.locator('#site-nav a[href="/outreach/mine/"]').click()
    expect(page).to_have_url(re.compile(r"/outreach/mine/$"))
    unread = page.locator(".om-list li.om-unread")
    expect(unread).to_have_count(1)
    unread.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("晨光便利店：订货时间调整")
    expect(page.locator(".om-text")).to_contain_text("王芳您好")
    expect(page.locator(".actions a.button.primary")).to_be_visible()  # the message's link
    page.locator(".om-tabs a").first.click()
    expect(page.locator(".om-list li.om-unread")).to_have_count(0)

    page.locator('.om-tabs a[href="/outreach/mine/preferences/"]').click()
    expect(page.locator("#consent-wording")).to_be_visible()
    expect(page.locator("input[name=topics][value=marketing]")).not_to_be_checked()
    # Until the shop chooses, the contact channels on its record are used: SMS, then WeChat.
    expect(page.locator("input[name=channels][value=wechat]")).to_be_checked()
    page.locator("input[name=channels][value=wechat]").uncheck()
    page.locator("input[name=channels][value=sms]").check()
    page.locator("input[name=channels][value=email]").check()
    page.locator("select[name=position_email]").select_option("1")
    page.locator("select[name=position_sms]").select_option("2")
    page.locator("input[name=topics][value=policy]").check()
    page.locator("input[name=email]").fill("chenguang@example.com")
    page.locator("#settings button[type=submit]").click()

    expect(page.locator(".alert-ok")).to_be_visible()
    history = page.locator("#history table")
    expect(history).to_contain_text(re.compile(r"(电子邮件|E-mail) → (短信|SMS)"))
    expect(history).to_contain_text("chenguang@example.com")
    expect(page.locator("input[name=topics][value=policy]")).to_be_checked()
    preference = ContactPreference.objects.get(shop=cast["shop"])
    assert preference.channels == ["email", "sms"] and preference.topics == ["policy"]
    assert ConsentRecord.objects.filter(shop=cast["shop"], source="portal").count() == 3
