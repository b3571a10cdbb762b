"""Required jobs as PyVRP required clients when the staff surely can serve them all, prizes
otherwise; matrices kept as numpy arrays; the search's statistics."""

import tracemalloc

import numpy as np

from engines.routing import Break, Job, MatrixTravel, Problem, StaffDay, TimeWindow, check, solve
from engines.routing.solver import _legs
from engines.routing.solver.construct import construct
from engines.routing.solver.encode import _submatrix, encode

DAY = TimeWindow(0, 1000)
ANY = (TimeWindow(0, 1000),)


def line(n: int) -> MatrixTravel:
    """Depot 0 and shops 1..n on a line, 10 apart."""
    points = np.arange(n + 1) * 10
    m = np.abs(points[:, None] - points[None, :]).astype(np.int64)
    return MatrixTravel(m, m)


def problem(jobs, staff_days, n: int) -> Problem:
    return Problem(
        tuple((float(i), 0.0) for i in range(n + 1)), tuple(jobs), tuple(staff_days), line(n)
    )


def windows(p: Problem) -> dict[str, list[int]]:
    return {job.id: list(range(len(job.windows))) for job in p.jobs}


def encoded(p: Problem, required_clients: bool):
    distance, duration = p.travel.matrices(p.locations)
    return encode(p, windows(p), distance, duration, "duration", None, 1, required_clients)


def test_required_jobs_become_required_clients_when_the_fleet_surely_covers_them():
    jobs = [Job(f"j{i}", i, 10, ANY, demand=1) for i in range(1, 7)]
    staff = [StaffDay(f"s{k}", f"s{k}", 0, DAY, 0, 0, capacity=3) for k in range(3)]
    p = problem(jobs, staff, 6)
    solution = solve(p, time_limit_s=1.0, max_iterations=50)
    assert check(p, solution) == [] and not solution.unassigned
    assert solution.search.required_clients
    assert solution.search.iterations == 50
    data = encoded(p, True).data
    assert all(client.required and client.prize == 0 for client in data.clients())


def test_required_jobs_stay_prize_optional_when_the_staff_may_be_short():
    # three 400-minute jobs, one 1,000-minute day: no construction serves them all
    jobs = [Job(f"long{i}", i, 400, ANY) for i in (1, 2, 3)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0)], 3)
    assert construct(p, windows(p), p.travel.duration) is None
    solution = solve(p, time_limit_s=1.0, max_iterations=50)
    assert check(p, solution) == []
    assert not solution.search.required_clients
    assert [u.reason for u in solution.unassigned] == ["capacity"]
    data = encoded(p, False).data
    assert all(not c.required and c.prize > 0 for c in data.clients())


def test_with_optional_jobs_every_job_keeps_its_prize():
    # On a day of optional visits, required clients made the search trade them far worse.
    jobs = [Job("must", 1, 10, ANY), Job("extra", 2, 10, ANY, required=False, penalty=5)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0)], 2)
    solution = solve(p, time_limit_s=1.0, max_iterations=50)
    assert check(p, solution) == []
    assert [u.job_id for u in solution.unassigned] == ["extra"]  # 20 more travel for a prize of 5
    assert not solution.search.required_clients
    must, extra = encoded(p, False).data.clients()
    assert not must.required and must.prize > extra.prize == 5


def test_with_breaks_only_the_warm_start_is_the_proof():
    lunch = Break(TimeWindow(300, 400), 30)
    jobs = [Job("a", 1, 10, ANY), Job("b", 2, 10, ANY)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0, breaks=(lunch,))], 2)
    solution = solve(p, time_limit_s=1.0, max_iterations=50)
    assert check(p, solution) == [] and not solution.unassigned
    assert solution.search.required_clients


def test_a_required_job_with_break_variants_is_a_required_group():
    lunch = Break(TimeWindow(300, 400), 30)
    jobs = [Job("must", 1, 10, ANY)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0, breaks=(lunch,))], 1)
    model = encoded(p, True)
    (group,) = model.data.groups()
    assert group.required and len(group) == 2
    assert not any(c.required for c in model.data.clients())  # group members never are
    solution = solve(p, time_limit_s=1.0, max_iterations=50)
    assert check(p, solution) == [] and solution.search.required_clients


