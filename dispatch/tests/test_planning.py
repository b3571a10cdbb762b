"""Planning end to end on a small city: place, publish, supersede, move by hand."""

import datetime

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import GridFactory, ShopFactory
from dispatch.models import Job, JobEvent, JobKind, JobState, Plan, Route, Stop, Unplaced
from dispatch.services import planning
from dispatch.tests.factories import MONDAY, BookingFactory, at, day, field_staff
from flexserve.errors import Conflict, Forbidden, Invalid


@pytest.fixture
def jobs(city):
    """15 jobs over Monday–Friday: 6 bookings, 1 equipment booking, 7 routine, 1 unserved."""
    bookings = [
        city.booking(city.east, 0, 9),
        city.booking(city.east, 0, 14),
        city.booking(city.west, 1, 10),
        city.booking(city.west, 2, 15),
        city.booking(city.east, 3, 9, hours=1),
        city.booking(city.west, 4, 13),
    ]
    skilled = city.booking(city.west, 2, 9, code="equipment_check")
    routine = [
        city.routine(city.east, 0, 4),
        city.routine(city.east, 1, 2),
        city.routine(city.west, 0, 1),
        city.routine(city.west, 2, 4),
        city.routine(city.east, 3, 3),
        city.routine(city.west, -3, 0, due=-1),  # last allowed day is Monday
        city.routine(city.east, 4, 8, due=6),  # may also wait until next week
    ]
    nobody = BookingFactory(
        shop=city.shop(city.far), window_start=at(day(1), 9), window_end=at(day(1), 11)
    )
    return {"bookings": bookings, "skilled": skilled, "routine": routine, "nobody": nobody}


def placements(plan: Plan) -> dict[int, tuple]:
    return {
        s.job_id: (s.route.staff_id, s.route.day, s.seq, s.start)
        for s in Stop.objects.filter(route__plan=plan).select_related("route")
    }


def test_a_week_plan_keeps_windows_days_territory_and_skills(city, jobs, dispatcher, run):
    plan = run(dispatcher)
    assert plan.state == Plan.State.READY, plan.message
    assert plan.progress == 100
    stats = plan.stats
    assert stats["violations"] == 0
    assert stats["jobs"] == 15
    assert stats["placed"] + stats["unplaced"] == 15
    assert stats["required_unplaced"] == 1  # the shop nobody serves
    assert stats["routes"] == Route.objects.filter(plan=plan).count() > 0
    assert stats["travel_s"] > 0 and stats["distance_m"] > 0

    placed = placements(plan)
    for booking in [*jobs["bookings"], jobs["skilled"]]:
        staff_id, on_day, _seq, start = placed[booking.pk]
        assert booking.window_start <= start <= booking.window_end
        assert on_day == booking.window_start.date()
    for job in jobs["routine"]:
        if job.pk in placed:
            assert max(MONDAY, job.earliest_on) <= placed[job.pk][1] <= job.latest_on
    # the routine visit due by Monday is done now
    assert placed[jobs["routine"][5].pk][1] == MONDAY
    assert placed[jobs["skilled"].pk][0] == city.cai.pk
    west_only = {city.bo.pk, city.cai.pk}
    east_only = {city.ann.pk, city.cai.pk}
    for job in Job.objects.filter(pk__in=placed).select_related("shop"):
        allowed = east_only if job.shop.grid_id == city.east.pk else west_only
        assert placed[job.pk][0] in allowed
    (orphan,) = Unplaced.objects.filter(plan=plan, reason=Unplaced.Reason.NO_STAFF)
    assert orphan.job_id == jobs["nobody"].pk

    for route in Route.objects.filter(plan=plan).prefetch_related("stops"):
        stops = list(route.stops.order_by("seq"))
        assert route.shift_start <= route.departure <= stops[0].arrival
        assert stops[-1].end <= route.arrival <= route.shift_end
        assert route.break_start is not None  # a full working day always includes lunch
        for stop in stops:
            assert not (route.break_start < stop.end and stop.start < route.break_end)


def test_the_same_seed_gives_the_same_plan(city, jobs, dispatcher, run):
    assert placements(run(dispatcher, seed=3)) == placements(run(dispatcher, seed=3))


def test_components_are_solved_apart(city, jobs, dispatcher, run):
    other = GridFactory()
    field_staff(grids=[other], username="dai")
    extra = BookingFactory(
        shop=ShopFactory(grid=other), window_start=at(MONDAY, 10), window_end=at(MONDAY, 12)
    )
    plan = run(dispatcher)
    assert plan.stats["components"] == 2
    assert extra.pk in placements(plan)


