"""Routing benchmark: our engine, VROOM and OR-Tools on the same instances in the same run with
the same time budget, one thread each. Two parts: Solomon VRPTW (and Gehring–Homberger 200), and
a city day (``engines.routing.city``: 2,000 shop jobs, 40 staff, skills, lunch breaks, several
windows, visit limits, optional visits) where the cheapest-insertion baseline
(``engines.routing.greedy``) runs too.

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
- ``FLEXSERVE_BENCH_SOLOMON_SET``: ``all`` (56 instances, the default), ``quick`` (``QUICK``:
  2 fixed instances per class) or ``none`` (skip Solomon, e.g. for a Gehring–Homberger run
  alone). At 10 s an instance takes ~24 s (ours and OR-Tools use the whole budget, VROOM stops
  after 0.4–8 s): quick ~5 min, all ~23 min.
- ``FLEXSERVE_BENCH_GH200=1``: also the 60 Gehring–Homberger 200-customer instances at 30 s per
  solver, ``gh200_*`` metrics. With both anchors that is over an hour (60 × 3 × 30 s): run it
  with ``python -m bench.run --only routing --timeout 7200``, or set
  ``FLEXSERVE_BENCH_GH200_SOLVERS=ours`` (a comma list of ours, vroom, ortools) for 30 min.
- ``FLEXSERVE_BENCH_CITY=0`` skips the city day; ``FLEXSERVE_BENCH_CITY_SECONDS`` (default 45) is
  every solver's budget there (``time_limit_s``; ours builds its model and warm start within it).
- ``FLEXSERVE_BENCH_WEEK=0`` skips the week (``city.city_week``: 1,300 jobs, 100 staff-days,
  ours alone at ``WEEK_SECONDS``): ``week_*`` metrics.
- ``FLEXSERVE_BENCH_PARTS``: a comma list of the parts to run, default all of ``PARTS``
  (solomon, city, week, replan, gh200_vs_pyvrp, pyvrp_1000); e.g.
  ``FLEXSERVE_BENCH_PARTS=gh200_vs_pyvrp,pyvrp_1000`` runs only the comparisons with PyVRP.
- ``FLEXSERVE_BENCH_GH200_VS_PYVRP_SET``: ``quick`` (``QUICK_GH200``: the first and the sixth
  instance of each class, 12 × 30 s ≈ 7 min, the default) or ``all`` (60, ≈ 33 min).

Ours against PyVRP alone (``engines.routing.compare``): each pair runs at once, each solver in a
fresh process pinned to its own core (the cores alternate between instances), the instance read
the same way, PyVRP alone as ``pyvrp.solve(data, MaxRuntime(s), seed)`` with all customers
required clients. ``gh200_vs_pyvrp`` is our mean gap ÷ PyVRP alone's over the instances both
solved feasibly, at ``GH200_SECONDS``. On ``PYVRP_1000`` (three generated 1,000-customer
instances, ``engines.routing.generate``, ``PYVRP_1000_SECONDS`` each):
``routing_iters_vs_pyvrp_1000`` is the mean over instances of our iterations ÷ PyVRP alone's at
equal wall time (what each did within the seconds from the call with the data in hand to the
answer; ours builds its model in them, PyVRP alone its ``ProblemData``); ``..._runtime_1000``
the same against all PyVRP alone's iterations (its ``MaxRuntime`` counts the search only, its
set-up comes on top: ~1 s at 1,000 stops); ``routing_search_rate_vs_pyvrp_1000`` iterations
per second of search; ``routing_peak_mb_1000`` the largest VmHWM of our processes there, the
anchor PyVRP alone's the same way.

City day: every answer is rescheduled by our rules and judged by ``checker.check``; travel is
the sum of the duration matrix over each route's legs (seconds of driving, not waiting, service
or lunch). Travel ratios only mean something when the solvers serve comparable sets of jobs:
read them with ``city_*_served`` and ``city_travel_per_job_vs_vroom``. Ours minimises route
duration plus penalties; VROOM travel after the priority sum; OR-Tools travel plus penalties;
greedy inserts where travel grows least.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import math  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from engines.routing import anchors, compare, replan, solomon  # noqa: E402
from engines.routing.checker import check  # noqa: E402
from engines.routing.city import city_day  # noqa: E402
from engines.routing.greedy import solve_greedy  # noqa: E402
from engines.routing.model import Problem, Solution  # noqa: E402
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
QUICK_GH200 = tuple(f"{cls}_2_{k}" for cls in CLASSES for k in (1, 6))
PYVRP_1000 = ("gen:R1:1000:1", "gen:RC1:1000:1", "gen:C2:1000:1")
PYVRP_1000_SECONDS = 20.0
PARTS = ("solomon", "city", "week", "replan", "gh200_vs_pyvrp", "pyvrp_1000")
SEED = 1
CITY_JOBS, CITY_STAFF, CITY_SEED = 2000, 40, 2026
# With break intervals OR-Tools found no solution at all within 45 s on the 2,000-job day (first
# solutions tried: parallel / local cheapest insertion, path cheapest arc, all unperformed), so
# it runs without them: lunch is added by the rescheduling and the checker counts what breaks.
# Without breaks the insertion and path first solutions take about the whole 45 s and sometimes
# none is ready in time (nothing served at all); from "all unperformed" guided local search
# always has a solution to improve.
CITY_ORTOOLS = {"breaks": False, "first_solution": "ALL_UNPERFORMED"}
# VROOM hits the 45 s timeout at any exploration level on the city day; at level 5 it then
# left 87 of 171 required jobs out (priority 100), at level 1 two: level 1 serves VROOM's own
# objective (priority sum first) far better within the budget.
CITY_VROOM = {"exploration_level": 1}

WEEK_SECONDS = 30.0
WEEK_SEED = 2026

TARGETS = {
    "city_travel_vs_vroom": (1, "<"),
    "city_travel_vs_greedy": (0.85, "<="),
    "city_hard_violations": (0, "<="),
    "city_runtime_s": (60, "<"),
    "replan_p95_s": (2, "<"),
    "solomon_gap_pct": (0.3, "<="),
    "week_runtime_s": (60, "<"),
    "week_violations": (0, "<="),
    "gh200_vs_pyvrp": (1.0, "<="),
    "routing_iters_vs_pyvrp_1000": (0.95, ">="),
    "routing_peak_vs_pyvrp_1000": (1.2, "<="),
}
ANCHORS = {
    "solomon_gap_pct": "solomon_vroom_gap_pct",
    "city_travel_s": "city_vroom_travel_s",
    "gh200_ours_gap_pct": "gh200_pyvrp_gap_pct",
    "routing_peak_mb_1000": "routing_pyvrp_peak_mb_1000",
}
NOTES = {
    "city_travel_s": "ours on the city day (2,000 jobs, 40 staff): driving seconds",
    "city_travel_vs_vroom": "our travel ÷ VROOM's (compare with the served counts)",
    "city_travel_vs_greedy": "our travel ÷ the cheapest-insertion baseline's",
    "city_travel_per_job_vs_vroom": "our travel per served job ÷ VROOM's",
    "city_hard_violations": "ours: checker violations (windows, shift, breaks, skills, ...)",
    "city_unassigned": "ours: jobs left out (optional visits are expected to be)",
    "city_unassigned_required": "ours: required (urgent) jobs left out",
    "city_served": "ours: jobs served",
    "city_runtime_s": "ours: wall time, encoding included (FLEXSERVE_BENCH_CITY_SECONDS)",
    "city_vroom_travel_s": "anchor: VROOM level 1 (skills, breaks, windows, max_tasks, priorities)",
    "city_ortools_travel_s": "anchor: OR-Tools (allowed vehicles, disjunctions; no breaks)",
    "city_ortools_violations": "OR-Tools: checker violations once lunch is put in its routes",
    "city_greedy_travel_s": "baseline: cheapest feasible insertion (engines.routing.greedy)",
    "solomon_gap_pct": "ours: mean % above the BKS (DIMACS distance), feasible runs only",
    "solomon_vroom_gap_pct": "anchor: VROOM (pyvroom, exploration 5, 1 thread), same budget",
    "solomon_ortools_gap_pct": "anchor: OR-Tools (parallel cheapest insertion + GLS, 1 thread)",
    "solomon_instances": "instances run (FLEXSERVE_BENCH_SOLOMON_SET)",
    "solomon_failed_ours": "our solutions missing, raising, or infeasible",
    "solomon_failed_vroom": "VROOM solutions missing, raising, or infeasible",
    "solomon_failed_ortools": "OR-Tools solutions missing, raising, or infeasible",
    "solomon_optimal_share": "% of instances where ours reaches the BKS (all proven optimal)",
    "gh200_gap_pct": "ours on Gehring–Homberger 200 at 30 s (FLEXSERVE_BENCH_GH200=1)",
    "week_runtime_s": "ours on a week (1,300 jobs, 100 staff-days) at 30 s: wall time",
    "week_build_s": "ours on the week: matrices, model and warm start before the search",
    "week_served": "ours on the week: jobs served (routine ones optional)",
    "week_unassigned_required": "ours on the week: booked (required) jobs left out",
    "week_violations": "ours on the week: checker violations (days included)",
    "gh200_vs_pyvrp": "our mean GH200 gap ÷ PyVRP alone's, same run, 30 s, one core each",
    "gh200_ours_gap_pct": "ours on the GH200 subset (FLEXSERVE_BENCH_GH200_VS_PYVRP_SET)",
    "gh200_pyvrp_gap_pct": "PyVRP alone (required clients, default parameters), same instances",
    "gh200_vs_pyvrp_instances": "GH200 instances both solved feasibly (the mean's base)",
    "gh200_vs_pyvrp_failed_ours": "GH200 pairs where ours failed or was infeasible",
    "gh200_vs_pyvrp_failed_pyvrp": "GH200 pairs where PyVRP alone failed or was infeasible",
    "routing_iters_vs_pyvrp_1000": "our iterations ÷ PyVRP alone's in equal wall time, 1,000 stops",
    "routing_iters_vs_pyvrp_runtime_1000": "÷ all PyVRP alone's (its set-up not in its limit)",
    "routing_search_rate_vs_pyvrp_1000": "our iterations per search second ÷ PyVRP alone's",
    "routing_search_from_s_1000": "ours at 1,000 stops: seconds until the search starts",
    "routing_pyvrp_search_from_s_1000": "PyVRP alone at 1,000 stops: its set-up, seconds",
    "routing_gap_vs_pyvrp_1000": "our mean cost ÷ PyVRP alone's on the 1,000-stop instances",
    "routing_peak_mb_1000": "ours: peak resident MB (VmHWM, fresh process) at 1,000 stops",
    "routing_pyvrp_peak_mb_1000": "anchor: PyVRP alone's VmHWM, same instances, same way",
    "routing_peak_vs_pyvrp_1000": "our peak memory ÷ PyVRP alone's at 1,000 stops",
    "routing_failed_1000": "1,000-stop pairs where either solver failed or was infeasible",
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
    solution = solve(problem, time_limit_s=seconds, seed=SEED, objective="distance", balance=None)
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
        if not any(solver in r.outcomes for r in runs):
            continue  # not run (e.g. Gehring–Homberger with ours alone)
        failed = sum(1 for r in runs if solver in r.outcomes and not r.outcomes[solver].feasible)
        metrics[f"{prefix}_failed_{solver}"] = float(failed)
    at_bks = sum(1 for r in runs if (g := r.gap_pct("ours")) is not None and g <= 0)
    metrics[f"{prefix}_optimal_share"] = 100 * at_bks / len(runs) if runs else math.nan
    return {k: v for k, v in metrics.items() if not math.isnan(v)}


def _items(folder: str, bks_csv: str, names: tuple[str, ...] | None) -> list[tuple[Path, Bks]]:
    table = solomon.read_bks(DATA / bks_csv)
    return [(DATA / folder / f"{name}.txt", table[name]) for name in names or tuple(table)]


# --- city day ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CityOutcome:
    """One solver on the city day, judged by ``check``."""

    travel_s: int  # driving seconds over every route's legs
    served: int
    unassigned: int
    unassigned_required: int
    violations: int
    runtime_s: float
    detail: str = ""  # the first violations, or why it failed


CitySolver = Callable[[Problem, float], Solution]


def travel_seconds(problem: Problem, solution: Solution) -> int:
    """Driving time of ``solution``: the duration matrix summed over each route's legs."""
    _, duration = problem.travel.matrices(problem.locations)
    where = {job.id: job.location for job in problem.jobs}
    staff_days = {sd.id: sd for sd in problem.staff_days}
    total = 0
    for route in solution.routes:
        sd = staff_days[route.staff_day_id]
        path = [sd.start, *(where[v.job_id] for v in route.visits), sd.end]
        total += int(sum(duration[a, b] for a, b in zip(path, path[1:], strict=False)))
    return total


