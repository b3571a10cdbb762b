from pathlib import Path

import numpy as np
import pytest

from engines.routing import (
    Job,
    MatrixTravel,
    Problem,
    Solution,
    StaffDay,
    TimeWindow,
    Unassigned,
    anchors,
    bench,
    check,
    solomon,
)
from engines.routing.bench import InstanceRun, Outcome
from engines.routing.city import city_day
from engines.routing.greedy import schedule, solve_greedy
from engines.routing.solomon import Bks

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "vrptw"

# depot at the origin; customers 5 and 10 units away on one ray: one route 0-1-2-0 costs 200
TINY = """TINY\r
\r
VEHICLE\r
NUMBER     CAPACITY\r
   2          10\r
\r
CUSTOMER\r
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\r
 \r
    0       0          0          0          0       1000          0   \r
    1       3          4          5          0        100         10   \r
    2       6          8          5          0        100         10   \r
"""


def _fixed(routes):
    """A stub solver returning fixed routes, judged like the real ones."""

    def solver(instance, seconds):
        found = solomon.violations(instance, routes)
        return Outcome(solomon.cost(instance, routes), not found, 0.0, "; ".join(found))

    return solver


def _crashes(instance, seconds):
    raise RuntimeError("solver crashed")


def test_stubbed_run_counts_failures_apart_and_keeps_them_out_of_the_gaps(tmp_path, capsys):
    path = tmp_path / "TINY.txt"
    path.write_bytes(TINY.encode())
    bks = Bks("TINY", "R1", distance=200, vehicles=1)
    solvers = {
        "ours": _fixed([[1, 2]]),
        "vroom": _crashes,
        "ortools": _fixed([[1, 2], [1]]),  # customer 1 twice
    }
    runs = bench.run_set([(path, bks)], seconds=0.1, solvers=solvers)
    metrics = bench.summarise(runs, "solomon")
    assert metrics == {
        "solomon_instances": 1.0,
        "solomon_gap_pct": 0.0,
        "solomon_gap_pct_R1": 0.0,
        "solomon_failed_ours": 0.0,
        "solomon_failed_vroom": 1.0,
        "solomon_failed_ortools": 1.0,
        "solomon_optimal_share": 100.0,
    }
    printed = capsys.readouterr().out
    assert "vroom failed: RuntimeError: solver crashed" in printed
    assert "customer 1 served 2 times" in printed


def _run(name, cls, bks, ours, vroom, ortools):
    def outcome(cost):
        return Outcome(cost, cost is not None, 1.0)

    return InstanceRun(
        name,
        cls,
        bks,
        {"ours": outcome(ours), "vroom": outcome(vroom), "ortools": outcome(ortools)},
    )


def test_summary_means_gaps_per_class_and_shares_instances_at_the_bks():
    runs = [
        _run("C101", "C1", 1000, ours=1000, vroom=1010, ortools=1030),
        _run("C102", "C1", 1000, ours=1020, vroom=1000, ortools=None),
        _run("R101", "R1", 2000, ours=None, vroom=2040, ortools=2020),
    ]
    metrics = bench.summarise(runs, "gh200")
    assert metrics["gh200_instances"] == 3
    assert metrics["gh200_gap_pct"] == pytest.approx(1.0)  # (0 + 2) / 2, R101 failed
    assert metrics["gh200_gap_pct_C1"] == pytest.approx(1.0)
    assert "gh200_gap_pct_R1" not in metrics  # no feasible run of ours in R1
    assert metrics["gh200_vroom_gap_pct"] == pytest.approx((1 + 0 + 2) / 3)
    assert metrics["gh200_ortools_gap_pct"] == pytest.approx((3 + 1) / 2)
    assert (metrics["gh200_failed_ours"], metrics["gh200_failed_ortools"]) == (1, 1)
    assert metrics["gh200_failed_vroom"] == 0
    assert metrics["gh200_optimal_share"] == pytest.approx(100 / 3)


@pytest.mark.skipif(not (DATA / "solomon").exists(), reason=f"{DATA} missing")
@pytest.mark.parametrize("solve_anchor", [anchors.solve_vroom, anchors.solve_ortools])
def test_anchor_returns_feasible_routes_within_a_second(solve_anchor):
    instance = solomon.read_instance(DATA / "solomon" / "R101.txt")
    result = solve_anchor(instance, time_limit_s=1.0)
    assert result.violations == ()
    assert result.feasible
    assert sorted(c for route in result.routes for c in route) == list(range(1, 101))
    assert result.cost == solomon.cost(instance, result.routes) >= 16377  # R101 optimum
    assert result.runtime_s < 3


# --- city day -------------------------------------------------------------------------------------


