"""Solve a ``Problem`` with PyVRP 0.14 and turn its answer into checked ``Route`` schedules.

    solution = solve(problem, time_limit_s=2.0, seed=0, objective="duration")

``time_limit_s`` bounds the whole call: matrices, the model, the warm start and PyVRP's own
set-up come out of it. The search stops at a deadline that keeps only what re-timing the routes
needs (``retime_reserve_s``: 0.3 s at 1,000 stops without breaks, measured 0.11–0.2 s on a
loaded machine; at most 5 % of the limit). At 1,000 stops (generated, Gehring–Homberger style)
the parts before the search took: matrices and triage ~0.02 s, the feasibility proof
(``construct``) ~0.1 s, the model ~0.05 s, PyVRP's own set-up (neighbours, its first local
search) ~0.9 s as for PyVRP alone. ``Solution.search`` reports the iterations and when the
search began and ended.

Required jobs: PyVRP required clients, or prizes. A required job becomes a required client (in a
required client group when it has several windows or break variants) when the staff surely can
serve every required job together, that is when a solution serving them all is in hand before
the search:
- with a warm start and no optional job (staff owe breaks): the greedy's routes with the
  left-out required jobs forced in serve them all and carry over to PyVRP whole (complete and
  feasible). With optional jobs every job keeps a prize: on the city day (2,000 jobs, 1,459
  optional left out) required clients made the travel 17 % longer for the same jobs;
- otherwise (every job required, no breaks: Solomon / Gehring–Homberger style, the common case
  of a fleet with room): ``construct``'s nearest-neighbour routes serve them all.
Then PyVRP's model has a feasible solution with every required client, its search keeps the best
feasible one, and it never spends time removing and re-inserting jobs that must be served. Its
penalties are PyVRP's own unless prizes remain (optional jobs' penalties, break variants):
infeasibility must be able to cost more than the largest, so ``max_penalty`` is raised to four
times it. When there is no such proof (the staff may be short), the prize model below keeps the
model feasible and the jobs that do not fit are reported.

Warm start (``warm.py``; by default when jobs are optional or staff owe breaks): the
cheapest-insertion routes of ``engines.routing.greedy``, plus every required job the greedy
left out forced in where that gives up least (optional jobs first; a required job pushed out
must find another route), searched with a late-acceptance history of 20. The search keeps the
best solution by cost and a required job outweighs everything else, so it ends
with at least the required jobs of that start.

Encoding (``encode.py``). One routing profile whatever the staff: PyVRP holds two n × n
matrices of the locations in use (n = 2,032 for the city day, ~65 MB). The matrices stay numpy
arrays (handed to PyVRP as they are when every location is used); the triage reads single rows
and columns, the re-timing each route's legs; only a warm start turns them into nested lists,
for the greedy. Every rule that differs
between staff-days is a load dimension or a time window:
- Without the proof above every job is an optional client. A required job's prize exceeds any
  solution's cost (``_big_prize``, times one plus the breaks a staff-day owes): it is only left
  out when it cannot be served, the model stays feasible when the staff cannot do all the work,
  and the job is reported. An optional job's prize is its penalty.
- Several windows: one client per window, all in a mutually exclusive client group.
- Skills: a dimension per skill some staff-day lacks; a job needing it loads ``RULE_WEIGHT``
  there, a staff-day without it has capacity 0 (the others more than every job's load). Days:
  the same with a dimension per day d that some job may not use, loaded by the jobs barred from
  d whose windows meet d's shifts (with times counted from the plan's start, time alone keeps
  the others off day d).
- Breaks: a client "a break, then this visit" per job window and kind of break (window,
  duration), in the job's group, at the job's shop: its time window is the break's start
  (inside the break window, and early enough for the visit to start inside the job window when
  the break ends), its service the break plus the visit, its prize the job's plus a job's worth.
  A dimension per kind (kinds share one when no staff-day owing one works while the other may
  start, e.g. the same lunch on different days) caps how many a route takes at the number of
  such breaks its staff-day owes. No travel is invented: the break is taken at the shop.
- max_jobs (each job loads 1) and capacity (demand) are load dimensions too.
- Balance (``balance``): a route costs ``balance_cost`` more per time unit beyond ``balance`` ×
  its shift (PyVRP overtime; ``shift_duration`` + ``max_overtime`` = the shift, so it never
  makes a route infeasible). Off by default (it lengthened the city day's driving by 6 %).

Why every PyVRP-feasible route is truly feasible (with the breaks PyVRP took): keep its order
and put each break in the gap before the visit that carries it. Induction over the stops: if the
true schedule (``engines.routing.schedule.walk``) is free at a no later than PyVRP, then for a
plain visit b it arrives no later (same drive) and starts no later (the earliest start inside
any window; PyVRP's start is one such). For a carried visit b: PyVRP arrives at b, starts the
break at B ≥ its arrival and ≥ the break window's start, B ≤ the break window's end, and starts
b at B + L inside b's window. The true break begins at max(free at a, window start) ≤ B, so
inside its window; the staff member is ready at b at max(free + drive + L, begin + L) ≤ B + L,
so b starts no later than PyVRP and inside a window. The return is no later, so within the
shift. Skills, days, max_jobs and capacity hold because the loads do; a route carrying a break
of another kind in its dimension would have to start it outside its own shift. Breaks in one
gap are taken in window order (PyVRP may order them otherwise; other placements are tried then).

What PyVRP cannot express: a working route must take its breaks. A route without one is
PyVRP-feasible but may not be truly feasible; the break prize makes the search keep one on every
working route it can. Every route is rescheduled with the true matrices by
``schedule.best_schedule`` (every break placement, the one returning earliest, then the latest
departure keeping that return), and a route that still fails (a missing break, or an infeasible
PyVRP answer) gives up jobs, optional ones first, until it holds; those are reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
from pyvrp import solve as pyvrp_solve
from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyParams
from pyvrp.solve import SolveParams
from pyvrp.stop import MaxIterations

from engines.routing.greedy import solve_greedy
from engines.routing.model import (
    Job,
    Problem,
    Route,
    SearchStats,
    Solution,
    StaffDay,
    Unassigned,
)
from engines.routing.schedule import Timed, best_schedule, every_placement
from engines.routing.solver.construct import construct
from engines.routing.solver.encode import Encoded, break_key, encode
from engines.routing.solver.warm import place_required, warm_start

SOLVER_NAME = "pyvrp-0.14.1"
OBJECTIVES = ("duration", "distance")
PROGRESS_INTERVAL_S = 0.25
# off: even 0.9 × shift at cost 1 cost the city day 6 % more driving (319,453 s against 301,372
# at 45 s), which the VROOM comparison cannot spare; pass e.g. balance=0.7 to use it
DEFAULT_BALANCE = None
# late acceptance over 20 iterations, not PyVRP's 300, from a warm start: with 300 the search
# drifted into far worse solutions and never came back within a minute (city day and week)
HISTORY_LENGTH = 20
# time kept for decoding and re-timing the routes after the search: at most this share of the
# limit, else RETIME_FLOOR_S plus RETIME_S_PER_VISIT per visit walked (retime_reserve_s)
FINISH_RESERVE = 0.05
RETIME_FLOOR_S = 0.05
RETIME_S_PER_VISIT = 0.00025


def solve(
    problem: Problem,
    *,
    time_limit_s: float,
    seed: int = 0,
    objective: str = "duration",
    progress: Callable[[float, float], None] | None = None,
    max_iterations: int | None = None,
    warm: bool | None = None,
    balance: float | None = DEFAULT_BALANCE,
    balance_cost: int = 1,
) -> Solution:
    """Routes for ``problem`` within ``time_limit_s`` seconds (model building included).

    Same ``seed`` and ``max_iterations`` give the same routes as long as the time limit is not
    what stops the search (with only a time limit the result depends on machine speed).
    ``progress(elapsed_s, best_cost)`` is called about every 0.25 s and once at the end.
    ``warm``: start the search from the greedy routes with a short late-acceptance history;
    None (default) does so when jobs are optional or staff owe breaks. Pure VRPTW instances
    search better from PyVRP's own start (Solomon RC106 at 10 s: 0.26 % against 0.96 %).
    ``balance`` (a share of the shift, or None): beyond it a route costs ``balance_cost`` more
    per time unit, which spreads work between staff; 0.5 with ``balance_cost`` 2 balances hard.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be > 0")
    if balance is not None and not 0 < balance <= 1:
        raise ValueError("balance must lie in (0, 1] or be None")
    began = time.perf_counter()
    distance, duration = (
        np.asarray(m, dtype=np.int64) for m in problem.travel.matrices(problem.locations)
    )

    unassigned: dict[str, str] = {}
    windows_by_job: dict[str, list[int]] = {}
    columns = _Columns(duration)
    profiles = _profiles(problem.staff_days)
    for job in problem.jobs:
        reason, windows = _triage(job, profiles, columns)
        if reason is None:
            windows_by_job[job.id] = windows
        else:
            unassigned[job.id] = reason
    del columns

    routes: list[Route] = []
    stats = None
    jobs = {job.id: job for job in problem.jobs}
    if windows_by_job and problem.staff_days:
        if warm is None:  # prize-collecting models (optional jobs, breaks) start warm
            warm = any(not j.required for j in problem.jobs) or any(
                sd.breaks for sd in problem.staff_days
            )
        lists = None  # nested lists: the greedy reads them fast; only built for a warm start
        initial = built = None
        if warm:
            lists = (distance.tolist(), duration.tolist())
            greedy = solve_greedy(problem, objective=objective, matrices=lists)
            routes_in = place_required(problem, greedy, windows_by_job, *lists)
            # With optional jobs the prizes stay: required clients there cost the city day
            # ~17 % more travel (the search trades optional visits for them far worse).
            optional = any(not j.required for j in problem.jobs)
            covered = not optional and _serves_required(problem, routes_in, windows_by_job)
        else:
            built = construct(problem, windows_by_job, duration)
            covered = built is not None
        encoded = encode(
            problem, windows_by_job, distance, duration, objective, balance, balance_cost, covered
        )
        if warm:
            initial = warm_start(problem, encoded, routes_in)
            if covered and not (initial.is_complete() and initial.is_feasible()):
                # the greedy's routes did not carry over whole: no proof, prizes after all
                encoded = encode(
                    problem,
                    windows_by_job,
                    distance,
                    duration,
                    objective,
                    balance,
                    balance_cost,
                    False,
                )
                initial = warm_start(problem, encoded, routes_in)
        # infeasibility must be able to cost more than any prize (a required job's, a break's);
        # without prizes PyVRP's own penalties, as PyVRP alone has them
        penalty = PenaltyParams()
        if encoded.max_prize:
            penalty = PenaltyParams(
                max_penalty=float(max(penalty.max_penalty, 4 * encoded.max_prize))
            )
        reserve = min(FINISH_RESERVE * time_limit_s, retime_reserve_s(problem, windows_by_job))
        deadline = began + time_limit_s - reserve
        model_s = time.perf_counter() - began
        stop = _Stop(deadline, max_iterations, progress, began)
        result = pyvrp_solve(
            encoded.data,
            stop,
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=initial,
            params=SolveParams(
                ils=IteratedLocalSearchParams(history_length=HISTORY_LENGTH)
                if warm
                else IteratedLocalSearchParams(),
                penalty=penalty,
            ),
        )
        search_to = time.perf_counter() - began
        feasible = result.best.is_feasible()
        answer = [_decode(encoded, pv_route, jobs) for pv_route in result.best.routes()]
        if not feasible and built:
            # nothing feasible found in time: the construction's routes are (no breaks owed)
            answer = [(sd, [job for job, _ in seq], ()) for sd, seq in built]
            feasible = True
        served: set[str] = set()
        for sd, seq, gaps in answer:
            # the route's legs as dicts (fast to read from Python), not the whole matrices
            stops = [sd.start, sd.end, *(job.location for job in seq)]
            matrices = lists or (_legs(distance, stops), _legs(duration, stops))
            route, dropped = _fit_route(sd, seq, gaps, *matrices)
            if route is not None:
                routes.append(route)
                served.update(v.job_id for v in route.visits)
            for job, reason in dropped:
                unassigned[job.id] = reason if feasible else "time_limit"
        for job_id in windows_by_job:
            if job_id not in served and job_id not in unassigned:
                unassigned[job_id] = "capacity" if jobs[job_id].required else "not_worth"
        stats = SearchStats(
            iterations=result.num_iterations,
            model_s=model_s,
            search_from_s=stop.started - began if stop.started else search_to,
            search_to_s=search_to,
            required_clients=covered,
        )
    elif windows_by_job:
        unassigned.update(dict.fromkeys(windows_by_job, "no_skill"))

    order = {sd.id: i for i, sd in enumerate(problem.staff_days)}
    routes.sort(key=lambda r: order[r.staff_day_id])
    solution = Solution(
        routes=tuple(routes),
        unassigned=tuple(
            Unassigned(job.id, unassigned[job.id]) for job in problem.jobs if job.id in unassigned
        ),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        runtime_s=time.perf_counter() - began,
        solver=SOLVER_NAME,
        search=stats,
    )
    if progress is not None:
        progress(solution.runtime_s, float(_objective_cost(solution, problem, objective)))
    return solution


