"""Roster pages: the dispatcher's week grid, my hours, the day editor, rules and profiles."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from dispatch.models import Availability, StaffProfile, WorkRules
from dispatch.tests.factories import BookingFactory, field_staff

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TOMORROW = NOW.date() + datetime.timedelta(days=1)


pytestmark = pytest.mark.usefixtures("stopped_clock")


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="li", work_weekdays=[0, 1, 2, 3, 4]).user


def test_the_dispatcher_sees_the_week_grid(client_for, dispatcher, staff):
    Availability.objects.create(user=staff, day=TOMORROW, kind="leave", note="年假")
    response = client_for(dispatcher).get(reverse("console:roster_week"))
    page = response.content.decode()
    assert response.status_code == 200
    assert str(staff) in page and "08:30–17:30" in page and "年假" in page
    assert reverse("console:roster_profile", args=[staff.pk]) in page


def test_field_staff_see_their_hours_and_the_rules(client_for, staff):
    response = client_for(staff).get(reverse("console:roster_week"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "07:30" in page and "19:00" in page
    assert 'class="rs-grid"' not in page  # no one else's hours


def test_a_shop_owner_cannot_see_the_roster(client_for, shop_owner):
    assert client_for(shop_owner).get(reverse("console:roster_week")).status_code == 403


def test_staff_set_their_own_day_and_get_the_cell_back(client_for, staff):
    response = client_for(staff).post(
        reverse("console:roster_day"),
        {
            "user": staff.pk,
            "day": TOMORROW.isoformat(),
            "kind": "work",
            "start": "07:30",
            "end": "16:00",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "07:30–16:00" in response.content.decode()
    assert Availability.objects.get(user=staff).start == datetime.time(7, 30)


def test_hours_outside_the_rules_come_back_in_the_form(client_for, staff):
    response = client_for(staff).post(
        reverse("console:roster_day"),
        {
            "user": staff.pk,
            "day": TOMORROW.isoformat(),
            "kind": "work",
            "start": "06:00",
            "end": "16:00",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "field-error" in response.content.decode()
    assert not Availability.objects.exists()


def test_staff_cannot_set_a_colleagues_day(client_for, staff, grid):
    colleague = field_staff(grids=[grid]).user
    response = client_for(staff).post(
        reverse("console:roster_day"),
        {"user": colleague.pk, "day": TOMORROW.isoformat(), "kind": "off"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert not Availability.objects.exists()


def test_a_day_off_with_bookings_is_refused_naming_the_shop(client_for, dispatcher, staff, shop):
    BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    response = client_for(dispatcher).post(
        reverse("console:roster_day"),
        {"user": staff.pk, "day": TOMORROW.isoformat(), "kind": "off"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert shop.name in response.content.decode()
    assert not Availability.objects.exists()


def test_managers_edit_the_rules(client_for, service_manager, dispatcher):
    url = reverse("console:roster_rules")
    assert client_for(dispatcher).get(url).status_code == 403
    client = client_for(service_manager)
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "earliest_start": "07:00", "latest_end": "19:00", "min_shift_hours": "6",
        "max_shift_hours": "10", "lunch_from": "11:30", "lunch_until": "13:00",
        "lunch_minutes": "45", "default_max_visits": "14", "window_minutes": "90",
        "booking_lead_hours": "2", "booking_horizon_days": "14", "change_cutoff_hours": "4",
        "routine_horizon_weeks": "4", "routine_slack_days": "2", "plan_seconds": "20",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    assert WorkRules.current().window_minutes == 90
    bad = client.post(url, {**data, "lunch_from": "06:00"})
    assert bad.status_code == 422
    assert WorkRules.current().lunch_from == datetime.time(11, 30)


def test_a_dispatcher_edits_a_profile(client_for, dispatcher, staff):
    url = reverse("console:roster_profile", args=[staff.pk])
    client = client_for(dispatcher)
    assert client.get(url).status_code == 200
    data = {
        "is_field": "on", "home_latitude": "31.85", "home_longitude": "117.25",
        "home_label": "庐阳营销部", "day_start": "08:00", "day_end": "17:00",
        "work_weekdays": ["0", "2", "4"], "max_visits": "9",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    profile = StaffProfile.objects.get(user=staff)
    assert (profile.work_weekdays, profile.max_visits) == ([0, 2, 4], 9)
    bad = client.post(url, {**data, "home_latitude": "99"})
    assert bad.status_code == 422
    assert client_for(staff).get(url).status_code == 403