def judge_city(problem: Problem, solution: Solution, runtime_s: float) -> CityOutcome:
    found = check(problem, solution)
    required = {job.id for job in problem.jobs if job.required}
    return CityOutcome(
        travel_s=travel_seconds(problem, solution),
        served=sum(len(route.visits) for route in solution.routes),
        unassigned=len(solution.unassigned),
        unassigned_required=sum(1 for u in solution.unassigned if u.job_id in required),
        violations=len(found),
        runtime_s=runtime_s,
        detail="; ".join(f"{v.kind} {v.job_id or v.staff_day_id}: {v.detail}" for v in found[:3]),
    )


def _ours_city(problem: Problem, seconds: float) -> Solution:
    return solve(problem, time_limit_s=seconds, seed=SEED, objective="duration")


CITY_SOLVERS: dict[str, CitySolver] = {
    "ours": _ours_city,
    "vroom": lambda problem, seconds: anchors.solve_city_vroom(
        problem, time_limit_s=seconds, **CITY_VROOM
    ),
    "ortools": lambda problem, seconds: anchors.solve_city_ortools(
        problem, time_limit_s=seconds, **CITY_ORTOOLS
    ),
    "greedy": lambda problem, seconds: solve_greedy(problem, objective="duration"),
}


def run_city(
    problem: Problem, seconds: float, solvers: dict[str, CitySolver] | None = None
) -> dict[str, CityOutcome | None]:
    """Each solver once on ``problem``; None for one that raised. One line per solver."""
    outcomes: dict[str, CityOutcome | None] = {}
    for name, solver in (solvers or CITY_SOLVERS).items():
        started = time.perf_counter()
        try:
            solution = solver(problem, seconds)
        except Exception as exc:  # noqa: BLE001 — a crash is a measured failure
            print(f"  {name:8} FAILED: {type(exc).__name__}: {exc}", flush=True)
            outcomes[name] = None
            continue
        outcome = judge_city(problem, solution, time.perf_counter() - started)
        outcomes[name] = outcome
        print(
            f"  {name:8} travel {outcome.travel_s:>8} s  served {outcome.served:>5}  "
            f"unassigned {outcome.unassigned:>5} (required {outcome.unassigned_required})  "
            f"violations {outcome.violations:>4}  {outcome.runtime_s:6.1f} s",
            flush=True,
        )
        if outcome.violations:
            print(f"    {outcome.detail}", flush=True)
    return outcomes