def _legs(matrix: np.ndarray, stops: Sequence[int]) -> dict[int, dict[int, int]]:
    """``matrix`` between ``stops`` only, read as ``m[a][b]``."""
    at = sorted(set(stops))
    rows = matrix[np.ix_(at, at)].tolist()
    return {a: dict(zip(at, row, strict=True)) for a, row in zip(at, rows, strict=True)}


def _serves_required(problem: Problem, routes: Sequence[Route], windows_by_job) -> bool:
    """Whether ``routes`` serve every required job the triage kept."""
    served = {v.job_id for r in routes for v in r.visits}
    return all(
        job.id in served for job in problem.jobs if job.required and job.id in windows_by_job
    )


def retime_reserve_s(problem: Problem, windows_by_job) -> float:
    """Time kept after the search for decoding and re-timing the routes: a bound on what that
    took at 1,000 and 2,000 stops, times a margin (see RETIME_S_PER_VISIT)."""
    visits = len(windows_by_job)
    staff = max(1, len(problem.staff_days))
    breaks = max((len(sd.breaks) for sd in problem.staff_days), default=0)
    # a route of m visits with breaks tries up to ~m placements of each break
    walks = 1 + breaks * visits / staff
    return RETIME_FLOOR_S + RETIME_S_PER_VISIT * visits * walks