def test_construction_keeps_capacity_windows_and_skills():
    jobs = [
        Job("early", 1, 10, (TimeWindow(0, 20),), demand=2),
        Job("late", 2, 10, (TimeWindow(500, 600),), demand=2),
        Job("fix", 3, 10, ANY, frozenset({"repair"}), demand=1),
    ]
    staff = [
        StaffDay("plain", "plain", 0, DAY, 0, 0, capacity=2),
        StaffDay("tech", "tech", 0, DAY, 0, 0, frozenset({"repair"}), capacity=3),
    ]
    p = problem(jobs, staff, 3)
    routes = construct(p, windows(p), p.travel.duration)
    assert routes is not None
    by_staff = {sd.id: [job.id for job, _ in seq] for sd, seq in routes}
    assert sorted(j for seq in by_staff.values() for j in seq) == ["early", "fix", "late"]
    assert "fix" in by_staff["tech"]
    for sd, seq in routes:
        assert sum(job.demand for job, _ in seq) <= sd.capacity
    # one staff-day with room for two units cannot carry four
    alone = problem(jobs[:2], staff[:1], 3)
    assert construct(alone, windows(alone), alone.travel.duration) is None


def test_matrices_reach_pyvrp_as_arrays_without_copies():
    m = line(5).distance
    assert _submatrix(m, np.arange(6)) is m
    sub = _submatrix(m, np.array([0, 2, 4]))
    assert isinstance(sub, np.ndarray) and sub.tolist() == [[0, 20, 40], [20, 0, 20], [40, 20, 0]]
    assert _legs(m, [4, 0, 4]) == {0: {0: 0, 4: 40}, 4: {0: 40, 4: 0}}
    jobs = [Job(f"j{i}", i, 10, ANY) for i in range(1, 6)]
    p = problem(jobs, [StaffDay("li", "li", 0, DAY, 0, 0)], 5)
    model = encoded(p, True)
    assert isinstance(model.data.distance_matrix(0), np.ndarray)
    assert np.array_equal(model.data.duration_matrix(0), m)


def test_solving_never_turns_the_whole_matrices_into_lists():
    n = 600
    rng = np.random.default_rng(7)
    points = rng.integers(0, 100, (n + 1, 2))
    # tenths, as Solomon's: most entries are above 256, so each would be an int object in a list
    m = np.rint(10 * np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)))
    travel = MatrixTravel(m.astype(np.int64), m.astype(np.int64))
    jobs = [Job(f"j{i}", i, 5, (TimeWindow(0, 50000),), demand=1) for i in range(1, n + 1)]
    staff = [
        StaffDay(f"s{k}", f"s{k}", 0, TimeWindow(0, 50000), 0, 0, capacity=40) for k in range(40)
    ]
    p = Problem(tuple(map(tuple, points.astype(float))), tuple(jobs), tuple(staff), travel)
    tracemalloc.start()
    solution = solve(p, time_limit_s=30, max_iterations=1, objective="distance")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert check(p, solution) == [] and solution.search.required_clients
    # the two matrices as nested lists would hold 2 × 601² ints: over 20 MB (~2 MB without)
    assert peak < 6 * 2**20


def test_when_the_search_finds_nothing_feasible_the_construction_is_the_answer(monkeypatch):
    from pyvrp import Result, Statistics
    from pyvrp import Route as PyvrpRoute
    from pyvrp import Solution as PyvrpSolution

    import engines.routing.solver as solver

    def stuck(data, stop, **_):
        # every client on one vehicle: over its capacity, so infeasible
        best = PyvrpSolution(data, [PyvrpRoute(data, list(range(data.num_clients)), 0)])
        assert not best.is_feasible()
        return Result(best, Statistics(), 0, 0.0)

    monkeypatch.setattr(solver, "pyvrp_solve", stuck)
    jobs = [Job(f"j{i}", i, 10, ANY, demand=1) for i in range(1, 7)]
    staff = [StaffDay(f"s{k}", f"s{k}", 0, DAY, 0, 0, capacity=3) for k in range(3)]
    p = problem(jobs, staff, 6)
    solution = solve(p, time_limit_s=1.0)
    assert check(p, solution) == []
    assert not solution.unassigned and sum(len(r.visits) for r in solution.routes) == 6
