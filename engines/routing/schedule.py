"""The schedule rules of ``engines.routing.model`` as one function, shared by the solver's
re-timing, the greedy baseline (and through it the anchors) and re-planning.

    result = walk(sd, seq, gaps, departure, distance, duration)   # Timed, or Failure
    best = best_schedule(sd, seq, placements, distance, duration)  # earliest return, late start

``walk`` times visiting ``seq`` in order, break k taken in gap ``gaps[k]`` (gap g lies before
visit g, gap len(seq) before the return), all as early as possible:

- the breaks of a gap are taken in window order (breaks already begun, ``fixed``, first) from
  the moment the staff member is free (and not before ``now``), each at its window's start at the
  earliest; one that cannot start by its window's end fails the gap;
- the arrival is the previous end plus the drive plus the breaks of the gap, and never before the
  last of them ends; service starts at the earliest moment inside a window (and, with ``now``, no
  earlier than ``now`` plus the drive), or the visit fails;
- the return fails when it is after the shift end.

Matrices may be numpy arrays or nested lists (``m[a][b]``); lists are much faster from Python.
With ``strict=False`` nothing fails: late breaks, starts and returns are kept for ``check`` to
count. With ``build=False`` nothing is built: ``None`` means the schedule holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

from engines.routing.model import BreakVisit, Job, Route, StaffDay, Visit


@dataclass(frozen=True)
class Failure:
    position: int  # the gap (before visit g) or visit that fails; len(seq) for the return
    kind: str  # "window", "break", "shift"


@dataclass(frozen=True)
class Timed:
    visits: tuple[Visit, ...]
    breaks: tuple[BreakVisit, ...]  # indices into the staff-day's ``breaks``
    departure: int
    arrival: int
    distance: int
    gaps: tuple[int, ...]

    def route(self, staff_day_id: str) -> Route:
        return Route(
            staff_day_id=staff_day_id,
            visits=self.visits,
            breaks=self.breaks,
            distance=self.distance,
            duration=self.arrival - self.departure,
            departure=self.departure,
            arrival=self.arrival,
        )


class Rows:
    """A numpy matrix read as ``m[a][b]`` through Python lists, one row converted on first use:
    for callers that read a few rows of a large matrix many times (re-planning)."""

    def __init__(self, matrix):
        self.matrix = matrix
        self._rows: dict[int, list[int]] = {}

    def __getitem__(self, key):
        if isinstance(key, tuple):
            return self.matrix[key]
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = self.matrix[key].tolist()
        return row


def earliest_start(job: Job, ready: int) -> int | None:
    """The earliest service start at or after ``ready`` inside one of the job's windows."""
    if len(job.windows) == 1:  # the common case, kept cheap
        (window,) = job.windows
        start = ready if ready > window.start else window.start
        return start if start <= window.end else None
    best = None
    for window in job.windows:
        start = ready if ready > window.start else window.start
        if start <= window.end and (best is None or start < best):
            best = start
    return best


def walk(
    sd: StaffDay,
    seq: Sequence[Job],
    gaps: Sequence[int],
    departure: int,
    distance,
    duration,
    *,
    now: int | None = None,
    fixed: Sequence[int] = (),
    strict: bool = True,
    build: bool = True,
) -> Timed | Failure | None:
    """The earliest schedule of ``seq`` leaving ``sd.start`` at ``departure`` (see the module).

    ``fixed[k]`` is the recorded start of break k (a break already begun: the first
    ``len(fixed)`` breaks). Returns ``Timed``, or ``Failure`` when a rule breaks (``strict``);
    with ``build=False`` ``None`` instead of ``Timed``."""
    breaks = sd.breaks
    n_fixed = len(fixed)
    in_gap: dict[int, list[int]] = {}
    if len(gaps) == 1:
        in_gap[gaps[0]] = [0]
    elif gaps:
        for k in sorted(range(len(gaps)), key=lambda k: (k >= n_fixed, breaks[k].window.start)):
            in_gap.setdefault(gaps[k], []).append(k)
    visits: list[Visit] = []
    taken: list[BreakVisit] = []
    here, free_at, travelled = sd.start, departure, 0
    last = len(seq)
    for g in range(last + 1):
        target = seq[g].location if g < last else sd.end
        drive = int(duration[here][target])
        paused = breaks_end = 0
        cursor = free_at if now is None or free_at >= now else now
        for k in in_gap.get(g, ()) if in_gap else ():
            spec = breaks[k]
            if k < n_fixed:
                begin = fixed[k]
            else:
                begin = cursor if cursor > spec.window.start else spec.window.start
            if begin > spec.window.end and strict:
                return Failure(g, "break")
            end = begin + spec.duration
            if build:
                taken.append(BreakVisit(k, begin, end))
            if end > cursor:
                cursor = end
            if end > breaks_end:
                breaks_end = end
            paused += spec.duration
        arrival = free_at + drive + paused
        if breaks_end > arrival:
            arrival = breaks_end
        if build:
            travelled += int(distance[here][target])
        if g == last:
            if arrival > sd.shift.end and strict:
                return Failure(g, "shift")
            if not build:
                return None
            return Timed(tuple(visits), tuple(taken), departure, arrival, travelled, tuple(gaps))
        job = seq[g]
        earliest = arrival if now is None else max(arrival, now + drive)
        if len(job.windows) == 1:  # earliest_start, inlined for the common case
            window = job.windows[0]
            start = earliest if earliest > window.start else window.start
            if start > window.end:
                start = None
        else:
            start = earliest_start(job, earliest)
        if start is None:
            if strict:
                return Failure(g, "window")
            start = max(earliest, min(w.start for w in job.windows))
        if build:
            visits.append(Visit(job.id, arrival, start, start + job.duration))
        here, free_at = target, start + job.duration
    raise AssertionError("unreachable")