def _objective_cost(solution: Solution, problem: Problem, objective: str) -> int:
    left_out = {u.job_id for u in solution.unassigned}
    penalties = sum(job.penalty for job in problem.jobs if job.id in left_out)
    return (solution.duration if objective == "duration" else solution.distance) + penalties


class _Stop:
    """A deadline on the clock of the whole call (PyVRP's own set-up, e.g. its neighbour lists,
    counts), optionally MaxIterations too, reporting progress on the way."""

    def __init__(self, deadline, max_iterations, progress, began):
        self._deadline = deadline
        self._iterations = MaxIterations(max_iterations) if max_iterations is not None else None
        self._progress = progress
        self._began = began
        self._last_report = -PROGRESS_INTERVAL_S
        self.started: float | None = None  # the first call: PyVRP's set-up is done

    def __call__(self, best_cost: float) -> bool:
        now = time.perf_counter()
        if self.started is None:
            self.started = now
        if self._progress is not None:
            elapsed = now - self._began
            if elapsed - self._last_report >= PROGRESS_INTERVAL_S:
                self._last_report = elapsed
                self._progress(elapsed, float(best_cost))
        if self._iterations is not None and self._iterations(best_cost):
            return True
        return now >= self._deadline


# --- triage: jobs no staff-day could ever do are reported before solving ------------------------


