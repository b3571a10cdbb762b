"""Portal booking pages: list, book (picker + confirm), reschedule, cancel, errors in place."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Job, JobState
from dispatch.tests.factories import BookingFactory, at, field_staff, item

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
TOMORROW = TODAY + datetime.timedelta(days=1)


pytestmark = pytest.mark.usefixtures("stopped_clock")


def iso(moment):
    return timezone.localtime(moment).isoformat()


def test_the_new_booking_page_offers_the_plans_items_days_and_windows(
    client_for, shop_owner, staff
):
    briefing = item("policy_briefing")
    url = reverse("portal:booking_new")
    response = client_for(shop_owner).get(
        url, {"service_item": briefing.pk, "day": TOMORROW.isoformat()}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert briefing.name in page and item("display_coaching").name not in page
    assert iso(at(TOMORROW, 10, 30)) in page
    assert 'value="2026-03-03"' in page


def test_the_windows_partial_marks_full_windows(client_for, shop_owner, shop, grid):
    user = field_staff(grids=[grid], work_weekdays=list(range(7)), max_visits=1).user
    BookingFactory(shop=shop, assignee=user, planned_day=TOMORROW, window_start=at(TOMORROW, 15))
    response = client_for(shop_owner).get(
        reverse("portal:booking_windows"),
        {"service_item": item("policy_briefing").pk, "day": TOMORROW.isoformat()},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.count("disabled") == 4 and page.count("Fully booked") == 4


def test_booking_through_the_page_lands_on_the_booking(client_for, shop_owner, shop, staff):
    response = client_for(shop_owner).post(
        reverse("portal:booking_new"),
        {
            "service_item": item("policy_briefing").pk,
            "day": TOMORROW.isoformat(),
            "window_start": iso(at(TOMORROW, 10, 30)),
            "note": "下午有空",
        },
        follow=True,
    )
    job = Job.objects.get()
    assert (job.shop, job.assignee, job.note) == (shop, staff, "下午有空")
    assert response.redirect_chain[-1][0] == reverse("portal:booking_detail", args=[job.pk])
    assert "Booked" in response.content.decode()


def test_a_booking_without_a_window_is_refused_in_place(client_for, shop_owner, staff):
    response = client_for(shop_owner).post(
        reverse("portal:booking_new"),
        {"service_item": item("policy_briefing").pk, "day": TOMORROW.isoformat()},
    )
    assert response.status_code == 422
    assert "field-error" in response.content.decode()
    assert not Job.objects.exists()


def test_an_item_outside_the_plan_is_refused_in_place(client_for, shop_owner, staff):
    response = client_for(shop_owner).post(
        reverse("portal:booking_new"),
        {
            "service_item": item("display_coaching").pk,
            "day": TOMORROW.isoformat(),
            "window_start": iso(at(TOMORROW, 10, 30)),
        },
    )
    assert response.status_code == 422
    assert not Job.objects.exists()


def test_my_bookings_show_the_cutoff_and_change_buttons(client_for, shop_owner, shop, staff):
    job = BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    response = client_for(shop_owner).get(reverse("portal:booking_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("portal:booking_reschedule", args=[job.pk]) in page
    assert "03-03 06:00" in page  # 10:00 minus four hours
    assert str(staff) in page


def test_no_change_buttons_after_the_cutoff(client_for, shop_owner, shop, staff):
    job = BookingFactory(
        shop=shop,
        assignee=staff,
        window_start=at(TODAY, 12, 30),
        window_end=at(TODAY, 14, 30),
    )
    page = client_for(shop_owner).get(reverse("portal:booking_list")).content.decode()
    assert reverse("portal:booking_cancel", args=[job.pk]) not in page


def test_reschedule_through_the_page(client_for, shop_owner, shop, staff):
    job = BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    url = reverse("portal:booking_reschedule", args=[job.pk])
    client = client_for(shop_owner)
    page = client.get(url, {"day": TOMORROW.isoformat()}).content.decode()
    assert iso(at(TOMORROW, 14, 30)) in page
    response = client.post(
        url, {"day": TOMORROW.isoformat(), "window_start": iso(at(TOMORROW, 14, 30))}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.window_start == at(TOMORROW, 14, 30)


def test_cancel_inside_the_cutoff_shows_why_and_changes_nothing(
    client_for, shop_owner, shop, staff
):
    job = BookingFactory(
        shop=shop, assignee=staff, window_start=at(TODAY, 12, 30), window_end=at(TODAY, 14, 30)
    )
    response = client_for(shop_owner).post(
        reverse("portal:booking_cancel", args=[job.pk]), {"reason": "临时有事"}
    )
    assert response.status_code == 409
    assert "alert-error" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.OPEN


def test_cancel_through_the_page(client_for, shop_owner, shop, staff):
    job = BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    response = client_for(shop_owner).post(
        reverse("portal:booking_cancel", args=[job.pk]), {"reason": "装修"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


@pytest.mark.parametrize("name", ["booking_detail", "booking_reschedule", "booking_cancel"])
def test_another_shops_booking_is_not_found(client_for, other_shop_owner, shop, staff, name):
    job = BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    client = client_for(other_shop_owner)
    assert client.get(reverse(f"portal:{name}", args=[job.pk])).status_code == 404
    if name != "booking_detail":
        assert client.post(reverse(f"portal:{name}", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.OPEN


def test_staff_cannot_use_the_portal_pages(client_for, account_manager):
    assert client_for(account_manager).get(reverse("portal:booking_list")).status_code == 403
