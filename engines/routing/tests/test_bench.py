from pathlib import Path

import pytest

from engines.routing import anchors, bench, solomon
from engines.routing.bench import InstanceRun, Outcome
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
