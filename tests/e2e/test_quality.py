"""A manager opens a SERVQUAL wave for the core class; a core shop answers it on its phone;
the gaps appear by dimension with intervals and alpha, and break down by district."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from quality.models import Instrument, Invitation, Response, Wave
from quality.services import surveys
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e

ITEMS = ["t1", "t2", "t3", "t4", "r1", "r2", "r3", "r4", "r5", "s1", "s2", "s3", "s4"]
ITEMS += ["a1", "a2", "a3", "a4", "e1", "e2", "e3", "e4", "e5"]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


@pytest.fixture
def city(e2e_db):
    manager = UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    shops = ShopFactory.create_batch(6, segment="core")
    ShopFactory(segment="ordinary")  # not in the target group
    for shop in shops:
        shop.owner_account = UserFactory(
            username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD
        )
        shop.save(update_fields=["owner_account"])
    return manager, shops


def answer_by_service(wave: Wave, shop) -> None:
    answers: dict = {code: {"e": 6, "p": 5} for code in ITEMS}
    for code in ("s1", "s2", "s3", "s4"):
        answers[code] = {"e": 7, "p": 3}
    answers["points"] = dict(zip(DIMENSIONS, [10, 30, 30, 15, 15], strict=True))
    token = Invitation.objects.get(wave=wave, shop=shop).token
    surveys.response_save(actor=shop.owner_account, token=token, answers=answers, submit=True)


def pick(page: Page, name: str, value: int) -> None:
    """Tap the option (the radio itself is styled away; its label is the target)."""
    page.locator(f"label.sv-option:has(input[name='{name}'][value='{value}'])").click()


def test_a_servqual_wave_from_opening_to_gaps(page: Page, live_server, city):
    manager, shops = city
    log_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/console/quality/waves/new/")
    servqual = Instrument.objects.get(code="servqual-shop-22")
    page.locator("select[name=instrument]").select_option(str(servqual.pk))
    page.locator("input[name=name]").fill("核心客户服务质量调查")
    page.locator("input[name=segments][value=core]").check()
    # the form proposes the next full hour; this wave opens now
    opens = timezone.localtime() - timedelta(minutes=5)
    page.locator("input[name=opens_at]").fill(opens.strftime("%Y-%m-%dT%H:%M"))
    page.locator("form.wave-form button[type=submit].primary").click()

    wave = Wave.objects.get()
    expect(page).to_have_url(re.compile(rf"/console/quality/waves/{wave.pk}/$"))
    expect(page.locator("[data-wave-state]")).to_have_attribute("data-wave-state", "open")
    assert wave.invitations.count() == 6  # the core shops only
    for shop in shops[1:]:
        answer_by_service(wave, shop)

    # the sixth shop answers on the portal
    owner = shops[0].owner_account
    log_in(page, live_server.url, owner.username)
    page.goto(f"{live_server.url}/portal/surveys/")
    page.get_by_role("link", name=re.compile("开始填写")).first.click()
    expect(page).to_have_url(re.compile(r"/portal/surveys/"))
    for code in ITEMS:
        pick(page, f"{code}__e", 6)
        pick(page, f"{code}__p", 4)
    for dimension in DIMENSIONS:
        page.locator(f"input[name='points__{dimension}']").fill("20")
    expect(page.locator("[data-points-total]")).to_contain_text("100")
    expect(page.locator("[data-progress-text]")).to_contain_text("22")
    page.locator("button.sv-submit").click()
    expect(page.locator(".sv-done")).to_be_visible()
    response = Response.objects.get(invitation__shop=shops[0])
    assert response.state == Response.State.SUBMITTED
    assert response.answers.get(question__code="s1").perception == 4

    # the manager reads the gaps
    log_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/console/quality/waves/{wave.pk}/")
    expect(page.locator("[data-kpi=respondents]")).to_have_text("6")
    rows = page.locator("[data-dimension-table] tbody tr")
    expect(rows).to_have_count(5)
    # responsiveness: five shops −4, one −2 → −3.67
    expect(page.locator("tr[data-dimension=responsiveness] .gap-value")).to_have_text("−3.67")
    expect(page.locator("[data-quality-chart=gaps] canvas")).to_have_count(1)
    page.locator("[data-breakdown-picker]").select_option("district")
    expect(page.locator("[data-heat-table]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"by=district"))


def test_an_initiative_shows_its_funnel_chart_and_a_new_goal(page: Page, live_server, city):
    from quality.models import Goal
    from quality.tests.test_initiatives import answer, funnel_wave, make_initiative

    manager, shops = city
    initiative = make_initiative(manager)
    wave = funnel_wave(manager, initiative)
    for index, shop in enumerate(shops):
        answer(wave, shop, aware=index < 5, interested=index < 3, tried=index < 2, rating=5)

    log_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/console/quality/initiatives/")
    page.locator("[data-initiative] a", has_text=initiative.name).first.click()
    expect(page).to_have_url(re.compile(rf"/initiatives/{initiative.pk}/$"))
    expect(page.locator("[data-initiative-chart] canvas")).to_have_count(1)
    expect(page.locator("[data-funnel-wave]")).to_have_count(1)

    page.locator("summary", has_text=re.compile("目标|goal", re.I)).first.click()
    form = page.locator("form[action$='/goals/#goals'], form[action$='/goals/']").first
    form.locator("select[name=metric]").select_option("awareness")
    form.locator("input[name=baseline]").fill("50")
    form.locator("input[name=target]").fill("90")
    form.locator("input[name=deadline]").fill("2099-12-31")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    goal = Goal.objects.get()
    assert (goal.baseline, goal.target) == (0.5, 0.9)
