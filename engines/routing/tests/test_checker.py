"""The checker catches each kind of violation on a hand-made two-shop route."""

import ast
from dataclasses import replace

import numpy as np
import pytest

from engines.routing import (
    Break,
    BreakVisit,
    Job,
    MatrixTravel,
    Problem,
    Route,
    Solution,
    StaffDay,
    TimeWindow,
    Unassigned,
    Visit,
    check,
)

# Depot 0, shop 1 ten minutes out, shop 2 ten minutes further.
LINE = np.array([[0, 10, 20], [10, 0, 10], [20, 10, 0]])
STAFF = StaffDay(
    "wang-mon",
    "wang",
    day=0,
    shift=TimeWindow(0, 1000),
    start=0,
    end=0,
    skills=frozenset({"repair"}),
    capacity=5,
    breaks=(Break(TimeWindow(100, 200), 30),),
    max_jobs=2,
)
BOOKED = Job(
    "booked", 1, 20, (TimeWindow(0, 50),), frozenset({"repair"}), demand=2, days=frozenset({0})
)
ROUTINE = Job("routine", 2, 20, (TimeWindow(60, 300),))
PROBLEM = Problem(((0, 0), (1, 0), (2, 0)), (BOOKED, ROUTINE), (STAFF,), MatrixTravel(LINE, LINE))
# Leave at 0, booked 10–30, drive to routine (arrive 40, wait to 60) until 80, lunch 100–130 on
# the way back (the 20-minute drive fits around it), home at 130.
ROUTE = Route(
    "wang-mon",
    visits=(Visit("booked", 10, 10, 30), Visit("routine", 40, 60, 80)),
    breaks=(BreakVisit(0, 100, 130),),
    distance=40,
    duration=130,
    departure=0,
    arrival=130,
)
SOLUTION = Solution((ROUTE,), (), distance=40, duration=130, runtime_s=0.0, solver="hand")


def kinds(problem: Problem, solution: Solution) -> set[str]:
    return {v.kind for v in check(problem, solution)}


def with_route(**changes) -> Solution:
    return replace(SOLUTION, routes=(replace(ROUTE, **changes),))


def with_staff(**changes) -> Problem:
    return replace(PROBLEM, staff_days=(replace(STAFF, **changes),))


def test_the_hand_made_solution_is_feasible():
    assert check(PROBLEM, SOLUTION) == []


@pytest.mark.parametrize(
    ("problem", "solution", "kind"),
    [
        pytest.param(
            replace(PROBLEM, jobs=(replace(BOOKED, windows=(TimeWindow(0, 5),)), ROUTINE)),
            SOLUTION,
            "window",
            id="service starts after the window closed",
        ),
        pytest.param(
            with_staff(shift=TimeWindow(0, 129), breaks=(Break(TimeWindow(50, 200), 30),)),
            SOLUTION,
            "shift",
            id="late return",
        ),
        pytest.param(PROBLEM, with_route(departure=-5, duration=135), "shift", id="early start"),
        pytest.param(PROBLEM, with_route(breaks=()), "break", id="lunch skipped"),
        pytest.param(
            PROBLEM,
            with_route(breaks=(BreakVisit(0, 70, 100),)),
            "break",
            id="lunch during a visit and outside its window",
        ),
        pytest.param(with_staff(skills=frozenset()), SOLUTION, "skill", id="missing skill"),
        pytest.param(with_staff(capacity=1), SOLUTION, "capacity", id="over capacity"),
        pytest.param(with_staff(max_jobs=1), SOLUTION, "max_jobs", id="too many visits"),
        pytest.param(with_staff(day=3), SOLUTION, "day", id="job not allowed that day"),
        pytest.param(
            PROBLEM,
            replace(SOLUTION, unassigned=(Unassigned("booked", "capacity"),)),
            "duplicate",
            id="served and reported unassigned",
        ),
        pytest.param(
            replace(PROBLEM, jobs=(BOOKED, ROUTINE, Job("urgent", 2, 5, (TimeWindow(0, 9),)))),
            SOLUTION,
            "missing_required",
            id="required job forgotten",
        ),
        pytest.param(
            PROBLEM,
            with_route(visits=(Visit("booked", 5, 5, 25), Visit("routine", 35, 60, 80))),
            "travel",
            id="arrives faster than the matrix allows",
        ),
        pytest.param(PROBLEM, with_route(distance=30), "travel", id="distance misreported"),
    ],
)
def test_each_violation_kind_is_caught(problem, solution, kind):
    assert kind in kinds(problem, solution)


def test_a_violation_names_the_route_and_job():
    problem = replace(PROBLEM, jobs=(replace(BOOKED, skills=frozenset({"audit"})), ROUTINE))
    (violation,) = check(problem, SOLUTION)
    assert (violation.kind, violation.staff_day_id, violation.job_id) == (
        "skill",
        "wang-mon",
        "booked",
    )


def test_two_routes_for_one_staff_day_are_duplicates():
    solution = replace(SOLUTION, routes=(ROUTE, replace(ROUTE, visits=(), breaks=())))
    assert "duplicate" in kinds(PROBLEM, solution)


def test_the_checker_imports_neither_the_solver_nor_pyvrp():
    import engines.routing.checker as checker

    with open(checker.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "collections", "dataclasses", "engines.routing.model"}
