"""A service manager opens the process analysis: the three charts draw without console errors on
a desktop and a phone, the picker switches the stage chart, and a filter swaps the results."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from servicedesk import services
from servicedesk.models import RequestTiming, ServiceRequest, Status
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e

H = 3600


@pytest.fixture
def history(e2e_db):
    manager = UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    shop = ShopFactory(segment="core")
    for i in range(12):
        request_type = "order_problem" if i % 2 else "delivery_late"
        at = timezone.now() - datetime.timedelta(days=3 + 7 * (i % 4))
        request = services.request_create(
            actor=manager,
            request_type=request_type,
            title=f"分析用请求 {i}",
            channel="phone",
            shop_id=shop.pk,
            at=at,
        )
        ServiceRequest.objects.filter(pk=request.pk).update(status=Status.CLOSED)
        RequestTiming.objects.create(
            request=request,
            request_type=request.request_type,
            created_at=at,
            dispatch_wait_s=(6 * H if request_type == "delivery_late" else 0),
            handling_wait_s=(i + 1) * 1800,
            handling_work_s=H,
            confirm_wait_s=2 * H,
            first_response_s=600,
            resolution_s=(i + 1) * 1800 + H,
        )
    return manager


def watch_errors(page: Page) -> list[str]:
    """Console errors and failed responses (the browser's own favicon probe aside)."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


def test_manager_sees_the_stage_charts(page: Page, live_server, history):
    errors = watch_errors(page)
    log_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/console/requests/analysis/")

    for kind in ("stages", "trend", "split"):
        expect(page.locator(f'[data-analysis-chart="{kind}"] canvas')).to_have_count(1)
    expect(page.locator('[data-kpi="count"]')).to_have_text("12")
    visible_verdict = page.locator(".stage-view:not([hidden]) .verdict")
    expect(visible_verdict).to_have_attribute("data-verdict", "handling")
    # Nothing runs off the side of a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # The picker shows one type's stages: late deliveries wait longest for dispatch.
    picker = page.locator("[data-stage-picker]")
    delivery = page.locator("[data-stage-picker] option", has_text="配送延误")
    picker.select_option(delivery.get_attribute("value"))
    expect(visible_verdict).to_have_attribute("data-verdict", "dispatch")

    # A filter swaps the results through htmx; the charts are drawn again.
    page.locator("select[name=type]").select_option("order_problem")
    expect(page.locator('[data-kpi="count"]')).to_have_text("6")
    expect(page.locator('[data-analysis-chart="stages"] canvas')).to_have_count(1)
    expect(page).to_have_url(re.compile(r"type=order_problem"))
    assert errors == []


def test_empty_selection_says_so(page: Page, live_server, history):
    errors = watch_errors(page)
    log_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}/console/requests/analysis/?since=2020-01-01&until=2020-02-01")
    expect(page.locator("[data-empty]")).to_be_visible()
    expect(page.locator("canvas")).to_have_count(0)
    assert errors == []
