"""Skills, days, windows, determinism and a tiny instance with a known optimum."""

from itertools import permutations

import numpy as np

from engines.routing import (
    Job,
    MatrixTravel,
    Problem,
    StaffDay,
    TimeWindow,
    check,
    solve,
)

DAY = TimeWindow(0, 1000)
ANY = (TimeWindow(0, 1000),)


def star(n: int) -> MatrixTravel:
    """Depot 0 and n shops, each 10 from the depot and 20 from each other."""
    m = np.full((n + 1, n + 1), 20)
    m[0, :] = m[:, 0] = 10
    np.fill_diagonal(m, 0)
    return MatrixTravel(m, m)


def problem(jobs, staff_days, n: int) -> Problem:
    return Problem(
        tuple((float(i), 0.0) for i in range(n + 1)), tuple(jobs), tuple(staff_days), star(n)
    )


def placed(solution) -> dict[str, str]:
    return {v.job_id: r.staff_day_id for r in solution.routes for v in r.visits}


def test_jobs_go_only_to_staff_with_their_skills():
    jobs = [Job(f"fix{i}", i, 10, ANY, frozenset({"repair"})) for i in (1, 2)]
    jobs += [Job(f"visit{i}", i, 10, ANY) for i in (3, 4)]
    staff = [
        StaffDay("li", "li", 0, DAY, 0, 0),
        StaffDay("wu", "wu", 0, DAY, 0, 0, frozenset({"repair"}), max_jobs=2),
    ]
    p = problem(jobs, staff, 4)
    solution = solve(p, time_limit_s=0.3, max_iterations=200)
    assert check(p, solution) == []
    assert placed(solution) == {"fix1": "wu", "fix2": "wu", "visit3": "li", "visit4": "li"}


def test_jobs_with_days_land_on_allowed_days_once():
    jobs = [
        Job("mon", 1, 10, ANY, days=frozenset({0})),
        Job("tue", 2, 10, ANY, days=frozenset({1})),
        Job("either", 3, 10, ANY),
    ]
    staff = [StaffDay("li-mon", "li", 0, DAY, 0, 0), StaffDay("li-tue", "li", 1, DAY, 0, 0)]
    p = problem(jobs, staff, 3)
    solution = solve(p, time_limit_s=0.3, max_iterations=200)
    assert check(p, solution) == []
    where = placed(solution)
    assert (where["mon"], where["tue"], len(where)) == ("li-mon", "li-tue", 3)


def test_left_out_jobs_carry_the_reason():
    jobs = [
        Job("needs-audit", 1, 10, ANY, frozenset({"audit"})),
        Job("sunday", 2, 10, ANY, days=frozenset({6})),
        Job("after-hours", 3, 10, (TimeWindow(2000, 2100),)),
        Job("too-far", 4, 995, ANY),
        Job("cheap-extra", 5, 10, ANY, required=False, penalty=0),
    ]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0)], 5)
    solution = solve(p, time_limit_s=0.3, max_iterations=200)
    assert check(p, solution) == []
    assert {u.job_id: u.reason for u in solution.unassigned} == {
        "needs-audit": "no_skill",
        "sunday": "no_day",
        "after-hours": "no_window",
        "too-far": "no_window",
        "cheap-extra": "not_worth",
    }


def test_required_work_beyond_the_staff_time_is_reported_as_capacity():
    jobs = [Job(f"long{i}", i, 400, ANY) for i in (1, 2, 3)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0)], 3)
    solution = solve(p, time_limit_s=0.3, max_iterations=200)
    assert check(p, solution) == []
    assert len(placed(solution)) == 2
    assert [u.reason for u in solution.unassigned] == ["capacity"]


def test_a_job_with_two_windows_is_served_once_in_the_one_that_fits():
    # The morning window is gone by the time li can arrive (shift starts at 500).
    jobs = [Job("split", 1, 10, (TimeWindow(0, 100), TimeWindow(600, 700)))]
    p = problem(jobs, [StaffDay("li", "li", 0, TimeWindow(500, 1000), 0, 0)], 1)
    solution = solve(p, time_limit_s=0.3, max_iterations=100)
    assert check(p, solution) == []
    (visit,) = solution.routes[0].visits
    assert 600 <= visit.start <= 700


def test_max_jobs_limits_each_route():
    jobs = [Job(f"j{i}", i, 10, ANY) for i in range(1, 7)]
    staff = [StaffDay(f"s{k}", f"s{k}", 0, DAY, 0, 0, max_jobs=2) for k in range(3)]
    p = problem(jobs, staff, 6)
    solution = solve(p, time_limit_s=0.3, max_iterations=200)
    assert check(p, solution) == []
    assert sorted(len(r.visits) for r in solution.routes) == [2, 2, 2]


