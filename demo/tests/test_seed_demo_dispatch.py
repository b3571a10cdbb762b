"""The demo field work: roster, past visits, routine visits, bookings and a published week."""

import pytest

from demo.tests.helpers import UNTIL_DATE, seed
from dispatch.models import (
    Availability,
    Job,
    JobKind,
    JobState,
    Plan,
    StaffProfile,
    Stop,
    VisitReport,
)
from dispatch.roster import roster, serves

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    seed(shops=150, staff=10, weeks=0, request_weeks=0, chat_weeks=0)


def test_every_field_staff_member_gets_a_profile_and_some_set_days(city):
    profiles = StaffProfile.objects.select_related("user")
    assert profiles.count() >= 5
    assert {p.user.role for p in profiles} == {"account_manager", "service_staff"}
    assert Availability.objects.filter(kind="leave").count() == 1


def test_past_visits_are_done_with_reports_before_the_history_ends(city):
    past = Job.objects.filter(kind=JobKind.ROUTINE, state__in=(JobState.DONE, JobState.MISSED))
    assert past.count() > 50
    assert VisitReport.objects.count() == past.count()
    assert all(day < UNTIL_DATE for day in past.values_list("planned_day", flat=True))


def test_done_visits_tell_the_shop_what_was_done_and_keep_the_coaching_internal(city):
    done = VisitReport.objects.filter(outcome="done")
    assert done.exists()
    for report in done:
        assert report.shop_summary
        assert report.shop_summary not in (report.work_done, report.coaching)
    assert not VisitReport.objects.exclude(outcome="done").exclude(shop_summary="").exists()


def test_the_plan_week_is_published_and_places_every_booking_in_its_window(city):
    plan = Plan.objects.get(state=Plan.State.PUBLISHED)
    assert plan.first_day == UNTIL_DATE
    assert plan.stats["violations"] == 0 and plan.stats["placed"] > 0
    bookings = Job.objects.filter(kind=JobKind.BOOKING, window_start__date__lte=plan.last_day)
    assert bookings.exists()
    stops = {s.job_id: s for s in Stop.objects.filter(route__plan=plan).select_related("route")}
    for job in bookings:
        stop = stops[job.pk]
        assert job.window_start <= stop.start <= job.window_end
        assert job.assignee_id == stop.route.staff_id


def test_routine_visits_go_to_staff_who_serve_the_shop(city):
    plan = Plan.objects.get(state=Plan.State.PUBLISHED)
    days = {(d.user_id, d.day): d for d in roster(plan.first_day, plan.last_day)}
    stops = Stop.objects.filter(route__plan=plan).select_related("route", "job__shop")
    assert stops.exists()
    for stop in stops:
        assert serves(days[(stop.route.staff_id, stop.route.day)], stop.job.shop)