def summarise_city(outcomes: dict[str, CityOutcome | None]) -> dict[str, float]:
    """Ours in ``city_*``, the others in ``city_<solver>_*``; ratios when both ran."""
    metrics: dict[str, float] = {}
    for name, o in outcomes.items():
        if o is None:
            continue
        prefix = "city" if name == "ours" else f"city_{name}"
        metrics[f"{prefix}_travel_s"] = float(o.travel_s)
        metrics[f"{prefix}_served"] = float(o.served)
        metrics[f"{prefix}_unassigned"] = float(o.unassigned)
        metrics[f"{prefix}_unassigned_required"] = float(o.unassigned_required)
        metrics[f"{prefix}_runtime_s"] = o.runtime_s
        metrics["city_hard_violations" if name == "ours" else f"{prefix}_violations"] = float(
            o.violations
        )
    ours = outcomes.get("ours")
    for name in ("vroom", "ortools", "greedy"):
        other = outcomes.get(name)
        if ours is None or other is None or not other.travel_s:
            continue
        metrics[f"city_travel_vs_{name}"] = ours.travel_s / other.travel_s
        if ours.served and other.served:
            per_job = (ours.travel_s / ours.served) / (other.travel_s / other.served)
            metrics[f"city_travel_per_job_vs_{name}"] = per_job
    return metrics