def test_the_same_seed_gives_the_same_routes():
    jobs = [
        Job(f"j{i}", i, 10, (TimeWindow(50 * (i % 4), 50 * (i % 4) + 300),)) for i in range(1, 11)
    ]
    staff = [StaffDay(f"s{k}", f"s{k}", 0, DAY, 0, 0) for k in range(3)]
    p = problem(jobs, staff, 10)
    first = solve(p, time_limit_s=0.5, seed=7, max_iterations=150)
    second = solve(p, time_limit_s=0.5, seed=7, max_iterations=150)
    assert first.routes == second.routes and first.unassigned == second.unassigned


def test_progress_is_reported_with_the_final_cost():
    reports = []
    p = problem([Job("j1", 1, 10, ANY)], [StaffDay("li", "li", 0, DAY, 0, 0)], 1)
    solution = solve(
        p,
        time_limit_s=0.2,
        max_iterations=50,
        progress=lambda elapsed, cost: reports.append((elapsed, cost)),
    )
    assert reports[-1][1] == solution.duration == 30


def test_a_tiny_capacitated_instance_reaches_its_known_optimum():
    # Four customers N, E, S, W at 10 from the depot, demand 1, two vehicles of capacity 2;
    # Solomon-style floor(10 × euclid). Optimum pairs neighbours: 2 × (100 + 141 + 100) = 682.
    points = np.array([(0, 0), (10, 0), (0, 10), (-10, 0), (0, -10)], dtype=float)
    m = np.floor(10 * np.hypot(*(points[:, None] - points[None, :]).transpose(2, 0, 1)))
    m = m.astype(np.int64)
    jobs = [Job(f"c{i}", i, 0, (TimeWindow(0, 10_000),), demand=1) for i in range(1, 5)]
    staff = [
        StaffDay(f"v{k}", f"v{k}", 0, TimeWindow(0, 10_000), 0, 0, capacity=2) for k in range(2)
    ]
    p = Problem(tuple(map(tuple, points)), tuple(jobs), tuple(staff), MatrixTravel(m, m))

    def tour(order) -> int:
        stops = [0, *order, 0]
        return sum(int(m[a, b]) for a, b in zip(stops, stops[1:], strict=False))

    brute_force = min(tour(order[:2]) + tour(order[2:]) for order in permutations(range(1, 5)))
    solution = solve(p, time_limit_s=0.5, objective="distance", max_iterations=300)
    assert check(p, solution) == []
    assert solution.distance == brute_force == 682


def test_balance_spreads_the_work_between_staff():
    # Shops 100 from the depot and 5 from each other: one route doing all eight (635) is
    # shorter in total than two (2 × 415), so without balance one staff member does everything.
    m = np.full((9, 9), 5)
    m[0, :] = m[:, 0] = 100
    np.fill_diagonal(m, 0)
    jobs = [Job(f"j{i}", i, 50, ANY) for i in range(1, 9)]
    staff = [StaffDay(f"s{k}", f"s{k}", 0, DAY, 0, 0) for k in range(2)]
    p = Problem(
        tuple((float(i), 0.0) for i in range(9)), tuple(jobs), tuple(staff), MatrixTravel(m, m)
    )

    def spread(solution) -> int:
        lengths = {r.staff_day_id: r.duration for r in solution.routes}
        return max(lengths.get(sd.id, 0) for sd in staff) - min(
            lengths.get(sd.id, 0) for sd in staff
        )

    free = solve(p, time_limit_s=1, max_iterations=300, balance=None)
    balanced = solve(p, time_limit_s=1, max_iterations=300, balance=0.5, balance_cost=2)
    assert check(p, free) == [] and check(p, balanced) == []
    assert not free.unassigned and not balanced.unassigned
    assert (free.duration, spread(free)) == (635, 635)
    # beyond half the shift (500) each unit costs 2 more: two routes, neither past 500
    assert balanced.duration == 830 and len(balanced.routes) == 2
    assert max(r.duration for r in balanced.routes) <= 500
    assert spread(balanced) <= 110 < spread(free)


def test_the_time_limit_covers_building_the_model():
    from engines.routing.city import city_day

    problem = city_day(300, 8, seed=5)
    solution = solve(problem, time_limit_s=2.0, seed=1)
    assert check(problem, solution) == []
    assert solution.runtime_s < 2.5
