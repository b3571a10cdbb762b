"""A shop owner files a service request with a photo, finds it in their list, and replies."""

import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from servicedesk.models import ServiceRequest
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def owner(e2e_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    shop = ShopFactory(name="晨光便利店")
    user = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = user
    shop.save()
    return user


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "shelf.png"
    Image.new("RGB", (64, 48), (11, 110, 79)).save(path, "PNG")
    return path


def test_shop_owner_files_a_request_with_a_photo_and_follows_it(
    page: Page, live_server, owner, photo
):
    log_in(page, live_server.url, owner.username)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.goto(f"{live_server.url}/portal/requests/")
    page.locator("a.sr-new").click()
    expect(page).to_have_url(re.compile(r"/portal/requests/new/$"))

    page.locator("select[name=request_type]").select_option("delivery_late")
    page.locator("input[name=title]").fill("今天的货还没到")
    page.locator("textarea[name=description]").fill("上午十点应到，现在还没到。")
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.locator("form button[type=submit].primary").click()

    sr = ServiceRequest.objects.get()
    expect(page).to_have_url(re.compile(rf"/portal/requests/{sr.pk}/$"))
    expect(page.locator(".messages")).to_contain_text(sr.number)
    summary = page.locator(".sr-summary")
    expect(summary).to_contain_text("今天的货还没到")
    thumbnail = summary.locator(".sr-photos-list img")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") == 64  # the photo itself, not a 404
    expect(page.locator(".sr-timeline .sr-step")).not_to_have_count(0)
    expect(page.locator(".sr-timeline .sr-step").first).to_have_class(re.compile("sr-step-created"))

    # The reply goes through htmx: the timeline grows in place, the page does not reload.
    page.evaluate("window.__stayed = true")
    page.locator("textarea[name=body]").fill("司机电话打不通。")
    page.locator("#reply button[type=submit]").click()
    expect(page.locator(".sr-timeline")).to_contain_text("司机电话打不通。")
    assert page.evaluate("window.__stayed") is True

    page.locator(".crumbs a[href$='/portal/requests/']").click()
    row = page.locator(f"a.sr-row[href$='/portal/requests/{sr.pk}/']")
    expect(row).to_contain_text(sr.number)
    expect(row).to_contain_text("今天的货还没到")
    expect(row.locator(".sr-status")).to_be_visible()
