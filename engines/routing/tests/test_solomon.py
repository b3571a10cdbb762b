import dataclasses
import math
import random
from pathlib import Path

import numpy as np
import pytest

from engines.routing import solomon
from engines.routing.checker import check

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "vrptw"
needs_data = pytest.mark.skipif(not (DATA / "solomon_bks.csv").exists(), reason=f"{DATA} missing")


def _instance(name: str) -> solomon.Instance:
    return solomon.read_instance(DATA / "solomon" / f"{name}.txt")


def _bks_routes(name: str) -> list[list[int]]:
    return solomon.read_routes(DATA / "solomon_bks_routes" / f"{name}.sol")


def test_dimacs_distance_truncates_to_tenths():
    matrix = solomon.dimacs_matrix([(0, 0), (3, 4), (1, 1), (1, 2)])
    assert matrix[0, 1] == 50  # exact: 5.0
    assert matrix[0, 2] == 14  # 1.414… → 1.4, not rounded
    assert matrix[0, 3] == 22  # 2.236… → 2.2
    assert matrix[2, 3] == 10
    assert (matrix == matrix.T).all() and (np.diag(matrix) == 0).all()


def test_dimacs_distance_is_the_integer_square_root_even_near_perfect_squares():
    rng = random.Random(7)
    points = [(rng.randint(0, 1000), rng.randint(0, 1000)) for _ in range(60)]
    points += [(0, 0), (600, 800), (5, 12), (999, 1000)]  # exact lengths 1000 and 13
    matrix = solomon.dimacs_matrix(points)
    for i, (xi, yi) in enumerate(points):
        for j, (xj, yj) in enumerate(points):
            assert matrix[i, j] == math.isqrt(100 * ((xi - xj) ** 2 + (yi - yj) ** 2))


@needs_data
def test_reader_scales_times_to_tenths_and_keeps_customer_numbers():
    c101 = _instance("C101")
    assert (c101.name, c101.fleet_size, c101.capacity, c101.customers) == ("C101", 25, 200, 100)
    assert (c101.ready[0], c101.due[0], c101.horizon) == (0, 12360, 12360)
    # row "1  45  68  10  912  967  90"
    assert (c101.coords[1], c101.demand[1]) == ((45, 68), 10)
    assert (c101.ready[1], c101.due[1], c101.service[1]) == (9120, 9670, 900)
    assert c101.distance.shape == (101, 101)


@needs_data
def test_every_bks_route_file_is_feasible_and_recomputes_exactly_to_bks_distance():
    table = solomon.read_bks(DATA / "solomon_bks.csv")
    assert len(table) == 56
    assert table["R112"].distance == 9486  # 948.6, not the DIMACS controller's 948.9
    for name, bks in table.items():
        instance, routes = _instance(name), _bks_routes(name)
        assert solomon.cost(instance, routes) == bks.distance, name
        assert solomon.violations(instance, routes) == [], name
        assert len(routes) == bks.vehicles, name


@needs_data
def test_violations_name_each_broken_rule():
    instance, routes = _instance("R101"), _bks_routes("R101")
    late = [list(reversed(routes[0])), *routes[1:]]
    assert any("starts" in v and "due" in v for v in solomon.violations(instance, late))
    merged = [sum(routes[:10], []), *routes[10:]]  # R101 routes carry < 200 each, ten do not
    assert any("> capacity 200" in v for v in solomon.violations(instance, merged))
    missing = [routes[0][1:], *routes[1:]]
    dropped = routes[0][0]
    assert f"customer {dropped} served 0 times" in solomon.violations(instance, missing)
    twice = [routes[0] + [routes[1][0]], *routes[1:]]
    assert f"customer {routes[1][0]} served 2 times" in solomon.violations(instance, twice)
    split = [[c] for route in routes for c in route]  # 100 one-customer routes > 25 vehicles
    assert any("fleet size 25" in v for v in solomon.violations(instance, split))


def test_a_route_back_after_the_depot_closes_is_infeasible():
    # depot closes at 200 tenths; customer 1 is 50 away and its service takes 120
    instance = solomon.Instance(
        name="tiny",
        fleet_size=1,
        capacity=10,
        coords=((0, 0), (3, 4)),
        demand=(0, 1),
        ready=(0, 0),
        due=(200, 100),
        service=(0, 120),
        distance=solomon.dimacs_matrix([(0, 0), (3, 4)]),
    )
    assert solomon.violations(instance, [[1]]) == ["route 1: back at depot 220 > 200"]
    shorter = dataclasses.replace(instance, service=(0, 100))
    assert solomon.violations(shorter, [[1]]) == []


@needs_data
def test_problem_has_one_required_job_per_customer_and_the_fleet_as_staff_days():
    instance = _instance("RC201")
    problem = solomon.to_problem(instance)
    assert [job.id for job in problem.jobs] == [str(c) for c in range(1, 101)]
    job = problem.jobs[0]
    assert (job.location, job.demand, job.duration, job.required) == (
        1,
        instance.demand[1],
        instance.service[1],
        True,
    )
    assert (job.windows[0].start, job.windows[0].end) == (instance.ready[1], instance.due[1])
    assert len(problem.staff_days) == instance.fleet_size
    assert len({day.id for day in problem.staff_days}) == instance.fleet_size
    day = problem.staff_days[0]
    assert (day.shift.start, day.shift.end, day.start, day.end, day.capacity) == (
        0,
        instance.horizon,
        0,
        0,
        instance.capacity,
    )
    distance, duration = problem.travel.matrices(problem.locations)
    assert (distance == instance.distance).all() and (duration == instance.distance).all()


@needs_data
@pytest.mark.parametrize("name", ["C101", "R112", "RC208"])
def test_the_engine_checker_accepts_the_bks_and_flags_a_late_route(name):
    instance, routes = _instance(name), _bks_routes(name)
    problem = solomon.to_problem(instance)
    assert check(problem, solomon.to_solution(instance, routes)) == []
    late = [list(reversed(routes[0])), *routes[1:]]
    assert solomon.violations(instance, late)  # the DIMACS rules reject it …
    kinds = {v.kind for v in check(problem, solomon.to_solution(instance, late))}
    assert kinds & {"window", "shift"}  # … and so does the engine's checker
