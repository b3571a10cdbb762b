"""An account manager works a request in the browser: from the queue to the request, starts it,
replies to the shop and resolves it (desktop 1366×900 and phone 390×844)."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import GridFactory, ShopFactory
from servicedesk import services
from servicedesk.models import Comment, ServiceRequest, Status
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def request_for_am(e2e_db):
    grid = GridFactory()
    shop = ShopFactory(grid=grid, name="晨光便利店")
    owner = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER)
    shop.owner_account = owner
    shop.save(update_fields=["owner_account"])
    manager = UserFactory(username="am", role=Role.ACCOUNT_MANAGER, password=PASSWORD)
    grid.staff.add(manager)
    request = services.request_create(
        actor=owner, request_type="order_problem", title="订单提交不了", description="提示超时"
    )
    assert request.assignee == manager
    return request


def test_account_manager_starts_replies_and_resolves(page: Page, live_server, request_for_am):
    number = request_for_am.number
    log_in(page, live_server.url, "am")
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))

    page.goto(f"{live_server.url}/console/requests/")
    expect(page.locator('.queue-tabs a[aria-current="page"]')).to_have_attribute(
        "data-queue", "mine"
    )
    page.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_have_text(number)
    expect(page.locator("#sla-panel [data-clock]")).to_have_count(2)

    page.locator("button[data-action=start]").click()
    expect(page.locator("#request-main [data-status]")).to_have_attribute(
        "data-status", "in_progress"
    )

    page.locator("#comment-body").fill("您好，订单已帮您重新提交。")
    page.locator("#comment button[type=submit]").click()
    expect(page.locator("ol.timeline")).to_contain_text("您好，订单已帮您重新提交。")

    page.locator("button[data-action=resolve]").click()
    dialog = page.locator("#dialog-resolve")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=note]").fill("已重新提交订单，请确认。")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#request-main [data-status]")).to_have_attribute("data-status", "resolved")
    expect(page.locator("#request-main .alert-error")).to_have_count(0)

    request_for_am.refresh_from_db()
    assert request_for_am.status == Status.RESOLVED
    assert request_for_am.first_response_at is not None
    assert Comment.objects.filter(request=request_for_am, internal=False).count() == 2
    assert ServiceRequest.objects.count() == 1
