"""A service manager on a phone and a desktop: writes a message template (a wrong variable is
refused first), sends a campaign to the core shops now, watching the audience count as the class
is ticked, and reads its funnel: the chart is drawn, the shops that agreed to marketing got it,
the one that did not is counted under its reason."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from outreach.services import consent
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


def _core_shop(name: str, *, opted_in: bool):
    """A core shop whose owner has an account (the in-app message centre), and who agreed to
    marketing messages or not."""
    shop = ShopFactory(name=name, segment="core")
    owner = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = owner
    shop.save(update_fields=["owner_account"])
    if opted_in:
        consent.preference_update(
            actor=owner, shop_id=shop.pk, channels=[], topics=["marketing"], email=""
        )
    return shop


@pytest.fixture
def cast(e2e_db):
    manager = UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    core = [_core_shop(f"核心便利店{n}", opted_in=n < 2) for n in range(3)]
    ShopFactory(name="普通便利店", segment="ordinary")
    return {"manager": manager, "core": core}


def test_a_manager_sends_a_campaign_to_core_shops_and_reads_its_funnel(
    page: Page, live_server, cast
):
    base = live_server.url
    log_in(page, base, cast["manager"].username)

    page.goto(f"{base}/outreach/templates/new/")
    page.locator("input[name=name]").fill("新品到货通知")
    page.locator("select[name=topic]").select_option("marketing")
    page.locator("input[name=subject]").fill("本周新品到货")
    page.locator("textarea[name=body]").fill("{店铺}您好，本周新品已到货。")
    page.locator("form button[type=submit].primary").click()
    expect(page.locator(".field-error").first).to_contain_text("店铺")
    expect(page.locator(".or-variables")).to_contain_text("{店名}")
    page.locator("textarea[name=body]").fill("{店名}您好，本周新品已到货，欢迎订购。")
    page.locator("form button[type=submit].primary").click()
    expect(page).to_have_url(re.compile(r"/outreach/templates/$"))
    expect(page.locator("table")).to_contain_text("新品到货通知")

    page.locator("table").get_by_role("link", name=re.compile("发送|Send")).first.click()
    expect(page).to_have_url(re.compile(r"/outreach/campaigns/new/"))
    page.locator("input[name=name]").fill("核心客户新品推送")
    expect(page.locator("select[name=template_id]")).to_have_value(re.compile(r"\d+"))
    page.locator("input[name=segments][value=core]").check()
    expect(page.locator("#audience-count [data-audience-count]")).to_have_attribute(
        "data-audience-count", "3"
    )
    expect(page.locator("input[name=send][value=now]")).to_be_checked()
    page.locator("form.or-campaign-form button[type=submit].primary").click()

    expect(page).to_have_url(re.compile(r"/outreach/campaigns/\d+/$"))
    expect(page.locator("h1")).to_have_text("核心客户新品推送")
    expect(page.locator("#funnel-chart canvas")).to_have_count(1)
    expect(page.locator("#channel-chart canvas")).to_have_count(1)
    expect(page.locator('[data-stage="targeted"] [data-shops]')).to_have_attribute(
        "data-shops", "3"
    )
    # Two shops agreed to marketing messages: they get it in their message centre; the third
    # is listed under "no consent".
    for stage in ("sent", "delivered"):
        expect(page.locator(f'[data-stage="{stage}"] [data-shops]')).to_have_attribute(
            "data-shops", "2"
        )
    expect(page.locator('#by-reason [data-reason="no_consent"]')).to_be_visible()
    expect(page.locator("#by-segment")).to_contain_text(re.compile("核心|Core"))
