"""Our engine against PyVRP alone on one VRPTW instance, side by side: the benchmark's
``gh200_vs_pyvrp`` and ``routing_*_1000`` figures.

    runs = run_pair("homberger200/R1_2_1.txt", seconds=30)   # {"ours": Run, "pyvrp": Run}
    python -m engines.routing.compare ours gen:R1:1000:1 20 0  # one run, a JSON line

Each solver runs in a fresh Python process pinned to one core (``os.sched_setaffinity``), the
two at the same time on different cores, so both see the same machine; a pair alternates its
cores with ``swap``. In each process the instance is read the same way (``solomon``: DIMACS
tenths) and the routes are priced by ``solomon.cost`` and judged by ``solomon.violations``
(ours by ``checker.check`` too). The process reports its iterations (PyVRP's
``Result.num_iterations``; ours through ``Solution.search``) and its peak resident memory
(``VmHWM``: the whole process, reading included).

PyVRP alone is PyVRP as its documentation shows it: every customer a required client, one
vehicle type of ``NUMBER`` vehicles, ``pyvrp.solve(data, MaxRuntime(seconds), seed)`` with the
default parameters. Its time limit counts the search only (``MaxRuntime`` starts at the first
iteration), ours the whole ``solve`` call: the comparison does not favour ours.

Instance specs: a path (absolute, or under ``../shared/bench/vrptw``), or
``gen:CLASS:CUSTOMERS:SEED`` for ``engines.routing.generate``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from engines.routing import solomon

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "vrptw"
ROOT = Path(__file__).resolve().parents[2]
SOLVERS = ("ours", "pyvrp")
SEED = 1
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Run:
    """One solver on one instance, as its process reported it."""

    cost: int | None  # tenths, solomon.cost of its routes
    feasible: bool
    iterations: int
    runtime_s: float  # the solve call, wall time
    # iterations done within ``seconds`` of the call's start: ours all of them, PyVRP alone's
    # those before its set-up plus its search passed ``seconds`` (equal wall time)
    iterations_in_time: int
    search_rate: float  # iterations per second of search (set-up left out)
    search_from_s: float  # from the call's start to the search's (model and set-up built)
    peak_mb: float  # VmHWM of the process
    detail: str = ""  # why it failed


def load(spec: str) -> solomon.Instance:
    if spec.startswith("gen:"):
        from engines.routing.generate import generate

        _, cls, customers, seed = spec.split(":")
        return generate(cls, customers=int(customers), seed=int(seed))
    path = Path(spec)
    return solomon.read_instance(path if path.is_absolute() else DATA / path)


def pyvrp_data(instance: solomon.Instance):
    """The instance as PyVRP alone models it: required clients, one vehicle type."""
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    n = instance.customers
    clients = [
        Client(
            location=i,
            delivery=[instance.demand[i]],
            service_duration=instance.service[i],
            tw_early=instance.ready[i],
            tw_late=instance.due[i],
        )
        for i in range(1, n + 1)
    ]
    vehicle = VehicleType(
        num_available=instance.fleet_size,
        capacity=[instance.capacity],
        tw_early=instance.ready[0],
        tw_late=instance.due[0],
    )
    return ProblemData(
        locations=[Location(float(x), float(y)) for x, y in instance.coords],
        clients=clients,
        depots=[Depot(location=0)],
        vehicle_types=[vehicle],
        distance_matrices=[instance.distance],
        duration_matrices=[instance.distance],
    )


class _Clock:
    """PyVRP callbacks noting when each iteration ends (a list append: no measurable cost)."""

    def __init__(self):
        self.ends: list[float] = []

    def on_start(self, ils):
        pass

    def on_iteration(self, current, candidate, best, cost_evaluator):
        self.ends.append(time.perf_counter())

    def on_restart(self, best):
        pass

    def on_best(self, best):
        pass

    def on_end(self, result):
        pass


def solve_pyvrp(instance: solomon.Instance, seconds: float, seed: int = SEED) -> Run:
    from pyvrp import solve
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
    from pyvrp.solve import SolveParams
    from pyvrp.stop import MaxRuntime

    clock = _Clock()
    params = SolveParams(ils=IteratedLocalSearchParams(callbacks=clock))
    started = time.perf_counter()
    data = pyvrp_data(instance)
    result = solve(data, MaxRuntime(seconds), seed=seed, collect_stats=False, params=params)
    runtime = time.perf_counter() - started
    in_time = sum(1 for end in clock.ends if end - started <= seconds)
    # the first iteration's end, less one iteration: when the search began
    first = clock.ends[0] - (clock.ends[1] - clock.ends[0] if len(clock.ends) > 1 else 0)
    search_from = first - started if clock.ends else runtime
    # client k stands at location k + 1: the customer numbered k + 1
    routes = [
        [a.idx + 1 for a in route.schedule() if a.is_client()] for route in result.best.routes()
    ]
    found = [] if result.best.is_feasible() else ["PyVRP: infeasible"]
    found += solomon.violations(instance, routes)
    cost = solomon.cost(instance, routes)
    rate = result.num_iterations / result.runtime if result.runtime else 0.0
    detail = "; ".join(found[:3])
    iterations = result.num_iterations
    return Run(cost, not found, iterations, runtime, in_time, rate, search_from, 0.0, detail)


def solve_ours(instance: solomon.Instance, seconds: float, seed: int = SEED) -> Run:
    from engines.routing.checker import check
    from engines.routing.solver import solve

    problem = solomon.to_problem(instance)
    started = time.perf_counter()
    solution = solve(problem, time_limit_s=seconds, seed=seed, objective="distance")
    runtime = time.perf_counter() - started
    routes = solomon.routes_of(solution)
    found = [f"{v.kind} {v.job_id or v.staff_day_id}: {v.detail}" for v in check(problem, solution)]
    found += solomon.violations(instance, routes)
    cost = solomon.cost(instance, routes)
    if solution.distance != cost:
        found.append(f"engine reports distance {solution.distance}, routes cost {cost}")
    search = solution.search
    iterations = search.iterations if search else 0
    searched = search.search_to_s - search.search_from_s if search else 0.0
    rate = iterations / searched if searched > 0 else 0.0
    detail = "; ".join(found[:3])
    search_from = search.search_from_s if search else runtime
    return Run(cost, not found, iterations, runtime, iterations, rate, search_from, 0.0, detail)


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_one(solver: str, spec: str, seconds: float, core: int | None = None) -> Run:
    """In this process: pin to ``core``, read ``spec``, solve, measure the peak."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    instance = load(spec)
    run = (solve_ours if solver == "ours" else solve_pyvrp)(instance, seconds)
    return Run(**(asdict(run) | {"peak_mb": peak_mb()}))


