"""The board tells routine visits due later apart from real failures, fits the route plane to
the stops, and the roster marks its editable days (issue 13)."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse

from customers.tests.factories import ShopFactory
from dispatch.models import Plan, Unplaced, WorkRules
from dispatch.services.planning.run import _run_message
from dispatch.tests.factories import RoutineJobFactory, field_staff
from dispatch.tests.test_views_board import board_url, jobs, make_plan, staff  # noqa: F401
from dispatch.views_board.charts import plane_box


@pytest.fixture
def day():
    return datetime.date(2030, 6, 3)  # a Monday


@pytest.fixture
def plan_with_later(grid, staff, jobs, day):  # noqa: F811
    """The one-day plan of test_views_board, plus two routine visits due on Wednesday that the
    optimiser left out (not worth it on Monday)."""
    plan = make_plan(staff, jobs, day)
    for n in range(2):
        job = RoutineJobFactory(
            shop=ShopFactory(grid=grid, name=f"周三店{n}", longitude="118.900000"),
            due_on=day + datetime.timedelta(days=2),
            earliest_on=day,
            latest_on=day + datetime.timedelta(days=4),
        )
        Unplaced.objects.create(plan=plan, job=job, reason=Unplaced.Reason.NOT_WORTH)
    return plan


def test_routine_visits_due_later_are_not_counted_as_not_placed(
    client_for, dispatcher, plan_with_later, day
):
    response = client_for(dispatcher).get(board_url(day, plan_with_later))
    page = response.content.decode()
    stats = {s["key"]: s["value"] for s in response.context["stats"]}
    assert (stats["jobs"], stats["placed"], stats["unplaced"], stats["later"]) == (3, 2, 1, 2)
    assert [row["shop"] for row in response.context["unplaced"]] == ["南门超市"]
    assert "data-later" in page and "周三店0" in page and "<details" in page
    chart = json.loads(page.split('id="board-data" type="application/json">')[1].split("<")[0])
    assert [u["shop"] for u in chart["unplaced"]] == ["南门超市"]


def test_the_plane_fits_the_stops_and_starts_not_every_unplaced_shop(
    client_for, dispatcher, plan_with_later, day
):
    response = client_for(dispatcher).get(board_url(day, plan_with_later))
    box = response.context["chart"]["plane"]
    # stops at 117.231/117.25, the start at 117.23; the later shops at 118.9 stretch nothing
    assert 117.2 < box["xmin"] < 117.23 and 117.25 < box["xmax"] < 117.29
    assert box["xmax"] < 118


def test_the_plane_box_keeps_the_ground_shape():
    routes = [
        {
            "home": [117.0, 31.8],
            "stops": [{"lng": 117.6, "lat": 31.85}, {"lng": 117.3, "lat": 31.9}],
        }
    ]
    box = plane_box(routes)
    east_west_km = (box["xmax"] - box["xmin"]) * box["squeeze"]
    north_south_km = box["ymax"] - box["ymin"]
    assert east_west_km == pytest.approx(north_south_km, rel=1e-4)
    assert box["xmin"] < 117.0 and box["xmax"] > 117.6  # a margin around the points
    assert box["xmax"] - box["xmin"] < 0.8  # but a small one
    assert plane_box([]) is None


def test_the_run_line_counts_later_visits_apart():
    assert "280 of 300" in _run_message(280, 300, 12, 503)
    assert "503 routine visits due later" in _run_message(280, 300, 12, 503)
    assert "due later" not in _run_message(3, 3, 1, 0)


def test_a_day_plan_stores_routine_visits_due_later_apart(
    dispatcher, django_capture_on_commit_callbacks
):
    from dispatch.tests.factories import MONDAY, City

    WorkRules.objects.update_or_create(pk=1, defaults={"default_max_visits": 1})
    city = City()  # Ann and Cai serve the east: two visits on Monday at most
    city.routine(city.east, 0, 2, due=0)
    for _n in range(3):
        city.routine(city.east, 0, 4, due=3)  # allowed on Monday, due Thursday
    from dispatch.services import planning

    with django_capture_on_commit_callbacks(execute=True):
        plan = planning.start_plan(dispatcher, first_day=MONDAY, last_day=MONDAY, seconds=1, seed=0)
    plan.refresh_from_db()
    stats = plan.stats
    assert stats["placed"] + stats["unplaced"] == stats["jobs"]
    assert (stats["jobs"] + stats["later"], stats["placed"]) == (4, 2)
    assert stats["later"] >= 1 and "due later wait for their day" in plan.message
    assert Unplaced.objects.filter(plan=plan).count() == stats["unplaced"] + stats["later"]
    assert plan.state == Plan.State.READY


def test_editable_roster_days_show_an_edit_affordance(client_for, dispatcher, grid):
    field_staff(grids=[grid], username="li", work_weekdays=[0, 1, 2, 3, 4])
    with time_machine.travel(datetime.datetime(2030, 6, 3, 9), tick=False):
        page = client_for(dispatcher).get(reverse("console:roster_week")).content.decode()
    cell = page.split("data-edit-cell")[1].split("</a>")[0]
    assert 'title="Edit"' in page.split("data-edit-cell")[0].rsplit("<a", 1)[1]
    assert "✎" in cell and "Edit" in cell and 'class="rs-edit"' in cell
