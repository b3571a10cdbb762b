"""What a shop owner sees of its visits in the portal (issue 13): coming bookings and routine
visits, past visits with who came and the text meant for the shop; never internal notes, never
another shop's visits."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dispatch import booking_selectors
from dispatch.models import JobState, VisitOutcome, VisitReport
from dispatch.services import visits
from dispatch.tests.factories import (
    BookingFactory,
    RoutineJobFactory,
    at,
    field_staff,
    planned_visit,
)
from flexserve.errors import NotFound

NOW = datetime.datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)
COACHING = "店主对扫码点单不熟，下次再讲一遍"
WORK_DONE = "内部：补货陈列，价签缺三张"
SUMMARY = "已更新陈列和价签，新品已上架。"


pytestmark = pytest.mark.usefixtures("stopped_clock")


@pytest.fixture
def staff(staff):
    """The grid's field staff member (conftest.py), named 李娜."""
    staff.first_name, staff.last_name, staff.full_name = "", "", "李娜"
    staff.save()
    return staff


def done_visit(shop, staff, *, day, outcome=VisitOutcome.DONE, shop_summary=""):
    """A routine visit on ``day`` checked in and out by ``staff``."""
    job = planned_visit(shop, staff, day, 10, 0)
    with time_machine.travel(at(day, 10), tick=False):
        visits.check_in(staff, job.pk, latitude=None, longitude=None)
        visits.check_out(
            staff,
            job.pk,
            latitude=None,
            longitude=None,
            outcome=outcome,
            work_done=WORK_DONE if outcome == VisitOutcome.DONE else "",
            coaching=COACHING,
            shop_summary=shop_summary,
        )
    return job


def test_past_visits_show_who_came_and_the_text_for_the_shop_never_internal_notes(
    client_for, shop_owner, shop, staff
):
    done_visit(shop, staff, day=TODAY - 7 * DAY, shop_summary=SUMMARY)
    done_visit(shop, staff, day=TODAY - 2 * DAY, outcome=VisitOutcome.SHOP_CLOSED)
    client = client_for(shop_owner)
    for url in (reverse("portal:booking_list"), reverse("portal:home")):
        page = client.get(url).content.decode()
        assert SUMMARY in page and "李娜" in page, url
        assert COACHING not in page and WORK_DONE not in page, url
        assert "Shop closed" not in page and "shop_closed" not in page, url  # the outcome code
        assert "Missed" in page, url  # the neutral label of the visit without a text
    listing = booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk)
    assert [(row.day, row.outcome) for row in listing.past] == [
        (TODAY - 2 * DAY, "Missed"),
        (TODAY - 7 * DAY, SUMMARY),
    ]


def test_upcoming_visits_list_bookings_and_routine_visits_with_day_window_and_staff(
    client_for, shop_owner, shop, staff
):
    booking = BookingFactory(
        shop=shop,
        assignee=staff,
        window_start=at(TODAY + DAY, 8, 30),
        window_end=at(TODAY + DAY, 10, 30),
    )
    published = RoutineJobFactory(
        shop=shop,
        assignee=staff,
        state=JobState.PLANNED,
        due_on=TODAY + 2 * DAY,
        planned_day=TODAY + 2 * DAY,
        planned_start=at(TODAY + 2 * DAY, 14, 10),
    )
    waiting = RoutineJobFactory(shop=shop, due_on=TODAY + 9 * DAY)
    listing = booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk)
    assert [row.job for row in listing.upcoming] == [booking, published, waiting]
    assert [row.staff_name for row in listing.upcoming] == ["李娜", "李娜", ""]
    page = client_for(shop_owner).get(reverse("portal:booking_list")).content.decode()
    assert "03-05 Thu 08:30–10:30" in page
    assert "03-06 Fri, around 14:00" in page  # the planned 14:10, told to the nearest half hour
    assert "Due around 03-13" in page
    assert "Routine visit" in page


def test_a_routine_visit_shows_no_staff_member_before_its_route_is_published(
    shop_owner, shop, staff
):
    # A ready (unpublished) plan leaves the job open; an assignee left on it must not show.
    RoutineJobFactory(shop=shop, assignee=staff, state=JobState.OPEN, due_on=TODAY + 3 * DAY)
    (row,) = booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk).upcoming
    assert (row.staff_name, row.day, row.due_on) == ("", None, TODAY + 3 * DAY)


def test_another_shops_visits_never_appear(
    client_for, shop_owner, shop, other_shop_owner, other_shop, staff, grid
):
    other_staff = field_staff(grids=[other_shop.grid], username="wang").user
    done_visit(other_shop, other_staff, day=TODAY - DAY, shop_summary="别家的说明")
    RoutineJobFactory(shop=other_shop, due_on=TODAY + 2 * DAY)
    BookingFactory(shop=other_shop, assignee=other_staff)
    client = client_for(shop_owner)
    for url in (reverse("portal:booking_list"), reverse("portal:home")):
        page = client.get(url).content.decode()
        assert "别家的说明" not in page and str(other_staff) not in page, url
        assert 'class="bk-row' not in page and 'class="visit-when"' not in page, url
    listing = booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk)
    assert (listing.upcoming, listing.past) == ([], [])
    with pytest.raises(NotFound):
        booking_selectors.shop_visit_list(shop_owner, shop_id=other_shop.pk)


def test_the_visit_list_reads_in_a_fixed_number_of_queries(
    shop_owner, shop, staff, django_assert_num_queries
):
    for n in range(3):
        done_visit(shop, staff, day=TODAY - (n + 1) * DAY, shop_summary=SUMMARY)
        RoutineJobFactory(shop=shop, due_on=TODAY + (n + 2) * DAY)
        BookingFactory(shop=shop, assignee=staff, window_start=at(TODAY + (n + 1) * DAY, 10))
    booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk)  # warm the owner's shop id
    with django_assert_num_queries(4):  # shop, work rules, upcoming, past
        listing = booking_selectors.shop_visit_list(shop_owner, shop_id=shop.pk)
    assert (len(listing.upcoming), len(listing.past)) == (6, 3)


def test_the_outcome_form_takes_the_text_for_the_shop(client_for, shop, staff):
    job = planned_visit(shop, staff, TODAY, 10, 0)
    visits.check_in(staff, job.pk, latitude=None, longitude=None)
    client = client_for(staff)
    form = client.get(reverse("console:field_job", args=[job.pk])).content.decode()
    assert 'name="shop_summary"' in form and "the shop sees this" in form
    response = client.post(
        reverse("console:field_job", args=[job.pk]),
        {"outcome": "done", "work_done": WORK_DONE, "coaching": COACHING, "shop_summary": SUMMARY},
    )
    assert response.status_code == 302
    report = VisitReport.objects.get(job=job)
    assert (report.shop_summary, report.coaching) == (SUMMARY, COACHING)
