"""Urgent visits: one job per request, a proposal that changes one route, then publishing it."""

import datetime

import pytest

from dispatch.models import Job, JobEvent, JobKind, JobState, Plan, Route, Stop, VisitReport
from dispatch.services import planning, urgent
from dispatch.tests.factories import MONDAY, at
from flexserve.errors import Forbidden
from servicedesk.tests.factories import make_request

NOW = at(MONDAY, 11)


def test_a_request_becomes_one_urgent_job(city, dispatcher, request_of):
    sr = request_of(city.east)
    job = urgent.urgent_job_from_request(
        dispatcher, sr.pk, window_start=at(MONDAY, 12), window_end=at(MONDAY, 17)
    )
    assert (job.kind, job.state, job.request_id, job.shop_id) == (
        JobKind.URGENT,
        JobState.OPEN,
        sr.pk,
        sr.shop_id,
    )
    assert job.priority == urgent.URGENT_PRIORITY
    assert job.events.get().kind == JobEvent.Kind.CREATED
    again = urgent.urgent_job_from_request(dispatcher, sr.pk)
    assert again.pk == job.pk and Job.objects.filter(request=sr).count() == 1


def test_the_default_window_runs_from_half_an_hour_to_the_end_of_the_day(
    city, dispatcher, request_of
):
    import time_machine

    with time_machine.travel(at(MONDAY, 9), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, request_of(city.west).pk)
    assert (job.window_start, job.window_end) == (at(MONDAY, 9, 30), at(MONDAY, 19))


def test_field_staff_cannot_raise_urgent_jobs(city, request_of, dispatcher):
    sr = request_of(city.east)
    with pytest.raises(Forbidden):
        urgent.urgent_job_from_request(city.ann, sr.pk)
    assert not Job.objects.exists()


def test_a_proposal_changes_one_route_and_publishes(city, dispatcher, request_of, run):
    early = city.booking(city.east, 0, 9, hours=1)
    city.booking(city.east, 0, 14)
    city.routine(city.east, 0, 0)
    city.booking(city.west, 0, 10)
    published = run(dispatcher, first=MONDAY, last=MONDAY)
    planning.publish_plan(dispatcher, published.pk)
    early.refresh_from_db()
    stop = Stop.objects.get(route__plan=published, job=early)
    VisitReport.objects.create(
        job=early,
        staff_id=stop.route.staff_id,
        checked_in_at=stop.start,
        checked_out_at=stop.end,
        outcome="done",
    )
    Job.objects.filter(pk=early.pk).update(state=JobState.DONE)

    job = urgent.urgent_job_from_request(
        dispatcher,
        request_of(city.east).pk,
        window_start=at(MONDAY, 11, 30),
        window_end=at(MONDAY, 17),
    )
    plan = urgent.propose_insertion(dispatcher, job.pk, now=NOW)
    assert (plan.kind, plan.state, plan.urgent_job_id) == (
        Plan.Kind.REPLAN,
        Plan.State.READY,
        job.pk,
    )
    assert plan.stats["violations"] == 0
    (change,) = plan.changes
    assert change["added"] == [job.pk] and change["removed"] == []
    assert job.pk in change["after"] and job.pk not in change["before"]
    assert change["staff_id"] in (city.ann.pk, city.cai.pk)  # east territory only
    new_stop = Stop.objects.select_related("route").get(route__plan=plan, job=job)
    assert at(MONDAY, 11, 30) <= new_stop.start <= at(MONDAY, 17)
    # the other routes are copies; the visit already done keeps its times
    assert Route.objects.filter(plan=plan).count() == Route.objects.filter(plan=published).count()
    done_stop = Stop.objects.get(route__plan=plan, job=early)
    assert (done_stop.start, done_stop.end) == (stop.start, stop.end)

    planning.publish_plan(dispatcher, plan.pk)
    job.refresh_from_db()
    assert (job.state, job.assignee_id, job.planned_start) == (
        JobState.PLANNED,
        change["staff_id"],
        new_stop.start,
    )
    published.refresh_from_db()
    assert published.state == Plan.State.SUPERSEDED
    assert planning.published_plan_for(MONDAY).pk == plan.pk
    early.refresh_from_db()
    assert early.state == JobState.DONE  # publishing leaves finished work alone


def test_an_urgent_job_nobody_serves_is_reported(city, dispatcher, run):
    from customers.tests.factories import ShopFactory

    sr = make_request(dispatcher, ShopFactory(grid=city.far))
    job = urgent.urgent_job_from_request(
        dispatcher, sr.pk, window_start=at(MONDAY, 12), window_end=at(MONDAY, 17)
    )
    plan = urgent.propose_insertion(dispatcher, job.pk, now=NOW)
    assert plan.changes == []
    assert plan.unplaced.get().reason == "no_staff"
    assert plan.state == Plan.State.READY
    assert datetime.date(2030, 6, 3) == plan.first_day == plan.last_day