def every_placement(n_breaks: int, n_visits: int, hint: Sequence[int]) -> Iterator[tuple]:
    """``hint``, then (for at most two breaks) every placement in lexicographic order."""
    yield tuple(hint)
    if n_breaks <= 2:
        yield from combinations_with_replacement(range(n_visits + 1), n_breaks)


def near_placements(n_breaks: int, n_visits: int, hint: Sequence[int]) -> Iterator[tuple]:
    """``hint`` first, then every placement (breaks in window order), nearest to the hint first."""
    hint = tuple(hint)
    usable = len(hint) == n_breaks and all(0 <= g <= n_visits for g in hint)
    if usable:
        yield hint
    if n_breaks == 0:
        if not usable:
            yield ()
        return
    if n_breaks == 1:  # the order below without sorting: by distance, then the earlier gap
        centre = hint[0] if usable else 0
        if not usable:
            yield (centre,)
        for d in range(1, n_visits + 1):
            if centre - d >= 0:
                yield (centre - d,)
            if centre + d <= n_visits:
                yield (centre + d,)
        return
    every = combinations_with_replacement(range(n_visits + 1), n_breaks)
    centre = hint if usable else (0,) * n_breaks
    near = sorted(every, key=lambda g: (sum(abs(x - c) for x, c in zip(g, centre, strict=True)), g))
    for gaps in near:
        if gaps != hint:
            yield gaps


def best_schedule(
    sd: StaffDay,
    seq: Sequence[Job],
    placements: Iterable[Sequence[int]],
    distance,
    duration,
    *,
    now: int | None = None,
    fixed: Sequence[int] = (),
    by_distance: bool = False,
    latest_departure: bool = True,
) -> Timed | Failure:
    """Over ``placements`` (invalid ones skipped; fixed breaks stay in gap 0), the schedule
    returning earliest (``by_distance``: then driving least; the first wins ties), then, with
    ``latest_departure``, leaving as late as possible without returning later (waiting at home
    costs no route duration). When none holds, the failure that came furthest."""
    best: Timed | None = None
    worst = Failure(-1, "window")
    for gaps in placements:
        if len(gaps) != len(sd.breaks) or any(g > len(seq) for g in gaps):
            continue
        if any(gaps[k] != 0 for k in range(len(fixed))):
            continue
        result = walk(sd, seq, gaps, sd.shift.start, distance, duration, now=now, fixed=fixed)
        if isinstance(result, Failure):
            if result.position > worst.position:
                worst = result
        elif best is None or (
            (result.arrival, result.distance) < (best.arrival, best.distance)
            if by_distance
            else result.arrival < best.arrival
        ):
            best = result
    if best is None:
        return worst
    if not latest_departure:
        return best
    low, high = sd.shift.start, best.arrival
    while low < high:
        middle = (low + high + 1) // 2
        trial = walk(sd, seq, best.gaps, middle, distance, duration, now=now, fixed=fixed)
        if isinstance(trial, Timed) and trial.arrival == best.arrival:
            low = middle
        else:
            high = middle - 1
    result = walk(sd, seq, best.gaps, low, distance, duration, now=now, fixed=fixed)
    assert isinstance(result, Timed)
    return result


__all__ = [
    "Failure",
    "Rows",
    "Timed",
    "best_schedule",
    "earliest_start",
    "every_placement",
    "near_placements",
    "walk",
]