def test_planning_needs_the_dispatch_permission(account_manager):
    with pytest.raises(Forbidden):
        planning.start_plan(account_manager, first_day=MONDAY, last_day=MONDAY)
    assert not Plan.objects.exists()


def test_a_period_longer_than_a_week_is_refused(dispatcher):
    with pytest.raises(Invalid):
        planning.start_plan(dispatcher, first_day=MONDAY, last_day=MONDAY + datetime.timedelta(7))
    assert not Plan.objects.exists()


def test_a_failing_run_ends_failed_with_a_message(city, jobs, dispatcher, monkeypatch, run):
    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("dispatch.services.planning.run.solve", broken)
    plan = run(dispatcher)
    assert plan.state == Plan.State.FAILED
    assert "solver exploded" in plan.message


def test_publishing_plans_jobs_and_supersedes_the_older_plan(city, jobs, dispatcher, run):
    first = run(dispatcher)
    planning.publish_plan(dispatcher, first.pk)
    first.refresh_from_db()
    assert first.state == Plan.State.PUBLISHED and first.published_by == dispatcher
    placed = placements(first)
    for job in Job.objects.filter(pk__in=placed):
        staff_id, on_day, _seq, start = placed[job.pk]
        assert (job.state, job.assignee_id, job.planned_day, job.planned_start) == (
            JobState.PLANNED,
            staff_id,
            on_day,
            start,
        )
        assert job.events.filter(kind=JobEvent.Kind.PLANNED).count() == 1

    # Ann takes Monday off: the next plan moves her work, her Monday jobs are re-planned.
    from dispatch.models import Availability

    Availability.objects.create(user=city.ann, day=MONDAY, kind="off")
    second = run(dispatcher)
    planning.publish_plan(dispatcher, second.pk)
    first.refresh_from_db()
    assert first.state == Plan.State.SUPERSEDED
    assert not Route.objects.filter(plan=second, staff=city.ann, day=MONDAY).exists()
    events_before = JobEvent.objects.count()
    # publishing an identical answer again changes nothing and writes no events
    unchanged = placements(second)
    for job in Job.objects.filter(pk__in=unchanged):
        assert job.planned_start == unchanged[job.pk][3]
    assert JobEvent.objects.count() == events_before


def test_a_plan_made_before_a_newer_published_one_cannot_be_published(city, jobs, dispatcher, run):
    old = run(dispatcher)
    new = run(dispatcher)
    planning.publish_plan(dispatcher, new.pk)
    with pytest.raises(Conflict) as caught:
        planning.publish_plan(dispatcher, old.pk)
    assert "newer plan" in caught.value.render_message()
    old.refresh_from_db()
    assert old.state == Plan.State.READY
    with pytest.raises(Conflict):
        planning.publish_plan(dispatcher, new.pk)  # already published


def test_a_job_unplaced_by_the_new_plan_waits_again(city, dispatcher, run):
    routine = city.routine(city.east, 0, 4)
    booking = city.booking(city.east, 0, 9)
    plan = run(dispatcher)
    planning.publish_plan(dispatcher, plan.pk)
    for job in (routine, booking):
        job.refresh_from_db()
        assert job.state == JobState.PLANNED
    # nobody works Monday–Friday any more
    from dispatch.models import StaffProfile

    StaffProfile.objects.update(work_weekdays=[5, 6])
    again = run(dispatcher)
    planning.publish_plan(dispatcher, again.pk)
    routine.refresh_from_db()
    booking.refresh_from_db()
    assert (routine.state, routine.assignee, routine.planned_day) == (JobState.OPEN, None, None)
    assert (booking.state, booking.planned_start) == (JobState.OPEN, None)
    assert booking.assignee is not None  # the booking keeps its reservation
    assert routine.events.filter(kind=JobEvent.Kind.UNPLANNED).exists()


def _route_jobs(plan, staff, on_day):
    return list(
        Stop.objects.filter(route__plan=plan, route__staff=staff, route__day=on_day)
        .order_by("seq")
        .values_list("job_id", flat=True)
    )


def test_moving_a_routine_job_to_another_staff_member_re_times_both_routes(city, dispatcher, run):
    routine = city.routine(city.east, 0, 0)
    plan = run(dispatcher, first=MONDAY, last=MONDAY)
    staff_id = placements(plan)[routine.pk][0]
    other = city.cai if staff_id == city.ann.pk else city.ann
    planning.move_job(dispatcher, plan.pk, routine.pk, staff_id=other.pk, day=MONDAY, position=0)
    assert _route_jobs(plan, other, MONDAY)[0] == routine.pk
    assert not Route.objects.filter(plan=plan, staff_id=staff_id).exists()  # left empty
    routine.refresh_from_db()
    assert routine.state == JobState.OPEN  # a ready plan changes no job


