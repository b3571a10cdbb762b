"""A city whose territories overlap is one component: above a size it is planned in areas."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from customers.tests.factories import GridFactory, ShopFactory
from dispatch.models import Job, JobEvent, JobState, Plan, Route, Stop
from dispatch.roster import roster, serves
from dispatch.services import planning
from dispatch.services.planning import areas
from dispatch.services.planning.run import _components, _period_jobs
from dispatch.tests.factories import (
    FRIDAY,
    MONDAY,
    BookingFactory,
    RoutineJobFactory,
    at,
    day,
    field_staff,
    item,
)

GRIDS = 4
ROUTINE_PER_GRID = 5


@pytest.fixture
def row_city(db):
    """Four grids west to east, an account manager each; two service staff members cover three
    and two of them (sharing the third), so every grid links to the next: one component."""
    grids = [GridFactory() for _ in range(GRIDS)]
    lng = [Decimal("117.10") + Decimal("0.06") * k for k in range(GRIDS)]
    managers = [
        field_staff(grids=[g], home_longitude=lng[k], home_latitude=Decimal("31.82")).user
        for k, g in enumerate(grids)
    ]
    fixers = [
        field_staff(
            grids=grids[:3],
            skills=["equipment"],
            role=Role.SERVICE_STAFF,
            home_longitude=lng[1],
            home_latitude=Decimal("31.82"),
        ).user,
        field_staff(
            grids=grids[2:],
            skills=["equipment"],
            role=Role.SERVICE_STAFF,
            home_longitude=lng[3],
            home_latitude=Decimal("31.82"),
        ).user,
    ]
    jobs = []
    for k, grid in enumerate(grids):
        for n in range(ROUTINE_PER_GRID):
            shop = ShopFactory(
                grid=grid,
                account_manager=managers[k],
                latitude=Decimal("31.80") + Decimal("0.005") * n,
                longitude=lng[k] + Decimal("0.004") * n,
            )
            jobs.append(
                RoutineJobFactory(
                    shop=shop, earliest_on=MONDAY, latest_on=FRIDAY, due_on=day(n % 5)
                )
            )
        shop = ShopFactory(grid=grid, account_manager=managers[k], longitude=lng[k])
        jobs.append(
            BookingFactory(
                shop=shop,
                service_item=item("equipment_check"),
                window_start=at(day(k), 10),
                window_end=at(day(k), 12),
            )
        )
    return {"grids": grids, "managers": managers, "fixers": fixers, "jobs": jobs}


def _one_component():
    days = roster(MONDAY, FRIDAY)
    (component,), orphans = _components(days, _period_jobs(MONDAY, FRIDAY))
    assert orphans == []
    return component, days


def test_the_overlapping_city_is_one_component_kept_whole_when_small(row_city):
    component, days = _one_component()
    assert len(component.jobs) == GRIDS * (ROUTINE_PER_GRID + 1)
    assert areas.split_component(component, days) == [component]


def test_every_job_and_every_staff_member_lands_in_exactly_one_area(row_city):
    component, days = _one_component()
    split = areas.split_component(component, days, max_jobs=8)

    assert len(split) == 3  # 24 jobs, at most about 8 an area
    job_ids = [job.pk for area in split for job in area.jobs]
    assert sorted(job_ids) == sorted(job.pk for job in component.jobs)  # each exactly once
    staff_ids = [uid for area in split for uid in area.staff_ids]
    assert len(staff_ids) == len(set(staff_ids))
    assert set(staff_ids) <= component.staff_ids
    one_day_each = {d.user_id: d for d in days}
    for area in split:
        for job in area.jobs:
            able = [
                uid
                for uid in area.staff_ids
                if serves(one_day_each[uid], job.shop)
                and (job.skill_code is None or job.skill_code in one_day_each[uid].skills)
            ]
            assert able, f"job {job.pk} has nobody in its area who may do it"


def test_the_equipment_bookings_stay_with_a_service_staff_member(row_city):
    component, days = _one_component()
    split = areas.split_component(component, days, max_jobs=8)
    fixers = {user.pk for user in row_city["fixers"]}
    for area in split:
        if any(job.skill_code == "equipment" for job in area.jobs):
            assert area.staff_ids & fixers


def test_a_split_week_plans_with_no_violation_and_reports_each_area(
    row_city, dispatcher, run, monkeypatch
):
    monkeypatch.setattr(areas, "MAX_AREA_JOBS", 8)
    with CaptureQueriesContext(connection) as queries:
        plan = run(dispatcher)

    assert plan.state == Plan.State.READY, plan.message
    assert plan.stats["components"] == 3
    assert plan.stats["violations"] == 0
    assert plan.stats["required_unplaced"] == 0
    assert plan.progress == 100
    progress_lines = [q["sql"] for q in queries.captured_queries if "Optimising area" in q["sql"]]
    assert any("area 3 of 3" in sql for sql in progress_lines)  # the board's "area n of 3"
    assert not any("of 1" in sql for sql in progress_lines)
    placed = Stop.objects.filter(route__plan=plan).select_related("route", "job__shop")
    for stop in placed:
        assert stop.route.staff.grids.filter(pk=stop.job.shop.grid_id).exists()


def test_publishing_a_split_week_places_every_job_once_with_one_event(
    row_city, dispatcher, run, monkeypatch
):
    monkeypatch.setattr(areas, "MAX_AREA_JOBS", 8)
    plan = run(dispatcher)
    versions = dict(Job.objects.values_list("pk", "version"))

    planning.publish_plan(dispatcher, plan.pk)

    stops = list(Stop.objects.filter(route__plan=plan).select_related("route"))
    assert len(stops) == plan.stats["placed"] > 0
    jobs = Job.objects.in_bulk([s.job_id for s in stops])
    for stop in stops:
        job = jobs[stop.job_id]
        assert job.state == JobState.PLANNED
        assert (job.assignee_id, job.planned_day, job.planned_start) == (
            stop.route.staff_id,
            stop.route.day,
            stop.start,
        )
        assert job.version == versions[job.pk] + 1
    events = JobEvent.objects.filter(kind=JobEvent.Kind.PLANNED, job_id__in=jobs)
    assert sorted(events.values_list("job_id", flat=True)) == sorted(jobs)
    first = events.get(job_id=stops[0].job_id)
    assert first.data["staff"] == stops[0].route.staff_id
    assert first.data["start"] == stops[0].start.isoformat()
    assert Route.objects.filter(plan=plan).count() == plan.stats["routes"]