def _profiles(staff_days: Sequence[StaffDay]) -> list[StaffDay]:
    """One staff-day per set of identical ones (what the triage looks at): a fleet of identical
    vehicles is checked once per job, not once per vehicle."""
    seen: dict[tuple, StaffDay] = {}
    for sd in staff_days:
        key = (sd.day, sd.skills, sd.capacity, sd.max_jobs, sd.shift, sd.start, sd.end)
        seen.setdefault(key, sd)
    return list(seen.values())


class _Columns:
    """Drives from a start and to an end location as lists, one per location asked for: the
    triage reads a few of them, never the whole matrix."""

    def __init__(self, duration: np.ndarray):
        self._duration = duration
        self._from: dict[int, list[int]] = {}
        self._to: dict[int, list[int]] = {}

    def out_of(self, location: int) -> list[int]:
        if location not in self._from:
            self._from[location] = self._duration[location].tolist()
        return self._from[location]

    def into(self, location: int) -> list[int]:
        if location not in self._to:
            self._to[location] = self._duration[:, location].tolist()
        return self._to[location]


def _triage(job: Job, profiles: Sequence[StaffDay], columns: _Columns):
    """(reason, fitting window indices): a reason when no staff-day can do the job alone."""
    on_day = [sd for sd in profiles if job.days is None or sd.day in job.days]
    if not on_day:
        return "no_day", []
    skilled = [sd for sd in on_day if job.skills <= sd.skills]
    if not skilled:
        return "no_skill", []
    sized = [
        sd
        for sd in skilled
        if (sd.capacity is None or job.demand <= sd.capacity) and sd.max_jobs != 0
    ]
    if not sized:
        return "capacity", []
    fitting = [
        i for i, w in enumerate(job.windows) if any(_fits(job, w, sd, columns) for sd in sized)
    ]
    if not fitting:
        return "no_window", []
    return None, fitting