def test_a_move_that_breaks_a_window_changes_nothing(city, dispatcher, run):
    early = city.booking(city.east, 0, 9, hours=1)
    late = city.booking(city.east, 0, 15, hours=1)
    plan = run(dispatcher, first=MONDAY, last=MONDAY)
    placed = placements(plan)
    staff_id = placed[late.pk][0]
    before = (placements(plan), list(Route.objects.filter(plan=plan).values()))
    # put the 15:00 booking before the 9:00 one on the same route
    target = placed[early.pk][0]
    with pytest.raises(Invalid) as caught:
        planning.move_job(dispatcher, plan.pk, late.pk, staff_id=target, day=MONDAY, position=0)
    assert "window" in caught.value.render_message() or "时间窗" in caught.value.render_message()
    assert (placements(plan), list(Route.objects.filter(plan=plan).values())) == before
    assert staff_id in (city.ann.pk, city.cai.pk)


def test_a_move_outside_the_territory_or_skill_is_refused(city, dispatcher, run):
    east = city.booking(city.east, 0, 9)
    skilled = city.booking(city.east, 0, 13, code="equipment_check")
    plan = run(dispatcher, first=MONDAY, last=MONDAY)
    with pytest.raises(Invalid) as caught:
        planning.move_job(dispatcher, plan.pk, east.pk, staff_id=city.bo.pk, day=MONDAY, position=0)
    assert "serve" in caught.value.render_message()
    with pytest.raises(Invalid) as caught:
        planning.move_job(
            dispatcher, plan.pk, skilled.pk, staff_id=city.ann.pk, day=MONDAY, position=0
        )
    assert "skill" in caught.value.render_message()
    nobody = UserFactory(role=Role.ACCOUNT_MANAGER)
    with pytest.raises(Invalid):
        planning.move_job(dispatcher, plan.pk, east.pk, staff_id=nobody.pk, day=MONDAY, position=0)


def test_moving_on_a_published_plan_updates_the_job(city, dispatcher, run):
    routine = city.routine(city.east, 0, 0)
    city.booking(city.east, 0, 9)
    plan = run(dispatcher, first=MONDAY, last=MONDAY)
    planning.publish_plan(dispatcher, plan.pk)
    staff_id = placements(plan)[routine.pk][0]
    other = city.cai if staff_id == city.ann.pk else city.ann
    planning.move_job(dispatcher, plan.pk, routine.pk, staff_id=other.pk, day=MONDAY, position=0)
    routine.refresh_from_db()
    assert (routine.assignee_id, routine.planned_day) == (other.pk, MONDAY)
    assert routine.planned_start == placements(plan)[routine.pk][3]
    assert routine.events.filter(kind=JobEvent.Kind.MOVED).count() == 1

    planning.move_job(dispatcher, plan.pk, routine.pk, staff_id=None, day=None, position=0)
    routine.refresh_from_db()
    assert (routine.state, routine.assignee, routine.planned_start) == (JobState.OPEN, None, None)
    assert Unplaced.objects.get(plan=plan, job=routine).reason == planning.MANUAL_REASON
    assert routine.pk not in placements(plan)


def test_a_routine_job_is_not_moved_outside_its_days(city, dispatcher, run):
    routine = city.routine(city.east, 0, 0)
    plan = run(dispatcher, first=MONDAY, last=day(1))
    with pytest.raises(Invalid):
        planning.move_job(
            dispatcher, plan.pk, routine.pk, staff_id=city.ann.pk, day=day(1), position=0
        )


def test_a_queued_plan_is_run_once(city, dispatcher, run):
    plan = run(dispatcher, first=MONDAY, last=MONDAY)
    planning.run_plan(plan.pk)  # delivered twice: nothing happens
    plan.refresh_from_db()
    assert plan.state == Plan.State.READY
    assert JobKind.BOOKING  # the module's enums stay importable


def test_the_board_shows_a_day_in_a_handful_of_queries(
    city, jobs, dispatcher, run, django_assert_max_num_queries
):
    from dispatch import selectors

    plan = run(dispatcher)
    planning.publish_plan(dispatcher, plan.pk)
    with django_assert_max_num_queries(8):
        board = selectors.board(dispatcher, MONDAY)
        assert board.plan.pk == plan.pk
        assert (
            sum(len(r.stops) for r in board.routes)
            == Route.objects.filter(plan=plan, day=MONDAY).aggregate(
                n=__import__("django.db.models").db.models.Count("stops")
            )["n"]
        )
        assert all(r.home is not None for r in board.routes)
    assert [p.pk for p in selectors.plans(dispatcher)] == [plan.pk]
    with pytest.raises(Forbidden):
        selectors.board(city.ann, MONDAY)
