"""Can one staff-day do these jobs? Windows, lunch, shift end, most visits, skills, territory."""

import datetime
from decimal import Decimal

import pytest

from customers.tests.factories import GridFactory, ShopFactory
from dispatch.bridge import Clock, fit_day
from dispatch.models import WorkRules
from dispatch.roster import roster
from dispatch.tests.factories import BookingFactory, RoutineJobFactory, at, field_staff, item

MONDAY = datetime.date(2030, 6, 3)

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    return GridFactory()


@pytest.fixture
def day(grid):
    field_staff(grids=[grid], skills=["display"])
    (day,) = roster(MONDAY, MONDAY)
    return day


def shop_near(grid, k: int):
    """A shop about k × 1.1 km north-east of the staff home."""
    return ShopFactory(
        grid=grid,
        latitude=Decimal("31.820000") + Decimal("0.007") * k,
        longitude=Decimal("117.230000") + Decimal("0.007") * k,
    )


def booking(grid, k, start_h, end_h, *, code="policy_briefing", minute=0):
    return BookingFactory(
        shop=shop_near(grid, k),
        service_item=item(code),
        window_start=at(MONDAY, start_h, minute),
        window_end=at(MONDAY, end_h, minute),
    )


def routine(grid, k):
    return RoutineJobFactory(
        shop=shop_near(grid, k), due_on=MONDAY, earliest_on=MONDAY, latest_on=MONDAY
    )


def test_clock_round_trips():
    clock = Clock(MONDAY)
    assert clock.seconds(at(MONDAY, 9, 30)) == 9 * 3600 + 1800
    assert clock.at(86400 + 60) == at(MONDAY + datetime.timedelta(days=1), 0, 1)


def test_a_fitting_day_keeps_every_window_and_takes_lunch(day, grid):
    jobs = [booking(grid, 1, 9, 10), booking(grid, 2, 14, 15), routine(grid, 3), routine(grid, 4)]
    result = fit_day(day, jobs)
    assert result.ok, result.reason
    assert {s[0] for s in result.stops} == {j.pk for j in jobs}
    starts = {job_id: start for job_id, _arrival, start, _end in result.stops}
    assert at(MONDAY, 9) <= starts[jobs[0].pk] <= at(MONDAY, 10)
    assert at(MONDAY, 14) <= starts[jobs[1].pk] <= at(MONDAY, 15)
    lunch_start, lunch_end = result.lunch
    assert at(MONDAY, 11, 30) <= lunch_start <= at(MONDAY, 13)
    assert lunch_end - lunch_start == datetime.timedelta(minutes=45)
    for _job_id, arrival, start, end in result.stops:
        assert arrival <= start < end
        assert not (lunch_start < end and start < lunch_end)  # never serving during lunch
    assert result.travel_s > 0 and result.distance_m > 0
    assert day.start <= result.departure and result.arrival <= day.end


def test_a_window_it_cannot_keep_is_named(day, grid):
    # Two 60-minute jobs whose windows both close at 9:05: the second cannot start in time.
    first = booking(grid, 1, 9, 9, code="shop_improvement", minute=5)
    second = booking(grid, 1, 9, 9, code="shop_improvement", minute=5)
    result = fit_day(day, [first, second])
    assert not result.ok
    assert result.reason == "window"
    assert result.job_id in {first.pk, second.pk}
    assert "#" in result.message()


def test_keep_order_is_respected_and_checked(day, grid):
    early, late = booking(grid, 1, 9, 10), booking(grid, 2, 15, 16)
    assert [s[0] for s in fit_day(day, [early, late], keep_order=True).stops] == [
        early.pk,
        late.pk,
    ]
    swapped = fit_day(day, [late, early], keep_order=True)
    assert (swapped.ok, swapped.reason, swapped.job_id) == (False, "window", early.pk)


def test_lunch_that_cannot_be_taken_is_the_reason(day, grid):
    # Back-to-back work from 11:00 to 14:00 covers the whole lunch window (11:30–13:00 start).
    jobs = [
        booking(grid, 1, 11, 11, code="shop_improvement"),
        booking(grid, 1, 12, 12, code="shop_improvement"),
        booking(grid, 1, 13, 13, code="shop_improvement"),
    ]
    result = fit_day(day, jobs, keep_order=True)
    assert (result.ok, result.reason) == (False, "lunch")
    rules = WorkRules.current()
    rules.lunch_from, rules.lunch_until = datetime.time(14), datetime.time(15)
    rules.save()
    (later_lunch,) = roster(MONDAY, MONDAY)
    assert fit_day(later_lunch, jobs, keep_order=True).ok


def test_more_jobs_than_the_most_visits_do_not_fit(grid):
    field_staff(grids=[grid], max_visits=2)
    (day,) = roster(MONDAY, MONDAY)
    jobs = [routine(grid, k) for k in range(3)]
    assert fit_day(day, jobs[:2]).ok
    result = fit_day(day, jobs)
    assert (result.ok, result.reason) == (False, "max_visits")
    assert "2" in result.message(max_visits=day.max_visits)


def test_a_day_too_long_ends_after_the_shift(day, grid):
    # 10 × 60 minutes of work do not fit into 8:30–17:30 with lunch.
    jobs = [
        RoutineJobFactory(
            shop=shop_near(grid, k),
            service_item=item("shop_improvement"),
            duration_min=60,
            due_on=MONDAY,
            earliest_on=MONDAY,
            latest_on=MONDAY,
        )
        for k in range(10)
    ]
    result = fit_day(day, jobs)
    assert (result.ok, result.reason) == (False, "shift_end")


def test_skill_and_territory_are_checked(day, grid):
    needs_equipment = booking(grid, 1, 9, 11, code="equipment_check")
    assert (fit_day(day, [needs_equipment]).reason, fit_day(day, [needs_equipment]).job_id) == (
        "skill",
        needs_equipment.pk,
    )
    elsewhere = BookingFactory(
        shop=ShopFactory(), window_start=at(MONDAY, 9), window_end=at(MONDAY, 11)
    )
    assert fit_day(day, [elsewhere]).reason == "territory"
    assert fit_day(day, [booking(grid, 1, 9, 11, code="display_coaching")]).ok


def test_an_empty_day_fits():
    field_staff()
    (day,) = roster(MONDAY, MONDAY)
    result = fit_day(day, [])
    assert result.ok and result.stops == [] and result.lunch is None
