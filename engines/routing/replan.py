"""Re-planning during the day (issue 6): put one urgent job into a live day, changing one route.

    state = LiveState.from_plan(problem, published, now=11 * 3600)
    proposal = insert_urgent(problem, published, state, job, time_limit_s=1.0)
    proposal.changes                                   # shown to the dispatcher before publishing
    assert check_live(proposal.problem, proposal.solution, state) == []

What is fixed: every visit in ``StaffProgress.done`` (done, under way, or being driven to) keeps
its recorded times, and so do the breaks already taken. Only the chosen staff-day's remaining
visits change: the urgent job is put where it lengthens that route least (later visits shift,
the pending break may move to another gap); only when it fits nowhere are optional routine visits
of one route given up ("displaced"), never a required job and never a confirmed booking (a job
with ``priority > 0``). Every visit that stays keeps a start inside its windows, so confirmed
appointments keep theirs. The other routes are returned exactly as published.

The staff member's position is simplified to "at the last fixed visit, free when it ends": a
visit counts as fixed as soon as the drive to it has begun, so nobody is turned round mid-drive.
A staff member driving home after the last visit is placed at that shop; new work then starts no
earlier than ``now`` plus the drive from there.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, replace

import numpy as np

from engines.routing.checker import Violation, check
from engines.routing.model import (
    BreakVisit,
    Job,
    Problem,
    Route,
    Solution,
    StaffDay,
    TimeWindow,
    Unassigned,
    Visit,
)
from engines.routing.schedule import Rows, Timed, best_schedule, every_placement, walk
from engines.routing.solver import solve

DISPLACED_REASON = "not_worth"  # a displaced routine visit is reported like any left-out optional


@dataclass(frozen=True)
class StaffProgress:
    """Where one started staff-day stands at ``LiveState.now``."""

    staff_day_id: str
    done: tuple[Visit, ...]  # done, in progress or being driven to; recorded times, never moved
    breaks_done: tuple[BreakVisit, ...]
    location: int  # where the staff member is free next (the last fixed visit's shop)
    free_at: int  # when they are free there
    departure: int  # when the route actually left the start location


@dataclass(frozen=True)
class LiveState:
    """The day at ``now``; staff-days without a ``progress`` entry have not left yet."""

    now: int
    progress: tuple[StaffProgress, ...] = ()

    @classmethod
    def from_plan(cls, problem: Problem, published: Solution, now: int) -> LiveState:
        """The state reached at ``now`` when everyone followed ``published`` to the second."""
        jobs = {job.id: job for job in problem.jobs}
        progress = []
        for route in published.routes:
            leg_starts = [route.departure, *(v.end for v in route.visits[:-1])]
            fixed = tuple(
                v for v, leaves in zip(route.visits, leg_starts, strict=True) if leaves <= now
            )
            if not fixed:
                continue
            last = fixed[-1]
            # A break after the last visit that has begun is taken: it stays where it is.
            taken = tuple(b for b in route.breaks if b.start < last.end or b.start <= now)
            progress.append(
                StaffProgress(
                    route.staff_day_id,
                    fixed,
                    taken,
                    jobs[last.job_id].location,
                    last.end,
                    route.departure,
                )
            )
        return cls(now=now, progress=tuple(progress))


@dataclass(frozen=True)
class RouteChange:
    """What re-planning does to one route: the dispatcher reviews this before publishing."""

    staff_day_id: str
    inserted: tuple[str, ...]
    displaced: tuple[str, ...]
    moved: tuple[tuple[str, int, int], ...]  # (job_id, old start, new start)


@dataclass(frozen=True)
class ReplanProposal:
    """The day with the urgent job placed (or reported), not yet published."""

    problem: Problem  # the input problem plus the urgent job: check the solution against this
    solution: Solution
    staff_day_id: str | None  # who takes the job; None when nobody can
    changes: tuple[RouteChange, ...]
    reason: str | None  # one of model.REASONS when the job is left unassigned
    detail: str
    runtime_s: float


def insert_urgent(
    problem: Problem,
    published: Solution,
    state: LiveState,
    job: Job,
    *,
    time_limit_s: float = 1.0,
    reoptimise_s: float = 0.0,
) -> ReplanProposal:
    """Place ``job`` on the staff-day where it adds the least route time (time units).

    ``reoptimise_s`` > 0 lets PyVRP re-order the chosen route's remaining part afterwards; the
    new order is kept only when it returns earlier. Deterministic unless ``time_limit_s`` runs
    out (then the best insertion found so far is proposed).
    """
    began = time.perf_counter()
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be > 0")
    if any(v.job_id == job.id for r in published.routes for v in r.visits):
        raise ValueError(f"job {job.id} is already on a published route")
    known = {j.id: j for j in problem.jobs}
    if job.id in known and known[job.id] != job:
        raise ValueError(f"job {job.id} differs from the problem's job of that id")
    extended = problem if job.id in known else replace(problem, jobs=(*problem.jobs, job))
    distance, duration = (
        Rows(np.asarray(m, dtype=np.int64)) for m in problem.travel.matrices(problem.locations)
    )
    lives = _live_routes(extended, published, state)

    best: _Candidate | None = None
    failures: list[str] = []
    timed_out = False
    for order, live in enumerate(lives):
        if time.perf_counter() - began > time_limit_s:
            timed_out = True
            break
        if live.missed_break and live.sd.can_serve(job):
            failures.append("break")
            continue
        if not live.sd.can_serve(job):
            failures.append(
                "no_day" if job.days is not None and live.sd.day not in job.days else "no_skill"
            )
            continue
        candidate = _best_insertion(live, job, order, state.now, distance, duration)
        if candidate is None:
            failures.append(_why_not(live, job, state.now, distance, duration))
        elif best is None or candidate.key < best.key:
            best = candidate

    if best is None:
        reason = (
            "time_limit" if timed_out and not failures else _overall_reason(failures, timed_out)
        )
        return _unplaced(extended, published, job, reason, began)

    if reoptimise_s > 0:
        left = time_limit_s - (time.perf_counter() - began)
        best = _reoptimise(extended, best, min(reoptimise_s, left), state.now, distance, duration)
    return _proposal(extended, published, job, best, distance, duration, state.now, began)


def check_live(problem: Problem, solution: Solution, state: LiveState) -> list[Violation]:
    """``check`` on the part of the day after ``state.now``, plus "live" violations: a fixed
    visit or break whose recorded times changed, new work starting before ``now``."""
    distance, _ = problem.travel.matrices(problem.locations)
    jobs = {job.id: job for job in problem.jobs}
    progress = {p.staff_day_id: p for p in state.progress}
    routes = {r.staff_day_id: r for r in solution.routes}
    out: list[Violation] = []
    for p in state.progress:
        route = routes.get(p.staff_day_id)
        if (
            route is None
            or route.visits[: len(p.done)] != p.done
            or not set(p.breaks_done) <= set(route.breaks)
        ):
            out.append(Violation("live", p.staff_day_id, None, "a fixed visit or break changed"))

    done_ids = {v.job_id for p in state.progress for v in p.done}
    residual_days, residual_routes = [], []
    for sd in problem.staff_days:
        p = progress.get(sd.id)
        rsd, pending, carried = _residual_staff_day(sd, p, state.now, jobs)
        residual_days.append(rsd)
        route = routes.get(sd.id)
        if route is None:
            continue
        rest = route.visits[len(p.done) if p else 0 :]
        taken = {b for b in p.breaks_done if b.start < p.free_at} if p else set()
        later_breaks = tuple(
            BreakVisit(pending.index(b.break_index), b.start, b.end)
            for b in route.breaks
            if b not in taken and b.break_index in pending
        )
        out.extend(
            Violation("live", sd.id, v.job_id, f"starts {v.start} before now {state.now}")
            for v in rest
            if v.start < state.now
        )
        if not rest and not later_breaks:
            continue
        departure = route.departure if p is None else p.free_at
        stops = [rsd.start, *(jobs[v.job_id].location for v in rest if v.job_id in jobs), rsd.end]
        residual_routes.append(
            Route(
                sd.id,
                rest,
                later_breaks,
                distance=sum(int(distance[a, b]) for a, b in zip(stops, stops[1:], strict=False)),
                duration=route.arrival - departure,
                departure=departure,
                arrival=route.arrival,
            )
        )
    residual = replace(
        problem,
        jobs=tuple(j for j in problem.jobs if j.id not in done_ids),
        staff_days=tuple(residual_days),
    )
    residual_solution = Solution(
        tuple(residual_routes),
        tuple(u for u in solution.unassigned if u.job_id not in done_ids),
        distance=sum(r.distance for r in residual_routes),
        duration=sum(r.duration for r in residual_routes),
        runtime_s=0.0,
        solver="replan",
    )
    return out + check(residual, residual_solution)


# --- live routes ---------------------------------------------------------------------------------


@dataclass
class _Live:
    sd: StaffDay
    rsd: StaffDay  # the rest of the day: starts where the staff member is free, when they are
    pending: tuple[int, ...]  # original break index of each of rsd's breaks
    carried: tuple[int, ...]  # start of each break already begun after the last visit (first)
    progress: StaffProgress | None
    seq: list[Job]  # the published visits still to come, in order
    hint: tuple[int, ...]  # the published gap of each pending break within ``seq``
    published: Route | None
    missed_break: bool  # a break neither taken nor still possible: the route may not grow


@dataclass(frozen=True)
class _Candidate:
    key: tuple  # lower is better: displaced count, penalty lost, added time, added distance, order
    live: _Live
    seq: list[Job]
    schedule: Timed
    displaced: tuple[str, ...]


def _live_routes(problem: Problem, published: Solution, state: LiveState) -> list[_Live]:
    jobs = {job.id: job for job in problem.jobs}
    routes = {r.staff_day_id: r for r in published.routes}
    progress = {p.staff_day_id: p for p in state.progress}
    lives = []
    for sd in problem.staff_days:
        p, route = progress.get(sd.id), routes.get(sd.id)
        rsd, pending, carried = _residual_staff_day(sd, p, state.now, jobs)
        done = {v.job_id for v in p.done} if p else set()
        rest = [v for v in route.visits if v.job_id not in done] if route else []
        seq = [jobs[v.job_id] for v in rest]
        placed = {b.break_index: b for b in route.breaks} if route else {}
        hint = tuple(
            sum(v.start < placed[k].start for v in rest) if k in placed else 0 for k in pending
        )
        taken = {b.break_index for b in p.breaks_done} if p else set()
        missed = any(k not in taken and k not in pending for k in range(len(sd.breaks)))
        lives.append(_Live(sd, rsd, pending, carried, p, seq, hint, route, missed))
    return lives


def _residual_staff_day(
    sd: StaffDay, p: StaffProgress | None, now: int, jobs: dict[str, Job]
) -> tuple[StaffDay, tuple[int, ...], tuple[int, ...]]:
    """The staff-day from the live position on, the original index of each of its breaks, and
    the start of the breaks already begun after the last fixed visit (its first breaks).

    Such a break belongs to the gap after that visit ("taken anywhere on the way"), so it stays
    in the rest of the day with its recorded start rather than moving the position."""
    free_at = max(now, sd.shift.start) if p is None else p.free_at
    free_at = min(free_at, sd.shift.end)
    begun = (
        sorted((b for b in p.breaks_done if b.start >= free_at), key=lambda b: b.start) if p else []
    )
    taken = {b.break_index for b in p.breaks_done} if p else set()
    pending = tuple(b.break_index for b in begun) + tuple(
        k
        for k, brk in enumerate(sd.breaks)
        if k not in taken
        and max(brk.window.start, free_at) <= brk.window.end
        and max(brk.window.start, free_at) + brk.duration <= sd.shift.end
    )
    done = p.done if p else ()
    # Capacity and max_jobs count what was already done today.
    rsd = replace(
        sd,
        shift=TimeWindow(free_at, sd.shift.end),
        start=p.location if p else sd.start,
        breaks=tuple(sd.breaks[k] for k in pending),
        capacity=None
        if sd.capacity is None
        else max(0, sd.capacity - sum(jobs[v.job_id].demand for v in done if v.job_id in jobs)),
        max_jobs=None if sd.max_jobs is None else max(0, sd.max_jobs - len(done)),
    )
    return rsd, pending, tuple(b.start for b in begun)


# --- insertion -----------------------------------------------------------------------------------


def _best_insertion(
    live: _Live, job: Job, order: int, now: int, distance, duration
) -> _Candidate | None:
    base = _best_schedule(live.rsd, live.seq, live.hint, now, distance, duration, live.carried)
    if base is None:
        return None  # the live route already misses a window: leave it to the dispatcher
    seq, hint = live.seq, live.hint
    found = _cheapest_position(live, seq, hint, job, base, order, (), 0, now, distance, duration)
    if found is not None:
        return found

    # Nothing fits: give up optional routine visits one at a time, cheapest penalty first among
    # those that make room, else the one whose removal shortens the route most.
    removable = [j for j in seq if not j.required and j.priority == 0]
    displaced: list[Job] = []
    while removable:
        best_try: _Candidate | None = None
        shortest: tuple[int, int] | None = None
        for victim in removable:
            trial_seq = [j for j in seq if j is not victim]
            trial_hint = tuple(g - (g > seq.index(victim)) for g in hint)
            lost = sum(j.penalty for j in displaced) + victim.penalty
            ids = tuple(j.id for j in (*displaced, victim))
            found = _cheapest_position(
                live, trial_seq, trial_hint, job, base, order, ids, lost, now, distance, duration
            )
            if found is not None and (best_try is None or found.key < best_try.key):
                best_try = found
            shorter = _best_schedule(
                live.rsd, trial_seq, trial_hint, now, distance, duration, live.carried
            )
            if shorter is not None and (shortest is None or shorter.arrival < shortest[0]):
                shortest = (shorter.arrival, removable.index(victim))
        if best_try is not None:
            return best_try
        if shortest is None:
            return None
        victim = removable.pop(shortest[1])
        hint = tuple(g - (g > seq.index(victim)) for g in hint)
        seq = [j for j in seq if j is not victim]
        displaced.append(victim)
    return None


def _cheapest_position(live, seq, hint, job, base, order, displaced, lost, now, distance, duration):
    if not _fits_load(live, [*seq, job]):
        return None
    best: _Candidate | None = None
    for position in range(len(seq) + 1):
        trial = [*seq[:position], job, *seq[position:]]
        trial_hint = tuple(g + (g > position) for g in hint)
        schedule = _best_schedule(
            live.rsd, trial, trial_hint, now, distance, duration, live.carried
        )
        if schedule is None:
            continue
        key = (
            len(displaced),
            lost,
            schedule.arrival - base.arrival,
            schedule.distance - base.distance,
            order,
            position,
        )
        if best is None or key < best.key:
            best = _Candidate(key, live, trial, schedule, displaced)
    return best


def _fits_load(live: _Live, seq: list[Job]) -> bool:
    sd = live.sd
    done = len(live.progress.done) if live.progress else 0
    if sd.max_jobs is not None and done + len(seq) > sd.max_jobs:
        return False
    return sd.capacity is None or sum(j.demand for j in seq) <= live.rsd.capacity


def _why_not(live: _Live, job: Job, now: int, distance, duration) -> str:
    alone = _best_schedule(
        live.rsd, [job], (0,) * len(live.rsd.breaks), now, distance, duration, live.carried
    )
    return "no_window" if alone is None else "capacity"


def _overall_reason(failures: list[str], timed_out: bool) -> str:
    if timed_out:
        return "time_limit"
    for reason in ("capacity", "break", "no_window", "no_skill", "no_day"):
        if reason in failures:
            return reason
    return "no_skill"


# --- schedules -----------------------------------------------------------------------------------


def _best_schedule(
    rsd: StaffDay, seq, hint, now: int, distance, duration, carried: tuple[int, ...] = ()
) -> Timed | None:
    """The break placement returning earliest (then driving least); the published placement
    wins ties. Nothing new starts before ``now`` plus the drive to it; breaks already begun
    (``carried``) keep their starts, in the gap after the last fixed visit."""
    placements = every_placement(len(rsd.breaks), len(seq), hint)
    best = best_schedule(
        rsd,
        seq,
        placements,
        distance,
        duration,
        now=now,
        fixed=carried,
        by_distance=True,
        latest_departure=False,
    )
    return best if isinstance(best, Timed) else None


def _latest_departure(rsd: StaffDay, seq, schedule: Timed, now: int, distance, duration):
    """Leave as late as possible without returning later (a route not yet started)."""
    low, high = rsd.shift.start, schedule.arrival
    while low < high:
        middle = (low + high + 1) // 2
        trial = walk(rsd, seq, schedule.gaps, middle, distance, duration, now=now)
        if isinstance(trial, Timed) and trial.arrival == schedule.arrival:
            low = middle
        else:
            high = middle - 1
    return low, walk(rsd, seq, schedule.gaps, low, distance, duration, now=now)


# --- optional re-optimisation of the chosen route ------------------------------------------------


def _reoptimise(problem, candidate: _Candidate, limit_s: float, now: int, distance, duration):
    """PyVRP on the chosen route's remaining part alone; kept only if it returns earlier."""
    live = candidate.live
    # solve() knows no "not before now": only re-order when the staff member is free after now.
    if limit_s < 0.05 or live.rsd.shift.start < now or len(candidate.seq) < 3:
        return candidate
    alone = replace(problem, jobs=tuple(candidate.seq), staff_days=(live.rsd,))
    result = solve(alone, time_limit_s=limit_s, seed=0, max_iterations=200)
    if result.unassigned or len(result.routes) != 1:
        return candidate
    by_id = {j.id: j for j in candidate.seq}
    seq = [by_id[v.job_id] for v in result.routes[0].visits]
    schedule = _best_schedule(
        live.rsd, seq, candidate.schedule.gaps, now, distance, duration, live.carried
    )
    if schedule is None or schedule.arrival >= candidate.schedule.arrival:
        return candidate
    return replace(candidate, seq=seq, schedule=schedule)


