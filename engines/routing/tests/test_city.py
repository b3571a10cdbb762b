"""The city day generator: pure, seeded, and shaped like the day the issue describes."""

from collections import Counter

from engines.routing import check, solve
from engines.routing.city import BOOKED_PENALTY_S, DAY, SKILLS, city_day, city_week

HOUR = 3600


def test_same_seed_gives_the_same_day_and_another_seed_another():
    first, again, other = (
        city_day(120, 6, seed=3),
        city_day(120, 6, seed=3),
        city_day(120, 6, seed=4),
    )
    assert (first.locations, first.jobs, first.staff_days) == (
        again.locations,
        again.jobs,
        again.staff_days,
    )
    assert first.locations != other.locations
    distance, duration = first.travel.matrices(first.locations)
    assert (distance == again.travel.matrices(again.locations)[0]).all()
    assert duration.shape == (len(first.locations),) * 2


def test_the_day_mixes_urgent_booked_and_routine_jobs_as_described():
    problem = city_day(2000, 40, seed=1)
    kinds = Counter(job.id.rstrip("0123456789") for job in problem.jobs)
    assert len(problem.jobs) == 2000 and len(problem.staff_days) == 40
    assert 150 <= kinds["urgent"] <= 250 and 420 <= kinds["booked"] <= 580
    for job in problem.jobs:
        assert 10 * 60 <= job.duration <= 40 * 60
        if job.id.startswith("urgent"):
            assert job.required and len(job.windows) == 1
            assert job.windows[0].end - job.windows[0].start <= HOUR
        elif job.id.startswith("booked"):
            assert not job.required and job.penalty == BOOKED_PENALTY_S
            assert all(HOUR <= w.end - w.start <= 2 * HOUR for w in job.windows)
        else:
            assert not job.required and 0 < job.penalty < BOOKED_PENALTY_S
    assert any(len(job.windows) == 2 for job in problem.jobs)


def test_staff_work_a_shift_with_lunch_and_every_skill_is_held():
    problem = city_day(50, 40, seed=1)
    shifts = Counter((sd.shift.start, sd.shift.end) for sd in problem.staff_days)
    assert set(shifts) == {(8.5 * HOUR, 17.5 * HOUR), (9 * HOUR, 18 * HOUR)}
    for sd in problem.staff_days:
        (lunch,) = sd.breaks
        assert lunch.duration == 45 * 60
        assert (lunch.window.start, lunch.window.end) == (11.5 * HOUR, 13.5 * HOUR)
        assert sd.start == sd.end and sd.max_jobs == 14
    for skill in SKILLS:
        assert sum(skill in sd.skills for sd in problem.staff_days) >= 10
    assert any(len(sd.skills) > 1 for sd in problem.staff_days)
    assert {sd.start for sd in problem.staff_days} > {0}  # some from the office, some from home


def test_rural_shops_lie_far_out_and_are_driven_to_faster():
    problem = city_day(400, 4, seed=2)
    distance, duration = problem.travel.matrices(problem.locations)
    speed_kmh = distance[0, 1:] / duration[0, 1:].clip(min=1) * 3.6
    far = distance[0, 1:] > 20_000  # metres from the office
    assert far.any() and (~far).any()
    assert distance[0].max() < 60_000  # everything within a day's reach of the centre
    rural = [i for i in range(len(problem.locations)) if problem.travel.rural(i)]
    between = duration[rural[0], rural[1]], distance[rural[0], rural[1]]
    assert between[1] / between[0] * 3.6 > speed_kmh.max()


def test_a_week_has_staff_days_on_every_day_routine_jobs_on_a_few_and_bookings_on_one():
    week = city_week(n_routine=300, n_booked=40, n_staff=6, n_days=5, seed=4)
    assert len(week.staff_days) == 30
    assert {sd.day for sd in week.staff_days} == set(range(5))
    for sd in week.staff_days:
        assert sd.day * DAY <= sd.shift.start < sd.shift.end <= (sd.day + 1) * DAY
        (lunch,) = sd.breaks
        assert sd.shift.start < lunch.window.start < lunch.window.end < sd.shift.end
    for job in week.jobs:
        assert job.days is not None and len(job.windows) == len(job.days)
        for day, window in zip(sorted(job.days), job.windows, strict=True):
            assert day * DAY <= window.start <= window.end < (day + 1) * DAY
        if job.id.startswith("routine"):
            assert not job.required and 2 <= len(job.days) <= 3
        else:
            assert job.required and len(job.days) == 1
    assert city_week(50, 5, 3, 2, seed=1).jobs == city_week(50, 5, 3, 2, seed=1).jobs


def test_a_week_is_solved_with_every_job_on_an_allowed_day_and_every_booking_kept():
    week = city_week(n_routine=160, n_booked=20, n_staff=4, n_days=5, seed=2)
    solution = solve(week, time_limit_s=4, seed=1)
    assert check(week, solution) == []
    days = {sd.id: sd.day for sd in week.staff_days}
    jobs = {job.id: job for job in week.jobs}
    served = {v.job_id: days[r.staff_day_id] for r in solution.routes for v in r.visits}
    assert all(day in jobs[job_id].days for job_id, day in served.items())
    assert all(job.id in served for job in week.jobs if job.required)
    assert len(served) > 0.6 * len(week.jobs)