def run_city_day() -> dict[str, float]:
    seconds = float(os.environ.get("FLEXSERVE_BENCH_CITY_SECONDS", "45"))
    problem = city_day(CITY_JOBS, CITY_STAFF, seed=CITY_SEED)
    required = sum(1 for job in problem.jobs if job.required)
    print(
        f"  City day: {len(problem.jobs)} jobs ({required} required), "
        f"{len(problem.staff_days)} staff, {seconds:g} s per solver",
        flush=True,
    )
    return summarise_city(run_city(problem, seconds))


def run_week() -> dict[str, float]:
    """Ours alone on a week at ``WEEK_SECONDS``: time, time to the search, jobs, checker."""
    from engines.routing.city import city_week

    problem = city_week(seed=WEEK_SEED)
    reports: list[float] = []
    started = time.perf_counter()
    solution = solve(
        problem,
        time_limit_s=WEEK_SECONDS,
        seed=SEED,
        progress=lambda elapsed, _cost: reports.append(elapsed),
    )
    runtime = time.perf_counter() - started
    outcome = judge_city(problem, solution, runtime)
    print(
        f"  Week: {len(problem.jobs)} jobs, {len(problem.staff_days)} staff-days, "
        f"{WEEK_SECONDS:g} s: served {outcome.served}, required left out "
        f"{outcome.unassigned_required}, violations {outcome.violations}, "
        f"search from {reports[0]:.1f} s, {runtime:.1f} s",
        flush=True,
    )
    return {
        "week_runtime_s": runtime,
        "week_build_s": reports[0],
        "week_served": float(outcome.served),
        "week_unassigned_required": float(outcome.unassigned_required),
        "week_violations": float(outcome.violations),
    }


