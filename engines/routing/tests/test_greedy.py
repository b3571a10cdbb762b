"""The cheapest-insertion baseline: always feasible, deterministic, and cheapest where it can be."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.routing import Break, Job, MatrixTravel, Problem, StaffDay, TimeWindow, check
from engines.routing.city import city_day
from engines.routing.greedy import schedule, solve_greedy
from engines.routing.model import Solution
from engines.routing.tests.test_solver_feasibility import random_day

DAY = TimeWindow(0, 1000)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n_jobs=st.integers(8, 30), n_staff_days=st.integers(1, 4))
def test_every_greedy_solution_passes_the_checker(seed, n_jobs, n_staff_days):
    problem = random_day(seed, n_jobs, n_staff_days)
    solution = solve_greedy(problem)

    assert check(problem, solution) == []
    served = {v.job_id for route in solution.routes for v in route.visits}
    reported = {u.job_id for u in solution.unassigned}
    assert served.isdisjoint(reported) and served | reported == {job.id for job in problem.jobs}
    assert all(len(route.breaks) == 1 for route in solution.routes)


def test_a_city_day_is_solved_feasibly_and_the_same_way_twice():
    problem = city_day(150, 8, seed=11)  # 16 urgent jobs, all of which fit
    first, second = solve_greedy(problem), solve_greedy(problem)
    assert check(problem, first) == []
    assert first.routes == second.routes and first.unassigned == second.unassigned
    left_out = {u.job_id for u in first.unassigned}
    assert left_out and not any(job.required and job.id in left_out for job in problem.jobs)


def line(n: int) -> MatrixTravel:
    """Depot 0 and shops 1..n on a line, one unit apart."""
    points = np.arange(n + 1)
    m = np.abs(points[:, None] - points[None, :]) * 10
    return MatrixTravel(m, m)


def test_jobs_go_where_they_add_least_travel_and_unprofitable_optional_ones_stay_out():
    jobs = (
        Job("far", 3, 5, (DAY,)),
        Job("near", 1, 5, (DAY,)),
        Job("middle", 2, 5, (DAY,), required=False, penalty=100),
        Job("not-worth-it", 4, 5, (DAY,), required=False, penalty=1),
    )
    staff = (StaffDay("li", "li", 0, DAY, 0, 0),)
    problem = Problem(tuple((float(i), 0.0) for i in range(5)), jobs, staff, line(4))
    solution = solve_greedy(problem)

    assert check(problem, solution) == []
    assert [v.job_id for v in solution.routes[0].visits] == ["near", "middle", "far"]
    assert [(u.job_id, u.reason) for u in solution.unassigned] == [("not-worth-it", "not_worth")]


def test_a_job_no_one_is_skilled_for_is_reported_as_such():
    jobs = (Job("fix", 1, 5, (DAY,), frozenset({"repair"})), Job("visit", 2, 5, (DAY,)))
    staff = (StaffDay("li", "li", 0, DAY, 0, 0, max_jobs=1),)
    problem = Problem(tuple((float(i), 0.0) for i in range(3)), jobs, staff, line(2))
    solution = solve_greedy(problem)
    assert check(problem, solution) == []
    assert [(u.job_id, u.reason) for u in solution.unassigned] == [("fix", "no_skill")]


def test_schedule_takes_lunch_where_the_route_returns_earliest_and_leaves_as_late_as_it_can():
    lunch = Break(TimeWindow(100, 120), 30)
    sd = StaffDay("li", "li", 0, TimeWindow(0, 400), 0, 0, breaks=(lunch,))
    jobs = [Job("a", 1, 10, (TimeWindow(50, 60),)), Job("b", 2, 10, (TimeWindow(200, 210),))]
    distance, duration = line(2).matrices([(0.0, 0.0)] * 3)
    route = schedule(sd, jobs, distance, duration)

    assert route is not None and route.departure == 50  # 10 to drive, a starts by 60
    assert [v.start for v in route.visits] == [60, 200]
    assert [(b.start, b.end) for b in route.breaks] == [(100, 130)]  # in the wait before b
    assert route.arrival == 230  # b ends at 210, 20 to drive home
    check_problem = Problem(((0.0, 0.0),) * 3, tuple(jobs), (sd,), line(2))
    assert check(check_problem, _only(route)) == []
    blocking = [jobs[0], Job("b", 2, 50, (TimeWindow(110, 120),))]  # b covers every lunch start
    assert schedule(sd, blocking, distance, duration) is None
    forced = schedule(sd, blocking, distance, duration, strict=False)
    assert forced is not None and [v.job_id for v in forced.visits] == ["a", "b"]
    # the forced schedule breaks as few rules as it can: lunch before b, b starting late
    blocked = Problem(((0.0, 0.0),) * 3, tuple(blocking), (sd,), line(2))
    assert [(v.kind, v.job_id) for v in check(blocked, _only(forced))] == [("window", "b")]


def _only(route):
    return Solution((route,), (), route.distance, route.duration, 0.0, "test")