# --- the proposal --------------------------------------------------------------------------------


def _proposal(problem, published, job, candidate: _Candidate, distance, duration, now, began):
    live, schedule = candidate.live, candidate.schedule
    p = live.progress
    if p is None:
        departure, schedule = _latest_departure(
            live.rsd, candidate.seq, schedule, now, distance, duration
        )
    else:
        departure = p.departure
    jobs = {j.id: j for j in problem.jobs}
    done = p.done if p else ()
    stops = [live.sd.start, *(jobs[v.job_id].location for v in done)]
    if p is not None and stops[-1] != p.location:
        stops.append(p.location)
    done_distance = sum(int(distance[a, b]) for a, b in zip(stops, stops[1:], strict=False))
    breaks = (
        *(p.breaks_done if p else ()),
        *(
            BreakVisit(live.pending[b.break_index], b.start, b.end)
            for b in schedule.breaks
            if b.break_index >= len(live.carried)  # those already begun are in breaks_done
        ),
    )
    route = Route(
        live.sd.id,
        (*done, *schedule.visits),
        tuple(sorted(breaks, key=lambda b: b.start)),
        distance=done_distance + schedule.distance,
        duration=schedule.arrival - departure,
        departure=departure,
        arrival=schedule.arrival,
    )
    old_start = {v.job_id: v.start for v in live.published.visits} if live.published else {}
    moved = tuple(
        (v.job_id, old_start[v.job_id], v.start)
        for v in schedule.visits
        if v.job_id in old_start and old_start[v.job_id] != v.start
    )
    change = RouteChange(live.sd.id, (job.id,), candidate.displaced, moved)

    routes = {r.staff_day_id: r for r in published.routes}
    routes[live.sd.id] = route
    order = [sd.id for sd in problem.staff_days]
    unassigned = [u for u in published.unassigned if u.job_id != job.id]
    unassigned += [Unassigned(job_id, DISPLACED_REASON) for job_id in candidate.displaced]
    detail = f"{job.id} → {live.sd.id}, {len(moved)} visits moved"
    if candidate.displaced:
        detail += f", displaced {', '.join(candidate.displaced)}"
    return ReplanProposal(
        problem=problem,
        solution=_solution([routes[i] for i in order if i in routes], unassigned, began),
        staff_day_id=live.sd.id,
        changes=(change,),
        reason=None,
        detail=detail,
        runtime_s=time.perf_counter() - began,
    )