def parts() -> tuple[str, ...]:
    """The parts FLEXSERVE_BENCH_PARTS asks for (all by default)."""
    asked = os.environ.get("FLEXSERVE_BENCH_PARTS", ",".join(PARTS))
    wanted = tuple(p.strip() for p in asked.split(",") if p.strip())
    unknown = sorted(set(wanted) - set(PARTS))
    if unknown:
        raise SystemExit(f"FLEXSERVE_BENCH_PARTS: unknown parts {unknown}; known: {PARTS}")
    return wanted


def run() -> dict[str, float]:
    wanted = parts()
    metrics: dict[str, float] = {}
    if "city" in wanted and os.environ.get("FLEXSERVE_BENCH_CITY", "1") != "0":
        metrics |= run_city_day()
    if "week" in wanted and os.environ.get("FLEXSERVE_BENCH_WEEK", "1") != "0":
        metrics |= run_week()
    if "replan" in wanted and os.environ.get("FLEXSERVE_BENCH_REPLAN", "1") != "0":
        print("  Re-planning: 50 urgent jobs into a live 40-route day")
        figures = replan.bench_replan()
        print(f"    p50 {figures['replan_p50_s']:.2f} s  p95 {figures['replan_p95_s']:.2f} s")
        metrics |= figures
    if "gh200_vs_pyvrp" in wanted:
        metrics |= run_gh200_vs_pyvrp()
    if "pyvrp_1000" in wanted:
        metrics |= run_pyvrp_1000()
    return (run_solomon() if "solomon" in wanted else {}) | metrics


# --- ours against PyVRP alone -----------------------------------------------------------------


def _pairs(specs: list[str], seconds: float, label) -> list[dict[str, compare.Run]]:
    """Each spec as a pair (ours and PyVRP alone at once, the cores alternating); one line each."""
    pairs = []
    for k, spec in enumerate(specs):
        runs = compare.run_pair(spec, seconds, swap=bool(k % 2))
        pairs.append(runs)
        cells = "  ".join(
            f"{name} {label(spec, run) if run.feasible else 'FAILED':>9} "
            f"{run.iterations:>6} it {run.peak_mb:5.0f} MB"
            for name, run in runs.items()
        )
        print(f"  {Path(spec).stem:14} {cells}", flush=True)
        for name, run in runs.items():
            if not run.feasible:
                print(f"    {name} failed: {run.detail}", flush=True)
    return pairs


def run_gh200_vs_pyvrp() -> dict[str, float]:
    if not (DATA / "homberger200_bks.csv").exists():
        print(f"  skipped: {DATA} is missing")
        return {}
    which = os.environ.get("FLEXSERVE_BENCH_GH200_VS_PYVRP_SET", "quick")
    if which not in ("quick", "all"):
        raise SystemExit(f"FLEXSERVE_BENCH_GH200_VS_PYVRP_SET must be quick or all, not {which!r}")
    table = solomon.read_bks(DATA / "homberger200_bks.csv")
    names = QUICK_GH200 if which == "quick" else tuple(table)
    print(f"  GH200 ({which}), ours and PyVRP alone at {GH200_SECONDS:g} s, one core each: gaps")
    specs = [str(DATA / "homberger200" / f"{name}.txt") for name in names]

    def gap(spec: str, run: compare.Run) -> str:
        return f"{solomon.gap_pct(run.cost, table[Path(spec).stem].distance):.2f}%"

    pairs = _pairs(specs, GH200_SECONDS, gap)
    both = [
        (
            solomon.gap_pct(p["ours"].cost, table[Path(spec).stem].distance),
            solomon.gap_pct(p["pyvrp"].cost, table[Path(spec).stem].distance),
        )
        for spec, p in zip(specs, pairs, strict=True)
        if p["ours"].feasible and p["pyvrp"].feasible
    ]
    metrics = {
        "gh200_vs_pyvrp_instances": float(len(both)),
        "gh200_vs_pyvrp_failed_ours": float(sum(not p["ours"].feasible for p in pairs)),
        "gh200_vs_pyvrp_failed_pyvrp": float(sum(not p["pyvrp"].feasible for p in pairs)),
    }
    if both:
        ours, alone = _mean([o for o, _ in both]), _mean([a for _, a in both])
        metrics |= {"gh200_ours_gap_pct": ours, "gh200_pyvrp_gap_pct": alone}
        if alone > 0:
            metrics["gh200_vs_pyvrp"] = ours / alone
    return metrics