def test_city_anchors_and_the_baseline_return_solutions_the_checker_accepts():
    problem = city_day(30, 3, seed=5)
    # urgent0001 must start by 09:45 but is 81 min from the nearest home (shifts start 08:30)
    reachable = {job.id for job in problem.jobs if job.required} - {"urgent0001"}
    solutions = {
        "vroom": anchors.solve_city_vroom(problem, time_limit_s=2),
        "ortools": anchors.solve_city_ortools(problem, time_limit_s=2),
        "greedy": solve_greedy(problem),
    }
    for name, solution in solutions.items():
        assert check(problem, solution) == [], name
        served = {v.job_id for route in solution.routes for v in route.visits}
        assert reachable <= served, name
        assert served | {u.job_id for u in solution.unassigned} == {j.id for j in problem.jobs}


def test_ortools_without_breaks_is_still_rescheduled_with_lunch_and_judged():
    problem = city_day(30, 3, seed=5)
    solution = anchors.solve_city_ortools(problem, time_limit_s=1, breaks=False)
    assert solution.routes
    assert all(len(route.breaks) == 1 for route in solution.routes)
    assert {v.kind for v in check(problem, solution)} <= {"window", "break", "shift"}


def _solved(routes, unassigned=()):
    """A stub city solver answering fixed visiting orders, rescheduled by our rules."""

    def solver(problem, seconds):
        jobs = {job.id: job for job in problem.jobs}
        staff = {sd.id: sd for sd in problem.staff_days}
        distance, duration = problem.travel.matrices(problem.locations)
        built = tuple(
            schedule(staff[sd], [jobs[j] for j in seq], distance, duration, strict=False)
            for sd, seq in routes.items()
        )
        return Solution(
            built,
            tuple(Unassigned(j, "not_worth") for j in unassigned),
            sum(r.distance for r in built),
            sum(r.duration for r in built),
            0.0,
            "stub",
        )

    return solver


def _crashes_on_city(problem, seconds):
    raise RuntimeError("solver crashed")


def test_city_run_measures_travel_served_jobs_and_violations_per_solver(capsys):
    # office 0; shops 1 and 2 at 1 km and 2 km east, one urgent (required), one routine
    day = TimeWindow(0, 10_000)
    jobs = (Job("urgent1", 1, 60, (day,)), Job("routine2", 2, 60, (day,), required=False))
    staff = (StaffDay("li", "li", 0, day, 0, 0),)
    metres = np.array([[0, 1000, 2000], [1000, 0, 1000], [2000, 1000, 0]])
    problem = Problem(((0.0, 0.0),) * 3, jobs, staff, MatrixTravel(metres, metres // 10))
    solvers = {
        "ours": _solved({"li": ["urgent1", "routine2"]}),  # 100 + 100 + 200 s of driving
        "vroom": _solved({"li": ["urgent1"]}, unassigned=["routine2"]),  # 200 s
        "ortools": _crashes_on_city,
        "greedy": _solved({"li": ["routine2", "urgent1"]}),  # 200 + 100 + 100 s
    }
    metrics = bench.summarise_city(bench.run_city(problem, 1.0, solvers))

    assert metrics["city_travel_s"] == 400 and metrics["city_vroom_travel_s"] == 200
    assert metrics["city_travel_vs_vroom"] == 2.0
    assert metrics["city_travel_per_job_vs_vroom"] == 1.0  # 200 s per job each
    assert metrics["city_travel_vs_greedy"] == 1.0
    assert (metrics["city_served"], metrics["city_vroom_served"]) == (2, 1)
    assert (metrics["city_unassigned"], metrics["city_vroom_unassigned"]) == (0, 1)
    assert metrics["city_unassigned_required"] == 0
    assert metrics["city_hard_violations"] == 0 and metrics["city_greedy_violations"] == 0
    assert not any(metric.startswith("city_ortools") for metric in metrics)
    assert "ortools  FAILED: RuntimeError: solver crashed" in capsys.readouterr().out


def test_a_late_visit_counts_as_a_hard_violation():
    day = TimeWindow(0, 10_000)
    jobs = (Job("booked1", 1, 60, (TimeWindow(0, 50),)),)  # 100 s away: cannot start by 50
    staff = (StaffDay("li", "li", 0, day, 0, 0),)
    metres = np.array([[0, 1000], [1000, 0]])
    problem = Problem(((0.0, 0.0),) * 2, jobs, staff, MatrixTravel(metres, metres // 10))
    outcome = bench.judge_city(problem, _solved({"li": ["booked1"]})(problem, 1.0), 0.5)
    assert (outcome.violations, outcome.served, outcome.travel_s) == (1, 1, 200)
    assert outcome.detail.startswith("window booked1")