def _unplaced(problem, published, job, reason: str, began) -> ReplanProposal:
    unassigned = [u for u in published.unassigned if u.job_id != job.id]
    unassigned.append(Unassigned(job.id, reason))
    details = {
        "no_day": "no staff works on the job's days",
        "no_skill": "no staff on that day has the skills",
        "no_window": "nobody can reach the shop inside the job's windows",
        "capacity": "every suitable route is full with work that cannot be given up",
        "time_limit": "the time limit ran out before any route was tried",
        "break": "the staff who could do it can no longer take their break",
    }
    return ReplanProposal(
        problem=problem,
        solution=_solution(list(published.routes), unassigned, began),
        staff_day_id=None,
        changes=(),
        reason=reason,
        detail=f"{job.id} unassigned: {details.get(reason, reason)}",
        runtime_s=time.perf_counter() - began,
    )


def _solution(routes: list[Route], unassigned: list[Unassigned], began: float) -> Solution:
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        runtime_s=time.perf_counter() - began,
        solver="replan",
    )


# --- benchmark -----------------------------------------------------------------------------------

NOW_S = 11 * 3600


def bench_replan(n_staff: int = 40, n_jobs: int = 50, seed: int = 1) -> dict:
    """Seconds to insert one urgent job into a live 40-route city day at 11:00 (each insertion
    from the same state), and the share of urgent jobs placed."""
    from engines.routing.city import city_day

    problem = city_day(n_jobs=2000, n_staff=n_staff, seed=seed)
    published = solve(problem, time_limit_s=20, seed=seed)
    state = LiveState.from_plan(problem, published, NOW_S)
    rng = random.Random(seed)
    shops = sorted({job.location for job in problem.jobs})
    timings, placed = [], 0
    for i in range(n_jobs):
        job = Job(
            id=f"complaint{i:03d}",
            location=rng.choice(shops),
            duration=rng.choice((20, 30, 45)) * 60,
            windows=(TimeWindow(NOW_S, NOW_S + rng.choice((2, 3, 4)) * 3600),),
            skills=frozenset({"equipment"}) if rng.random() < 0.3 else frozenset(),
            priority=2,
        )
        began = time.perf_counter()
        proposal = insert_urgent(problem, published, state, job, time_limit_s=1.0)
        timings.append(time.perf_counter() - began)
        placed += proposal.staff_day_id is not None
    timings.sort()
    return {
        "replan_p50_s": round(statistics.median(timings), 4),
        "replan_p95_s": round(timings[min(len(timings) - 1, int(0.95 * len(timings)))], 4),
        "replan_feasible_share": round(placed / n_jobs, 3),
    }


if __name__ == "__main__":
    print(bench_replan())  # noqa: T201  (the command-line report)