def run_pyvrp_1000() -> dict[str, float]:
    print(
        f"  1,000 stops (generated), ours and PyVRP alone at {PYVRP_1000_SECONDS:g} s, one core "
        "each: cost, iterations, peak memory"
    )
    pairs = _pairs(list(PYVRP_1000), PYVRP_1000_SECONDS, lambda _spec, run: str(run.cost))
    ok = [p for p in pairs if p["ours"].feasible and p["pyvrp"].feasible]
    if not ok:
        return {"routing_failed_1000": float(len(pairs))}

    def mean_ratio(ours, alone) -> float:
        return _mean([ours(p["ours"]) / alone(p["pyvrp"]) for p in ok if alone(p["pyvrp"])])

    ours_peak = max(p["ours"].peak_mb for p in pairs)
    alone_peak = max(p["pyvrp"].peak_mb for p in pairs)
    metrics = {
        "routing_iters_vs_pyvrp_1000": mean_ratio(
            lambda r: r.iterations, lambda r: r.iterations_in_time
        ),
        "routing_iters_vs_pyvrp_runtime_1000": mean_ratio(
            lambda r: r.iterations, lambda r: r.iterations
        ),
        "routing_search_rate_vs_pyvrp_1000": mean_ratio(
            lambda r: r.search_rate, lambda r: r.search_rate
        ),
        "routing_gap_vs_pyvrp_1000": mean_ratio(lambda r: r.cost, lambda r: r.cost),
        "routing_search_from_s_1000": _mean([p["ours"].search_from_s for p in ok]),
        "routing_pyvrp_search_from_s_1000": _mean([p["pyvrp"].search_from_s for p in ok]),
        "routing_peak_mb_1000": ours_peak,
        "routing_pyvrp_peak_mb_1000": alone_peak,
        "routing_failed_1000": float(len(pairs) - len(ok)),
    }
    if alone_peak:
        metrics["routing_peak_vs_pyvrp_1000"] = ours_peak / alone_peak
    return {k: v for k, v in metrics.items() if not math.isnan(v)}


def run_solomon() -> dict[str, float]:
    if not (DATA / "solomon_bks.csv").exists():
        print(f"  skipped: {DATA} is missing")
        return {}
    seconds = float(os.environ.get("FLEXSERVE_BENCH_SOLOMON_SECONDS", "10"))
    which = os.environ.get("FLEXSERVE_BENCH_SOLOMON_SET", "all")
    if which not in ("all", "quick", "none"):
        raise SystemExit(f"FLEXSERVE_BENCH_SOLOMON_SET must be all, quick or none, not {which!r}")
    metrics: dict[str, float] = {}
    if which != "none":
        names = QUICK if which == "quick" else None
        print(f"  Solomon ({which}), {seconds:g} s per solver; gaps of ours / VROOM / OR-Tools")
        runs = run_set(_items("solomon", "solomon_bks.csv", names), seconds)
        metrics |= summarise(runs, "solomon")
    if os.environ.get("FLEXSERVE_BENCH_GH200") == "1":
        wanted = os.environ.get("FLEXSERVE_BENCH_GH200_SOLVERS", ",".join(SOLVERS)).split(",")
        unknown = sorted(set(wanted) - set(SOLVERS))
        if unknown:
            raise SystemExit(f"FLEXSERVE_BENCH_GH200_SOLVERS: unknown solvers {unknown}")
        solvers = {name: SOLVERS[name] for name in wanted}
        print(f"  Gehring–Homberger 200, {GH200_SECONDS:g} s per solver: {', '.join(solvers)}")
        items = _items("homberger200", "homberger200_bks.csv", None)
        metrics |= summarise(run_set(items, GH200_SECONDS, solvers), "gh200")
    return metrics


if __name__ == "__main__":
    for metric, value in run().items():
        print(f"{metric:32} {value:.3f}")
