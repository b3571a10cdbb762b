"""A shop books a window, the dispatcher optimises and publishes, the visit shows on the board;
a field staff member checks in and out on the phone and the visit lands in the shop's history."""

import contextlib
import datetime
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import GridFactory, ShopFactory
from dispatch.models import Job, JobKind, JobState, Plan, VisitReport, WorkRules
from dispatch.tests.factories import field_staff, item
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def city(e2e_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    rules = WorkRules.current()
    rules.plan_seconds = 2
    rules.save()
    grid = GridFactory()
    shop = ShopFactory(name="晨光便利店", grid=grid)
    owner = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = owner
    shop.save()
    staff = field_staff(grids=[grid], username="am-field")
    staff.user.full_name = "王晓"
    staff.user.set_password(PASSWORD)
    staff.user.save()
    UserFactory(username="dispatch-e2e", role=Role.DISPATCHER, password=PASSWORD)
    return {"shop": shop, "owner": owner, "staff": staff.user}


def next_working_day() -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def test_the_last_choice_wins_when_the_picker_answers_out_of_order(page: Page, live_server, city):
    """A quick owner picks a service, then a day, before the first reload has come back: the
    day's reload must win, not the older one without the day (hx-sync replaces it)."""
    day = next_working_day()
    briefing = item("policy_briefing")
    log_in(page, live_server.url, city["owner"].username)
    page.goto(f"{live_server.url}/portal/bookings/new/")
    held = []
    page.route("**/portal/bookings/windows/**", lambda route: held.append(route))  # see below
    page.locator(f"input[name=service_item][value='{briefing.pk}']").check()
    page.locator(f"input[name=day][value='{day.isoformat()}']").check()
    page.wait_for_timeout(500)
    for route in held:  # the service's reload first, then the day's
        with contextlib.suppress(PlaywrightError):  # one htmx dropped: nothing to answer
            route.continue_()
        page.wait_for_timeout(500)
    page.unroute("**/portal/bookings/windows/**")
    expect(page.locator(f"input[name=day][value='{day.isoformat()}']")).to_be_checked()
    expect(page.locator("input[name=window_start]:not([disabled])").first).to_be_attached()


def test_a_booked_window_appears_in_the_published_route(page: Page, live_server, city):
    day = next_working_day()
    briefing = item("policy_briefing")

    log_in(page, live_server.url, city["owner"].username)
    page.goto(f"{live_server.url}/portal/bookings/new/")
    page.locator(f"input[name=service_item][value='{briefing.pk}']").check()
    page.locator(f"input[name=day][value='{day.isoformat()}']").check()
    open_window = page.locator("input[name=window_start]:not([disabled])").first
    expect(open_window).to_be_attached(timeout=15_000)  # the picker reloads for the chosen day
    open_window.check()
    page.locator("button.bk-confirm").click()

    booking = Job.objects.get(kind=JobKind.BOOKING)
    expect(page).to_have_url(re.compile(rf"/portal/bookings/{booking.pk}/$"))
    expect(page.locator("main")).to_contain_text("政策法规宣传")
    assert booking.assignee == city["staff"] and booking.window_start.date() == day

    log_in(page, live_server.url, "dispatch-e2e")
    page.goto(f"{live_server.url}/console/dispatch/?day={day.isoformat()}")
    page.locator("#optimise-title ~ form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/dispatch/plans/\d+/$"), timeout=30_000)
    plan = Plan.objects.get()
    expect(page.locator("[data-board-link]")).to_be_visible(timeout=30_000)
    page.locator("[data-board-link]").click()

    route = page.locator(f".route-card[data-route-staff='{city['staff'].pk}']")
    expect(route).to_contain_text("晨光便利店")
    expect(page.locator("[data-board-chart=timeline] canvas").first).to_be_attached()
    page.once("dialog", lambda dialog: dialog.accept())  # "Publish this plan?"
    page.locator(f"#publish-{plan.pk} button[type=submit]").click()
    expect(page.locator(f"#publish-{plan.pk} button[type=submit]")).to_have_count(0)
    plan.refresh_from_db()
    booking.refresh_from_db()
    assert plan.state == Plan.State.PUBLISHED
    assert booking.state == JobState.PLANNED
    assert booking.window_start <= booking.planned_start <= booking.window_end


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "shelf.png"
    Image.new("RGB", (64, 48), (11, 110, 79)).save(path, "PNG")
    return path


def test_field_staff_check_in_and_out_and_the_shop_history_shows_it(
    page: Page, live_server, city, photo
):
    now = timezone.localtime()
    job = Job.objects.create(
        shop=city["shop"],
        kind=JobKind.ROUTINE,
        state=JobState.PLANNED,
        service_item=item("routine_visit"),
        duration_min=20,
        due_on=now.date(),
        earliest_on=now.date(),
        latest_on=now.date(),
        assignee=city["staff"],
        planned_day=now.date(),
        planned_start=now,
    )

    log_in(page, live_server.url, "am-field")
    page.goto(f"{live_server.url}/console/field/")
    stop = page.locator(f"#stop-{job.pk}")
    expect(stop).to_contain_text("晨光便利店")
    stop.locator("button[type=submit].primary").click()
    # Checking in opens the outcome form of that visit.
    expect(page).to_have_url(re.compile(rf"/console/field/jobs/{job.pk}/$"))

    page.locator("input[name=outcome][value=done]").check()
    page.locator("textarea[name=work_done]").fill("整理柜台陈列，讲解新品卖点。")
    page.locator("textarea[name=coaching]").fill("建议畅销品放在视线高度。")
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.locator("button.field-submit").click()
    expect(page).to_have_url(re.compile(r"/console/field/"))
    expect(page.locator(f"#stop-{job.pk} .field-seq")).to_have_text("✓")

    report = VisitReport.objects.get(job=job)
    assert report.checked_out_at is not None and report.photos.count() == 1
    job.refresh_from_db()
    assert job.state == JobState.DONE

    page.goto(f"{live_server.url}/console/shops/{city['shop'].pk}/")
    history = page.locator("#shop-visits")
    expect(history).to_contain_text("整理柜台陈列")
    thumbnail = history.locator("img.visit-thumb")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") == 64
