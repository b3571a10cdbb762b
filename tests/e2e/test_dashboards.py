"""A manager walks the dashboards' tabs and drills down: from the SERVQUAL gaps to the shops
below expectation, from the low ratings to their comments, from the class moves to the shops
that moved; the filters follow from tab to tab."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import SegmentChange, SegmentRuleSet
from dashboards.services import rollups
from quality.models import CsatRating, Instrument
from quality.services import surveys
from tests.e2e.helpers import log_in
from tests.e2e.test_quality import answer_by_service, city  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e


@pytest.fixture
def measured(city):  # noqa: F811 (the fixture imported above)
    manager, shops = city
    now = timezone.now()
    wave = surveys.wave_create(
        actor=manager,
        instrument_id=Instrument.objects.get(code="servqual-shop-22").pk,
        name="核心客户服务质量调查",
        opens_at=now - timedelta(hours=2),
        closes_at=now + timedelta(days=7),
        target={"segments": ["core"]},
    )
    for shop in shops:
        answer_by_service(wave, shop)
    for index, shop in enumerate(shops[:5]):
        CsatRating.objects.create(
            shop=shop,
            source=CsatRating.Source.VISIT,
            contact_at=now - timedelta(hours=5),
            invited_at=now - timedelta(hours=4),
            expires_at=now + timedelta(days=6),
            score=2,
            reason=CsatRating.Reason.values[0],
            comment=f"送货晚了 {index + 1} 天",
            rated_at=now - timedelta(hours=3),
        )
    rule_set = SegmentRuleSet.objects.create(version=907, status="retired", created_by=manager)
    SegmentChange.objects.create(
        shop=shops[0],
        from_segment="key",
        to_segment="core",
        rule_set=rule_set,
        changed_at=now - timedelta(hours=1),
    )
    rollups.refresh(full=True)
    return manager, shops


def test_a_manager_drills_down_from_every_dashboard(page: Page, live_server, measured):
    manager, shops = measured
    log_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/console/dashboards/?segment=core")
    tabs = page.locator("[data-dash-tabs] a")
    expect(tabs).to_have_count(5)
    for index in range(5):  # every tab keeps the filters chosen
        expect(tabs.nth(index)).to_have_attribute("href", re.compile(r"segment=core"))

    # SERVQUAL: responsiveness (E 7, P 3) is 4 points short for all six shops.
    tabs.nth(3).click()
    expect(page).to_have_url(re.compile(r"/console/dashboards/servqual/"))
    row = page.locator("[data-dimension=responsiveness]")
    expect(row).to_contain_text(re.compile(r"[−-]4\.00"))
    row.locator("[data-shops-link]").click()
    expect(page).to_have_url(re.compile(r"/console/dashboards/servqual/shops/"))
    for shop in shops:
        expect(page.locator("main")).to_contain_text(shop.name)

    # Satisfaction: five ratings of 2; the low-ratings tile opens them with their comments.
    page.goto(f"{live_server.url}/console/dashboards/satisfaction/")
    low = page.locator("[data-tile=low]")
    expect(low.locator("[data-value]")).to_contain_text("5")
    low.click()
    expect(page).to_have_url(re.compile(r"which=low"))
    for index in range(5):
        expect(page.locator("main")).to_contain_text(f"送货晚了 {index + 1} 天")

    # Initiatives and classes: one shop moved up a class; the matrix cell opens it.
    page.goto(f"{live_server.url}/console/dashboards/initiatives/")
    page.locator("[data-cell=key-core] a").click()
    expect(page).to_have_url(re.compile(r"/console/dashboards/class-moves/"))
    expect(page.locator("main")).to_contain_text(shops[0].name)
