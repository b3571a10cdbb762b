"""The booking form's errors and cut-off as the shop reads them (issue 13)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dispatch.models import Job, WorkRules
from dispatch.tests.factories import BookingFactory, at, item

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
TOMORROW = TODAY + datetime.timedelta(days=1)
YESTERDAY = TODAY - datetime.timedelta(days=1)


pytestmark = pytest.mark.usefixtures("stopped_clock")


def test_a_past_day_is_refused_once_next_to_the_day_and_the_input_is_kept(
    client_for, shop_owner, staff
):
    briefing = item("policy_briefing")
    response = client_for(shop_owner).post(
        reverse("portal:booking_new"),
        {
            "service_item": briefing.pk,
            "day": YESTERDAY.isoformat(),
            "window_start": at(YESTERDAY, 10, 30).isoformat(),
            "note": "带新价签",
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert page.count("This day is over") == 1
    assert "带新价签" in page
    assert f'name="service_item" value="{briefing.pk}" checked' in page
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (4, "Changes until 04:30 on the day of the visit"),
        (12, "Changes until 20:30 the day before"),
        (48, "Changes until March 3 08:30"),
    ],
)
def test_the_change_cutoff_is_said_relative_to_the_visit(
    client_for, shop_owner, shop, staff, hours, said
):
    rules = WorkRules.current()
    rules.change_cutoff_hours = hours
    rules.save()
    in_three_days = TODAY + datetime.timedelta(days=3)
    job = BookingFactory(
        shop=shop,
        assignee=staff,
        window_start=at(in_three_days, 8, 30),
        window_end=at(in_three_days, 10, 30),
    )
    client = client_for(shop_owner)
    assert said in client.get(reverse("portal:booking_list")).content.decode()
    detail = client.get(reverse("portal:booking_detail", args=[job.pk])).content.decode()
    assert said.removeprefix("Changes until ") in detail


def test_the_booking_message_says_the_cutoff_relative_to_the_visit(client_for, shop_owner, staff):
    response = client_for(shop_owner).post(
        reverse("portal:booking_new"),
        {
            "service_item": item("policy_briefing").pk,
            "day": TOMORROW.isoformat(),
            "window_start": at(TOMORROW, 10, 30).isoformat(),
        },
        follow=True,
    )
    page = response.content.decode()
    assert "You can change it until 06:30 on the day of the visit." in page
