"""Value objects of the routing engine: what goes in (a ``Problem``) and what comes out.

Times are integers in one unit chosen by the caller (seconds from the plan origin for the city,
Solomon time units for the benchmark); distances are integers too (metres for the city).
Locations are indices into ``Problem.locations``.

Schedule convention (the solver writes it, ``check`` verifies it):
- ``Visit.arrival`` is the moment the staff member is ready at the shop: the previous end (or the
  route's departure) plus the travel time plus the breaks taken in that gap, and never before the
  end of a break taken in that gap. Breaks may be taken anywhere on the way (a stop for lunch).
- ``Visit.start`` is when service begins: ``start >= arrival`` and inside one of the job's windows.
- ``Route.arrival`` is the return to the staff-day's end location, by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engines.routing.travel import TravelProvider

REASONS = ("no_skill", "no_window", "no_day", "capacity", "not_worth", "time_limit", "break")


@dataclass(frozen=True)
class TimeWindow:
    """The interval in which something may START: ``start <= begin <= end``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"time window starts after it ends: {self.start} > {self.end}")


@dataclass(frozen=True)
class Job:
    """A shop visit: booked (hard windows), routine (wide window) or urgent."""

    id: str
    location: int
    duration: int
    windows: tuple[TimeWindow, ...]
    skills: frozenset[str] = frozenset()
    demand: int = 0
    required: bool = True
    penalty: int = 0  # optional jobs: the cost of leaving it out, in objective units
    priority: int = 0
    days: frozenset[int] | None = None  # allowed day indices; None = any day

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError(f"job {self.id} has no time window")
        if self.duration < 0 or self.demand < 0 or self.penalty < 0:
            raise ValueError(f"job {self.id}: duration, demand and penalty must be >= 0")
        if self.days is not None and not self.days:
            raise ValueError(f"job {self.id}: days is empty (use None for any day)")


@dataclass(frozen=True)
class Break:
    """A break (lunch) of ``duration`` starting inside ``window``; owed on every non-empty route."""

    window: TimeWindow
    duration: int

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError("break duration must be > 0")


@dataclass(frozen=True)
class StaffDay:
    """One staff member on one day: leaves ``start`` at or after ``shift.start``, back at ``end``
    by ``shift.end``."""

    id: str
    staff_id: str
    day: int
    shift: TimeWindow
    start: int
    end: int
    skills: frozenset[str] = frozenset()
    capacity: int | None = None
    breaks: tuple[Break, ...] = ()
    max_jobs: int | None = None

    def __post_init__(self) -> None:
        for brk in self.breaks:
            earliest = max(brk.window.start, self.shift.start)
            if earliest > brk.window.end or earliest + brk.duration > self.shift.end:
                raise ValueError(f"staff-day {self.id}: a break cannot fit inside the shift")
        if self.capacity is not None and self.capacity < 0:
            raise ValueError(f"staff-day {self.id}: capacity must be >= 0")
        if self.max_jobs is not None and self.max_jobs < 0:
            raise ValueError(f"staff-day {self.id}: max_jobs must be >= 0")

    def can_serve(self, job: Job) -> bool:
        """Skills and day allow this staff-day to do ``job`` (time is not looked at)."""
        return job.skills <= self.skills and (job.days is None or self.day in job.days)


@dataclass(frozen=True)
class Problem:
    """Jobs to place on staff-days; ``travel`` turns ``locations`` into matrices."""

    locations: tuple[tuple[float, float], ...]
    jobs: tuple[Job, ...]
    staff_days: tuple[StaffDay, ...]
    travel: TravelProvider

    def __post_init__(self) -> None:
        n = len(self.locations)
        if len({job.id for job in self.jobs}) != len(self.jobs):
            raise ValueError("job ids must be unique")
        if len({sd.id for sd in self.staff_days}) != len(self.staff_days):
            raise ValueError("staff-day ids must be unique")
        for job in self.jobs:
            if not 0 <= job.location < n:
                raise ValueError(f"job {job.id}: location {job.location} out of range")
        for sd in self.staff_days:
            if not (0 <= sd.start < n and 0 <= sd.end < n):
                raise ValueError(f"staff-day {sd.id}: start/end location out of range")


@dataclass(frozen=True)
class Visit:
    job_id: str
    arrival: int
    start: int
    end: int


@dataclass(frozen=True)
class BreakVisit:
    break_index: int  # index into the staff-day's ``breaks``
    start: int
    end: int


@dataclass(frozen=True)
class Route:
    staff_day_id: str
    visits: tuple[Visit, ...]
    breaks: tuple[BreakVisit, ...]
    distance: int
    duration: int  # arrival - departure, waiting and breaks included
    departure: int
    arrival: int


@dataclass(frozen=True)
class Unassigned:
    job_id: str
    reason: str  # one of REASONS


@dataclass(frozen=True)
class SearchStats:
    """Where a solver's time went (seconds from the start of the call) and how far it searched."""

    iterations: int  # PyVRP's ``Result.num_iterations``
    model_s: float  # matrices, triage, the model and the warm start done: PyVRP is called
    search_from_s: float  # matrices, model, warm start and PyVRP's set-up done
    search_to_s: float  # the search stopped; re-timing the routes follows
    required_clients: bool  # required jobs were PyVRP required clients (not prize-optional)


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    distance: int
    duration: int
    runtime_s: float
    solver: str
    search: SearchStats | None = None  # solvers that search say how (``engines.routing.solver``)
