"""VRPTW benchmark: our routing engine on Solomon (and Gehring–Homberger 200), VROOM and OR-Tools
solving the same instances in the same run with the same time budget, one thread each.

    python -m bench.run --only routing
    FLEXSERVE_BENCH_SOLOMON_SET=quick python -m bench.run --only routing --no-write
    python -m engines.routing.bench

Data: ../shared/bench/vrptw (read in place, never copied; skipped when missing). Convention:
DIMACS 2021, distance only, truncated tenths (engines/routing/solomon.py); gaps are to
``bks_distance``, all 56 Solomon values proven optimal under this convention.

Each solution is priced by ``solomon.cost`` from its routes, never from what the solver says.
Ours must pass ``engines.routing.checker.check`` and ``solomon.violations``; an anchor must pass
``solomon.violations`` (windows, capacity, fleet size, each customer once). A failed or
infeasible solution is counted in ``*_failed_*`` and left out of that solver's mean gap, so
compare the means together with the failure counts.

Knobs (environment):
- ``FLEXSERVE_BENCH_SOLOMON_SECONDS``: per solver and instance, default 10.
- ``FLEXSERVE_BENCH_SOLOMON_SET``: ``all`` (56 instances, the default) or ``quick`` (``QUICK``:
  2 fixed instances per class). At 10 s an instance takes ~24 s (ours and OR-Tools use the
  whole budget, VROOM stops after 0.4–8 s): quick ~5 min, all ~23 min, within bench.run's
  default 1800 s per-module timeout but not by much.
- ``FLEXSERVE_BENCH_GH200=1``: also the 60 Gehring–Homberger 200-customer instances at 30 s per
  solver, ``gh200_*`` metrics. With both anchors that is over an hour (60 × 3 × 30 s): run it
  with ``python -m bench.run --only routing --timeout 7200``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import math  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from engines.routing import anchors, solomon  # noqa: E402
from engines.routing.checker import check  # noqa: E402
from engines.routing.solomon import Bks, Instance  # noqa: E402
from engines.routing.solver import solve  # noqa: E402

NAME = "routing"
DATABASE = "none"
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "vrptw"
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
# two per class, fixed: the first instance and one with wider windows or clustered structure
QUICK = (
    *("C101", "C106", "C201", "C205", "R101", "R110"),
    *("R201", "R207", "RC101", "RC106", "RC201", "RC205"),
)
GH200_SECONDS = 30.0
SEED = 1

ANCHORS = {"solomon_gap_pct": "solomon_vroom_gap_pct"}
NOTES = {
    "solomon_gap_pct": "ours: mean % above the BKS (DIMACS distance), feasible runs only",
    "solomon_vroom_gap_pct": "anchor: VROOM (pyvroom, exploration 5, 1 thread), same budget",
    "solomon_ortools_gap_pct": "anchor: OR-Tools (parallel cheapest insertion + GLS, 1 thread)",
    "solomon_instances": "instances run (FLEXSERVE_BENCH_SOLOMON_SET)",
    "solomon_failed_ours": "our solutions missing, raising, or infeasible",
    "solomon_failed_vroom": "VROOM solutions missing, raising, or infeasible",
    "solomon_failed_ortools": "OR-Tools solutions missing, raising, or infeasible",
    "solomon_optimal_share": "% of instances where ours reaches the BKS (all proven optimal)",
    "gh200_gap_pct": "ours on Gehring–Homberger 200 at 30 s (FLEXSERVE_BENCH_GH200=1)",
}


@dataclass(frozen=True)
class Outcome:
    """One solver on one instance."""

    cost: int | None  # tenths, solomon.cost of its routes; None when it produced none
    feasible: bool
    runtime_s: float
    detail: str = ""  # why it failed


@dataclass(frozen=True)
class InstanceRun:
    instance: str
    instance_class: str
    bks: int  # tenths
    outcomes: dict[str, Outcome]  # "ours", "vroom", "ortools"

    def gap_pct(self, solver: str) -> float | None:
        outcome = self.outcomes[solver]
        if not outcome.feasible or outcome.cost is None:
            return None
        return solomon.gap_pct(outcome.cost, self.bks)


Solver = Callable[[Instance, float], Outcome]


def solve_ours(instance: Instance, seconds: float) -> Outcome:
    """The engine with the fleet as NUMBER identical staff-days, minimising distance."""
    started = time.perf_counter()
    problem = solomon.to_problem(instance)
    solution = solve(problem, time_limit_s=seconds, seed=SEED, objective="distance")
    routes = solomon.routes_of(solution)
    cost = solomon.cost(instance, routes)
    found = [f"{v.kind} {v.job_id or v.staff_day_id}: {v.detail}" for v in check(problem, solution)]
    # the engine's model and the DIMACS rules must agree; a disagreement is a failure too
    found += solomon.violations(instance, routes)
    if solution.distance != cost:
        found.append(f"engine reports distance {solution.distance}, routes cost {cost}")
    return Outcome(cost, not found, time.perf_counter() - started, "; ".join(found[:3]))


def _anchor(solve_anchor) -> Solver:
    def run(instance: Instance, seconds: float) -> Outcome:
        result = solve_anchor(instance, time_limit_s=seconds)
        return Outcome(
            result.cost, result.feasible, result.runtime_s, "; ".join(result.violations[:3])
        )

    return run


SOLVERS: dict[str, Solver] = {
    "ours": solve_ours,
    "vroom": _anchor(anchors.solve_vroom),
    "ortools": _anchor(anchors.solve_ortools),
}


def _guarded(solver: Solver, instance: Instance, seconds: float) -> Outcome:
    """A solver that raises counts as failed; the benchmark goes on."""
    started = time.perf_counter()
    try:
        return solver(instance, seconds)
    except Exception as exc:  # noqa: BLE001 — any crash of a solver is a measured failure
        return Outcome(None, False, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


def _cell(run: InstanceRun, solver: str) -> str:
    gap = run.gap_pct(solver)
    return f"{gap:6.2f}%" if gap is not None else " FAILED"


def run_set(
    items: list[tuple[Path, Bks]], seconds: float, solvers: dict[str, Solver] | None = None
) -> list[InstanceRun]:
    """Solve each instance with every solver; print one progress line per instance."""
    solvers = solvers or SOLVERS
    runs = []
    for path, bks in items:
        instance = solomon.read_instance(path)
        outcomes = {name: _guarded(solver, instance, seconds) for name, solver in solvers.items()}
        run = InstanceRun(instance.name, bks.instance_class, bks.distance, outcomes)
        runs.append(run)
        cells = "  ".join(f"{name} {_cell(run, name)}" for name in outcomes)
        times = "/".join(f"{o.runtime_s:.1f}" for o in outcomes.values())
        print(f"  {instance.name:8} {cells}  {times} s", flush=True)
        for name, outcome in outcomes.items():
            if not outcome.feasible:
                print(f"    {name} failed: {outcome.detail}", flush=True)
    return runs


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def summarise(runs: list[InstanceRun], prefix: str) -> dict[str, float]:
    """Mean gaps (feasible runs only), per class for ours, failures, share at the BKS."""
    metrics: dict[str, float] = {f"{prefix}_instances": float(len(runs))}
    ours = [g for r in runs if (g := r.gap_pct("ours")) is not None]
    metrics[f"{prefix}_gap_pct"] = _mean(ours)
    for cls in CLASSES:
        gaps = [g for r in runs if r.instance_class == cls and (g := r.gap_pct("ours")) is not None]
        if gaps:
            metrics[f"{prefix}_gap_pct_{cls}"] = _mean(gaps)
    for solver in ("vroom", "ortools"):
        gaps = [g for r in runs if solver in r.outcomes and (g := r.gap_pct(solver)) is not None]
        metrics[f"{prefix}_{solver}_gap_pct"] = _mean(gaps)
    for solver in ("ours", "vroom", "ortools"):
        failed = sum(1 for r in runs if solver in r.outcomes and not r.outcomes[solver].feasible)
        metrics[f"{prefix}_failed_{solver}"] = float(failed)
    at_bks = sum(1 for r in runs if (g := r.gap_pct("ours")) is not None and g <= 0)
    metrics[f"{prefix}_optimal_share"] = 100 * at_bks / len(runs) if runs else math.nan
    return {k: v for k, v in metrics.items() if not math.isnan(v)}


def _items(folder: str, bks_csv: str, names: tuple[str, ...] | None) -> list[tuple[Path, Bks]]:
    table = solomon.read_bks(DATA / bks_csv)
    return [(DATA / folder / f"{name}.txt", table[name]) for name in names or tuple(table)]


def run() -> dict[str, float]:
    if not (DATA / "solomon_bks.csv").exists():
        print(f"  skipped: {DATA} is missing")
        return {}
    seconds = float(os.environ.get("FLEXSERVE_BENCH_SOLOMON_SECONDS", "10"))
    which = os.environ.get("FLEXSERVE_BENCH_SOLOMON_SET", "all")
    if which not in ("all", "quick"):
        raise SystemExit(f"FLEXSERVE_BENCH_SOLOMON_SET must be all or quick, not {which!r}")
    names = QUICK if which == "quick" else None
    print(f"  Solomon ({which}), {seconds:g} s per solver; gaps of ours / VROOM / OR-Tools")
    metrics = summarise(run_set(_items("solomon", "solomon_bks.csv", names), seconds), "solomon")
    if os.environ.get("FLEXSERVE_BENCH_GH200") == "1":
        print(f"  Gehring–Homberger 200, {GH200_SECONDS:g} s per solver")
        items = _items("homberger200", "homberger200_bks.csv", None)
        metrics |= summarise(run_set(items, GH200_SECONDS), "gh200")
    return metrics


if __name__ == "__main__":
    for metric, value in run().items():
        print(f"{metric:32} {value:.3f}")
