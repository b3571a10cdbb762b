"""Urgent visits on any working day: the default day and window, asking again, and the draft
jobs of proposals never published being cleaned up (issue 13)."""

import datetime

import pytest
import time_machine

from dispatch.models import Job, JobEvent, JobKind, JobState, Plan, Stop
from dispatch.services import planning, urgent
from dispatch.tests.factories import MONDAY, at
from flexserve.errors import Invalid

SUNDAY = MONDAY - datetime.timedelta(days=1)
TUESDAY = MONDAY + datetime.timedelta(days=1)


def test_on_a_sunday_the_default_is_the_next_working_days_hours(city):
    day, start, end = urgent.urgent_default_window(at(SUNDAY, 10))
    assert (day, start, end) == (MONDAY, at(MONDAY, 8, 30), at(MONDAY, 19))


def test_after_the_last_shift_the_default_is_tomorrow(city):
    day, start, _end = urgent.urgent_default_window(at(MONDAY, 17, 15))
    assert (day, start) == (TUESDAY, at(TUESDAY, 8, 30))
    day, start, _end = urgent.urgent_default_window(at(MONDAY, 16))
    assert (day, start) == (MONDAY, at(MONDAY, 16, 30))  # a shift is still running today


def test_on_a_sunday_a_job_is_raised_and_proposed_for_monday(city, dispatcher, request_of):
    with time_machine.travel(at(SUNDAY, 10), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
        plan = urgent.propose_insertion(dispatcher, job.pk)
    assert job.window_start == at(MONDAY, 8, 30)
    assert (plan.first_day, plan.last_day, plan.state) == (MONDAY, MONDAY, Plan.State.READY)
    (change,) = plan.changes
    assert change["added"] == [job.pk]
    stop = Stop.objects.select_related("route").get(route__plan=plan, job=job)
    assert stop.route.day == MONDAY
    with time_machine.travel(at(SUNDAY, 10, 5), tick=False):
        planning.publish_plan(dispatcher, plan.pk)
    job.refresh_from_db()
    assert (job.state, job.planned_day) == (JobState.PLANNED, MONDAY)


def test_a_chosen_later_day_is_inserted_into_that_days_published_plan(
    city,
    dispatcher,
    request_of,
    run,
):
    city.booking(city.east, 1, 9)
    published = run(dispatcher, first=TUESDAY, last=TUESDAY)
    planning.publish_plan(dispatcher, published.pk)
    with time_machine.travel(at(MONDAY, 10), tick=False):
        job = urgent.urgent_job_from_request(
            dispatcher,
            request_of(city.east).pk,
            window_start=at(TUESDAY, 13),
            window_end=at(TUESDAY, 16),
        )
        plan = urgent.propose_insertion(dispatcher, job.pk)
    assert plan.first_day == TUESDAY and plan.stats["based_on"] == published.pk
    new_stop = Stop.objects.get(route__plan=plan, job=job)
    assert at(TUESDAY, 13) <= new_stop.start <= at(TUESDAY, 16)


def test_a_window_already_over_is_refused(city, dispatcher, request_of):
    sr = request_of(city.east)
    with time_machine.travel(at(MONDAY, 10), tick=False), pytest.raises(Invalid) as refused:
        urgent.urgent_job_from_request(
            dispatcher, sr.pk, window_start=at(SUNDAY, 9), window_end=at(SUNDAY, 12)
        )
    assert "window_end" in refused.value.fields
    assert not Job.objects.exists()


def test_asking_again_re_times_the_draft_and_supersedes_its_proposal(city, dispatcher, request_of):
    sr = request_of(city.east)
    with time_machine.travel(at(MONDAY, 10), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, sr.pk)
        first = urgent.propose_insertion(dispatcher, job.pk)
        again = urgent.urgent_job_from_request(
            dispatcher, sr.pk, window_start=at(TUESDAY, 9), window_end=at(TUESDAY, 11)
        )
        second = urgent.propose_insertion(dispatcher, again.pk)
    assert again.pk == job.pk and Job.objects.filter(request=sr).count() == 1
    assert (again.window_start, again.window_end) == (at(TUESDAY, 9), at(TUESDAY, 11))
    assert again.events.filter(kind=JobEvent.Kind.RESCHEDULED).exists()
    first.refresh_from_db()
    assert first.state == Plan.State.SUPERSEDED
    assert (second.state, second.first_day) == (Plan.State.READY, TUESDAY)


def test_a_published_urgent_visit_is_not_re_timed_here(city, dispatcher, request_of):
    sr = request_of(city.east)
    with time_machine.travel(at(MONDAY, 10), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, sr.pk)
        planning.publish_plan(dispatcher, urgent.propose_insertion(dispatcher, job.pk).pk)
        with pytest.raises(Invalid):
            urgent.urgent_job_from_request(
                dispatcher, sr.pk, window_start=at(TUESDAY, 9), window_end=at(TUESDAY, 11)
            )
    job.refresh_from_db()
    assert job.state == JobState.PLANNED and job.day == MONDAY


def test_an_abandoned_proposal_leaves_no_job_behind(city, dispatcher, request_of):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        abandoned = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
        proposal = urgent.propose_insertion(dispatcher, abandoned.pk)
        fresh = urgent.urgent_job_from_request(dispatcher, request_of(city.west).pk)
        urgent.propose_insertion(dispatcher, fresh.pk)
    with time_machine.travel(at(MONDAY, 9, 30), tick=False):
        assert urgent.urgent_discard_stale() == 0  # both proposals are still live
    later = at(MONDAY, 9) + urgent.URGENT_DRAFT_TTL + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        other = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
        urgent.propose_insertion(dispatcher, other.pk)  # the next proposal cleans up
    assert not Job.objects.filter(pk__in=[abandoned.pk, fresh.pk]).exists()
    assert Job.objects.filter(pk=other.pk, kind=JobKind.URGENT).exists()
    proposal.refresh_from_db()
    assert proposal.state == Plan.State.SUPERSEDED


def test_a_proposal_overtaken_by_a_published_plan_leaves_no_job_behind(
    city,
    dispatcher,
    request_of,
    run,
):
    with time_machine.travel(at(MONDAY, 8), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
        urgent.propose_insertion(dispatcher, job.pk)
    with time_machine.travel(at(MONDAY, 8, 40), tick=False):
        # The dispatcher optimises the day and publishes that plan instead (without the job).
        plan = run(dispatcher, first=MONDAY, last=MONDAY)
        Stop.objects.filter(route__plan=plan, job=job).delete()
        planning.publish_plan(dispatcher, plan.pk)
    with time_machine.travel(at(MONDAY, 8, 45), tick=False):
        assert urgent.urgent_discard_stale() == 1
    assert not Job.objects.filter(pk=job.pk).exists()


def test_published_urgent_visits_are_never_discarded(city, dispatcher, request_of):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
        planning.publish_plan(dispatcher, urgent.propose_insertion(dispatcher, job.pk).pk)
    with time_machine.travel(at(MONDAY, 18), tick=False):
        assert urgent.urgent_discard_stale() == 0
    assert Job.objects.filter(pk=job.pk).exists()


def test_the_beat_task_discards_stale_drafts(city, dispatcher, request_of):
    from dispatch.tasks import discard_stale_urgent_task

    with time_machine.travel(at(MONDAY, 9), tick=False):
        job = urgent.urgent_job_from_request(dispatcher, request_of(city.east).pk)
    with time_machine.travel(at(MONDAY, 10), tick=False):
        assert discard_stale_urgent_task() == 1  # raised, never proposed, an hour ago
    assert not Job.objects.filter(pk=job.pk).exists()
