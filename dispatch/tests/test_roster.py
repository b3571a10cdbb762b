"""Who works when: usual weeks, days off and set hours, lunch and most visits from the rules."""

import datetime

import pytest

from customers.tests.factories import GridFactory, ShopFactory
from dispatch.models import Availability, WorkRules
from dispatch.roster import roster, serves
from dispatch.tests.factories import at, field_staff

MONDAY = datetime.date(2030, 6, 3)  # a Monday
SUNDAY = MONDAY + datetime.timedelta(days=6)

pytestmark = pytest.mark.django_db


def test_a_usual_week_gives_one_day_per_working_weekday():
    """Monday to Friday at the usual hours; nothing on the weekend."""
    staff = field_staff(skills=["display"], work_weekdays=[0, 1, 2, 3, 4])
    days = roster(MONDAY, SUNDAY)
    assert [d.day.weekday() for d in days] == [0, 1, 2, 3, 4]
    monday = days[0]
    assert (monday.start, monday.end) == (at(MONDAY, 8, 30), at(MONDAY, 17, 30))
    assert monday.user_id == staff.user_id and monday.source == "usual"
    assert monday.skills == frozenset({"display"})
    assert (monday.lunch_from, monday.lunch_until) == (at(MONDAY, 11, 30), at(MONDAY, 13))
    assert monday.lunch_minutes == 45 and monday.max_visits == 14
    assert monday.home == (31.82, 117.23)


def test_weekdays_follow_the_profile():
    field_staff(work_weekdays=[1, 3])
    assert [d.day.weekday() for d in roster(MONDAY, SUNDAY)] == [1, 3]


def test_a_day_off_leave_or_training_removes_the_day():
    staff = field_staff()
    for offset, kind in enumerate(["off", "leave", "training"]):
        Availability.objects.create(
            user=staff.user, day=MONDAY + datetime.timedelta(days=offset), kind=kind
        )
    assert [d.day for d in roster(MONDAY, SUNDAY)] == [
        MONDAY + datetime.timedelta(days=3),
        MONDAY + datetime.timedelta(days=4),
    ]


def test_set_hours_replace_the_usual_ones_even_on_a_usual_day_off():
    staff = field_staff(work_weekdays=[0])
    Availability.objects.create(
        user=staff.user, day=MONDAY, kind="work", start=datetime.time(10), end=datetime.time(16)
    )
    saturday = MONDAY + datetime.timedelta(days=5)
    Availability.objects.create(
        user=staff.user, day=saturday, kind="work", start=datetime.time(9), end=datetime.time(12)
    )
    days = roster(MONDAY, SUNDAY)
    assert [(d.day, d.start, d.end, d.source) for d in days] == [
        (MONDAY, at(MONDAY, 10), at(MONDAY, 16), "set"),
        (saturday, at(saturday, 9), at(saturday, 12), "set"),
    ]


def test_only_active_field_staff_are_on_the_roster():
    field_staff(is_field=False)
    inactive = field_staff()
    inactive.user.is_active = False
    inactive.user.save()
    kept = field_staff()
    assert {d.user_id for d in roster(MONDAY, MONDAY)} == {kept.user_id}
    assert roster(MONDAY, MONDAY, user_ids=[inactive.user_id]) == []


def test_most_visits_and_lunch_come_from_rules_and_profile():
    rules = WorkRules.current()
    rules.default_max_visits, rules.lunch_minutes = 9, 30
    rules.save()
    field_staff(username="a")
    field_staff(username="b", max_visits=5)
    days = roster(MONDAY, MONDAY)
    assert sorted(d.max_visits for d in days) == [5, 9]
    assert {d.lunch_minutes for d in days} == {30}


def test_serves_by_grid_or_as_the_shops_account_manager():
    grid, other = GridFactory(), GridFactory()
    staff = field_staff(grids=[grid])
    (day,) = roster(MONDAY, MONDAY)
    assert serves(day, ShopFactory(grid=grid))
    assert not serves(day, ShopFactory(grid=other))
    assert serves(day, ShopFactory(grid=other, account_manager=staff.user))