def run_pair(spec: str, seconds: float, *, swap: bool = False) -> dict[str, Run]:
    """Ours and PyVRP alone on ``spec`` at once, each in a fresh process on its own core (one
    core when the machine has one). A process that fails is a failed Run."""
    cores = sorted(os.sched_getaffinity(0))
    pair = cores[:2] if len(cores) >= 2 else cores * 2
    if swap:
        pair = pair[::-1]
    env = os.environ | dict.fromkeys(THREAD_VARIABLES, "1")
    processes = {
        solver: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engines.routing.compare",
                solver,
                spec,
                str(seconds),
                str(core),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for solver, core in zip(SOLVERS, pair, strict=True)
    }
    runs = {}
    for solver, process in processes.items():
        out, err = process.communicate(timeout=seconds * 4 + 120)
        try:
            runs[solver] = Run(**json.loads(out.strip().splitlines()[-1]))
        except (IndexError, ValueError, TypeError):
            tail = (err or out).strip().splitlines()[-1:] or ["no output"]
            runs[solver] = Run(None, False, 0, 0.0, 0, 0.0, 0.0, 0.0, f"process failed: {tail[0]}")
    return runs


def main(argv: list[str]) -> None:
    if len(argv) != 4 or argv[0] not in SOLVERS:
        raise SystemExit("usage: python -m engines.routing.compare ours|pyvrp SPEC SECONDS CORE")
    solver, spec, seconds, core = argv
    run = run_one(solver, spec, float(seconds), int(core))
    sys.stdout.write(json.dumps(asdict(run)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