def _fits(job: Job, window, sd: StaffDay, columns: _Columns) -> bool:
    arrival = sd.shift.start + columns.out_of(sd.start)[job.location]
    start = max(arrival, window.start)
    back = start + job.duration + columns.into(sd.end)[job.location]
    return start <= window.end and back <= sd.shift.end


# --- decoding ----------------------------------------------------------------------------------


def _decode(encoded: Encoded, pv_route, jobs: dict[str, Job]):
    """(staff-day, jobs in order, gap of each of its breaks) of one PyVRP route: a break
    carried by a visit lies in the gap before it."""
    sd = encoded.vehicles[pv_route.vehicle_type()].pop(0)
    seq: list[Job] = []
    by_kind: dict[tuple, list[int]] = {}
    for activity in pv_route.schedule():
        if not activity.is_client():
            continue
        job_id, _, spec = encoded.clients[activity.idx][1]
        if spec is not None:
            by_kind.setdefault(spec, []).append(len(seq))
        seq.append(jobs[job_id])
    gaps = []
    for brk in sd.breaks:
        found = by_kind.get(break_key(brk))
        gaps.append(found.pop(0) if found else len(seq))  # a missing break: at the end first
    return sd, seq, tuple(gaps)


def _fit_route(sd, seq, hint, distance, duration) -> tuple[Route | None, list[tuple[Job, str]]]:
    """A feasible route for ``seq`` (breaks placed), dropping jobs that cannot be kept."""
    seq = list(seq)
    dropped: list[tuple[Job, str]] = []
    while sd.max_jobs is not None and len(seq) > sd.max_jobs:
        dropped.append((seq.pop(), "capacity"))
    while sd.capacity is not None and sum(job.demand for job in seq) > sd.capacity:
        heavy = max(i for i, job in enumerate(seq) if job.demand > 0)
        dropped.append((seq.pop(heavy), "capacity"))
    while seq:
        placements = every_placement(len(sd.breaks), len(seq), hint)
        result = best_schedule(sd, seq, placements, distance, duration)
        if isinstance(result, Timed):
            return result.route(sd.id), dropped
        reason = "break" if result.kind == "break" else "capacity"
        failing = min(result.position, len(seq) - 1)
        # give up an optional job (cheapest, up to the failing stop) before a required one
        optional = [i for i in range(failing + 1) if not seq[i].required]
        drop = min(optional, key=lambda i: (seq[i].penalty, -i)) if optional else failing
        dropped.append((seq.pop(drop), reason))
        hint = ()
    return None, dropped


__all__ = ["DEFAULT_BALANCE", "OBJECTIVES", "SOLVER_NAME", "solve"]
