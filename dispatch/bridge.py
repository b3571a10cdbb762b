"""Between the database and the routing engine: times, staff-days, jobs, and "does this day fit?".

    clock = Clock(first_day)                  # engine seconds from first_day's local midnight
    sd = staff_day(roster_day, clock)          # an engine StaffDay (shift, lunch, home, skills)
    result = fit_day(roster_day, jobs)         # can one staff-day do all of these jobs?

Engine times are integer seconds from the plan's first local midnight; locations are (lat, lng);
travel is ``HaversineTravel`` (a leg between two rural shops runs at the rural speed). Bookings and
urgent jobs must START inside their window; routine jobs may start any time of the working day.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import MarketType
from dispatch.models import JobKind, Route, Stop
from dispatch.roster import RosterDay, serves
from engines.routing import Break, HaversineTravel, Problem, StaffDay, TimeWindow, solve
from engines.routing import Job as EngineJob
from engines.routing.greedy import schedule, solve_greedy

# A day that greedy insertion cannot fit gets a short, iteration-bounded PyVRP search (so the
# answer stays deterministic) before it is declared infeasible.
FALLBACK_LIMIT_S = 0.3
FALLBACK_ITERATIONS = 400

URBAN_KMH = 25.0
RURAL_KMH = 40.0
DETOUR = 1.3

# Why a day does not fit (FitResult.reason) → a message naming what breaks.
REASONS = {
    "window": _("Job %(job)s cannot start inside its time window."),
    "shift_end": _("The route would end after the shift ends."),
    "lunch": _("There would be no room for the lunch break."),
    "max_visits": _("The day would have more than %(max)s visits."),
    "skill": _("%(name)s lacks the skill job %(job)s needs."),
    "territory": _("%(name)s does not serve the shop of job %(job)s."),
    "day": _("%(name)s does not work on that day."),
}


class Clock:
    """Engine seconds from ``first_day``'s local midnight, and back to aware datetimes."""

    def __init__(self, first_day: datetime.date):
        self.first_day = first_day
        self.origin = timezone.make_aware(
            datetime.datetime.combine(first_day, datetime.time()),
            timezone.get_default_timezone(),
        )

    def seconds(self, dt: datetime.datetime) -> int:
        """Whole seconds from the origin to the aware datetime ``dt``."""
        return int((dt - self.origin).total_seconds())

    def at(self, seconds: int) -> datetime.datetime:
        """The aware local datetime ``seconds`` after the origin."""
        return timezone.localtime(
            self.origin + datetime.timedelta(seconds=int(seconds)),
            timezone.get_default_timezone(),
        )

    def day_index(self, day: datetime.date) -> int:
        return (day - self.first_day).days


@dataclass(frozen=True)
class FitResult:
    """Whether one staff-day can do a set of jobs, with the times when it can."""

    ok: bool
    stops: list[tuple[int, datetime.datetime, datetime.datetime, datetime.datetime]]
    lunch: tuple[datetime.datetime, datetime.datetime] | None
    travel_s: int
    distance_m: int
    reason: str | None  # a key of REASONS
    job_id: int | None = None  # the job the reason is about, when there is one
    departure: datetime.datetime | None = None
    arrival: datetime.datetime | None = None

    def message(self, name: str = "", max_visits: int | None = None) -> str:
        """The reason as a translated sentence ("" when the day fits)."""
        if self.ok or self.reason is None:
            return ""
        return str(REASONS[self.reason]) % {
            "job": f"#{self.job_id}" if self.job_id else "",
            "name": name,
            "max": max_visits if max_visits is not None else "",
        }


# --- building blocks shared with planning ---------------------------------------------------------


def shop_point(shop) -> tuple[float, float]:
    return (float(shop.latitude), float(shop.longitude))


def travel(rural: Sequence[bool]) -> HaversineTravel:
    """Haversine travel over locations whose rural flags are ``rural`` (by index)."""
    flags = tuple(bool(r) for r in rural)
    return HaversineTravel(
        detour=DETOUR, urban_kmh=URBAN_KMH, rural_kmh=RURAL_KMH, rural=lambda i: flags[i]
    )


def is_rural(shop) -> bool:
    return shop.market_type == MarketType.RURAL


def lunch_break(day: RosterDay, clock: Clock) -> Break | None:
    """The lunch break, or None when the shift does not span the lunch window."""
    start, end = clock.seconds(day.start), clock.seconds(day.end)
    window = TimeWindow(clock.seconds(day.lunch_from), clock.seconds(day.lunch_until))
    duration = day.lunch_minutes * 60
    earliest = max(window.start, start)
    if day.lunch_minutes <= 0 or earliest > window.end or earliest + duration > end:
        return None
    return Break(window, duration)


def staff_day(
    day: RosterDay,
    clock: Clock,
    *,
    sd_id: str | None = None,
    location: int = 0,
    extra_skills: frozenset[str] = frozenset(),
) -> StaffDay:
    """The engine staff-day of ``day``: from and back to ``location`` (home), lunch, most visits."""
    brk = lunch_break(day, clock)
    return StaffDay(
        id=sd_id or f"{day.user_id}:{day.day.isoformat()}",
        staff_id=str(day.user_id),
        day=clock.day_index(day.day),
        shift=TimeWindow(clock.seconds(day.start), clock.seconds(day.end)),
        start=location,
        end=location,
        skills=frozenset(day.skills) | extra_skills,
        breaks=(brk,) if brk else (),
        max_jobs=day.max_visits,
    )


def fixed_window(job, clock: Clock) -> TimeWindow:
    """The hard window of a booking or urgent job, in engine seconds."""
    return TimeWindow(clock.seconds(job.window_start), clock.seconds(job.window_end))


def job_skills(job) -> frozenset[str]:
    code = job.skill_code
    return frozenset({code}) if code else frozenset()


def travel_of(stops: Sequence[int], duration) -> int:
    """Seconds spent driving along ``stops`` (location indices, home first and last)."""
    return sum(int(duration[a][b]) for a, b in zip(stops, stops[1:], strict=False))


# --- a period's problem ---------------------------------------------------------------------------

# Leaving a routine visit out costs (objective units: route seconds) this much plus its service
# time; a visit whose last allowed day falls inside the period ("must be done now") costs more.
ROUTINE_PENALTY_S = 2 * 3600
ROUTINE_DUE_PENALTY_S = 8 * 3600
BOOKING_PRIORITY = 1  # the engine's replanning never displaces a job with priority > 0
URGENT_PRIORITY = 2


@dataclass
class PeriodModel:
    """An engine ``Problem`` over some staff-days and jobs, with the way back to the database."""

    problem: Problem
    clock: Clock
    days: dict[str, RosterDay]  # staff-day id → roster day
    jobs: dict[str, object]  # engine job id → Job model

    def staff_day_id(self, user_id: int, day: datetime.date) -> str:
        return f"{user_id}:{day.isoformat()}"

    def route_rows(self, plan, engine_route, duration) -> tuple[Route, list[Stop]]:
        """The Route and Stop rows (unsaved; the stops' route is set once the route is saved) of
        one engine route of this model; ``duration`` is its travel-time matrix."""
        day = self.days[engine_route.staff_day_id]
        sd = next(s for s in self.problem.staff_days if s.id == engine_route.staff_day_id)
        located = {j.id: j.location for j in self.problem.jobs}
        legs = [sd.start, *(located[v.job_id] for v in engine_route.visits), sd.end]
        lunch = engine_route.breaks[0] if engine_route.breaks else None
        at = self.clock.at
        route = Route(
            plan=plan,
            staff_id=day.user_id,
            day=day.day,
            shift_start=day.start,
            shift_end=day.end,
            departure=at(engine_route.departure),
            arrival=at(engine_route.arrival),
            break_start=at(lunch.start) if lunch else None,
            break_end=at(lunch.end) if lunch else None,
            travel_s=travel_of(legs, duration),
            distance_m=int(engine_route.distance),
            max_visits=day.max_visits,
        )
        stops = [
            Stop(
                job_id=int(v.job_id),
                seq=seq,
                arrival=at(v.arrival),
                start=at(v.start),
                end=at(v.end),
            )
            for seq, v in enumerate(engine_route.visits)
        ]
        return route, stops


def routine_days(
    job, first: datetime.date, last: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The allowed days of a routine job inside first..last (may be empty: lo > hi)."""
    return max(first, job.earliest_on), min(last, job.latest_on)


def engine_job(
    job,
    clock: Clock,
    *,
    first: datetime.date,
    last: datetime.date,
    location: int,
    extra_skills: frozenset[str] = frozenset(),
) -> EngineJob:
    """The engine job of a Job model: hard window on its day, or the routine's allowed days."""
    skills = job_skills(job) | extra_skills
    duration = job.duration_min * 60
    if job.kind == JobKind.ROUTINE:
        lo, hi = routine_days(job, first, last)
        # One window over the allowed days' midnights; ``days`` keeps it to those staff-days and
        # each staff-day's shift to its working hours (cheaper than one window per day).
        window = TimeWindow(
            clock.seconds(local_midnight(lo)),
            clock.seconds(local_midnight(hi + datetime.timedelta(days=1))) - 1,
        )
        due_now = first <= job.latest_on <= last
        penalty = (ROUTINE_DUE_PENALTY_S if due_now else ROUTINE_PENALTY_S) + duration
        penalty += 1800 * min(job.priority, 10)
        return EngineJob(
            id=str(job.pk),
            location=location,
            duration=duration,
            windows=(window,),
            skills=skills,
            required=False,
            penalty=penalty,
            priority=0,
            days=frozenset(range(clock.day_index(lo), clock.day_index(hi) + 1)),
        )
    day = timezone.localtime(job.window_start, timezone.get_default_timezone()).date()
    floor = URGENT_PRIORITY if job.kind == JobKind.URGENT else BOOKING_PRIORITY
    return EngineJob(
        id=str(job.pk),
        location=location,
        duration=duration,
        windows=(fixed_window(job, clock),),
        skills=skills,
        required=True,
        priority=max(job.priority, floor),
        days=frozenset({clock.day_index(day)}),
    )


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time()), timezone.get_default_timezone()
    )


def period_model(
    days: Sequence[RosterDay],
    jobs: Sequence,
    clock: Clock,
    *,
    first: datetime.date,
    last: datetime.date,
    staff_tags: dict[int, frozenset[str]] | None = None,
    job_tags: dict[int, frozenset[str]] | None = None,
) -> PeriodModel:
    """The engine problem of ``days`` × ``jobs``; tags are extra skills (territory)."""
    staff_tags = staff_tags or {}
    job_tags = job_tags or {}
    locations: list[tuple[float, float]] = []
    rural: list[bool] = []
    index: dict[tuple, int] = {}

    def place(key: tuple, point: tuple[float, float], is_rural_point: bool) -> int:
        if key not in index:
            index[key] = len(locations)
            locations.append(point)
            rural.append(is_rural_point)
        return index[key]

    staff_days, by_sd = [], {}
    for day in days:
        home = place(("home", day.home), day.home, False)
        sd_id = f"{day.user_id}:{day.day.isoformat()}"
        staff_days.append(
            staff_day(
                day,
                clock,
                sd_id=sd_id,
                location=home,
                extra_skills=staff_tags.get(day.user_id, frozenset()),
            )
        )
        by_sd[sd_id] = day
    engine_jobs, by_job = [], {}
    for job in jobs:
        location = place(("shop", job.shop_id), shop_point(job.shop), is_rural(job.shop))
        engine_jobs.append(
            engine_job(
                job,
                clock,
                first=first,
                last=last,
                location=location,
                extra_skills=job_tags.get(job.pk, frozenset()),
            )
        )
        by_job[str(job.pk)] = job
    problem = Problem(
        locations=tuple(locations),
        jobs=tuple(engine_jobs),
        staff_days=tuple(staff_days),
        travel=travel(rural),
    )
    return PeriodModel(problem=problem, clock=clock, days=by_sd, jobs=by_job)


# --- can one staff-day do these jobs? -------------------------------------------------------------


def fit_day(day: RosterDay, jobs: Sequence, *, keep_order: bool = False) -> FitResult:
    """Can ``day`` do every job of ``jobs`` (Job models with shop and service item loaded)?

    Hard windows for bookings and urgent jobs, the whole shift for routine ones; travel, shift,
    lunch and most visits all count. ``keep_order`` visits them in the given order (re-timing a
    route moved by hand); otherwise the best order found is used.
    """
    jobs = list(jobs)
    for job in jobs:
        if not serves(day, job.shop):
            return _no(reason="territory", job_id=job.pk)
        if not job_skills(job) <= day.skills:
            return _no(reason="skill", job_id=job.pk)
    if len(jobs) > day.max_visits:
        return _no(reason="max_visits")
    if not jobs:
        return FitResult(True, [], None, 0, 0, None)

    clock = Clock(day.day)
    sd = staff_day(day, clock)
    shift = sd.shift
    engine_jobs = []
    for index, job in enumerate(jobs, start=1):
        if job.kind == JobKind.ROUTINE or job.window_start is None:
            window = shift
        else:
            window = fixed_window(job, clock)
        engine_jobs.append(
            EngineJob(
                id=str(job.pk),
                location=index,
                duration=job.duration_min * 60,
                windows=(window,),
                skills=job_skills(job),
            )
        )
    problem = Problem(
        locations=(day.home, *(shop_point(job.shop) for job in jobs)),
        jobs=tuple(engine_jobs),
        staff_days=(sd,),
        travel=travel((False, *(is_rural(job.shop) for job in jobs))),
    )
    distance, duration = problem.travel.matrices(problem.locations)

    if keep_order:
        route = schedule(sd, engine_jobs, distance, duration, strict=True)
        if route is None:
            return _diagnose(sd, engine_jobs, distance, duration)
    else:
        solution = solve_greedy(problem)
        if solution.unassigned and len(jobs) > 1:
            solution = solve(
                problem,
                time_limit_s=FALLBACK_LIMIT_S,
                seed=0,
                max_iterations=FALLBACK_ITERATIONS,
            )
        if solution.unassigned:
            first = solution.unassigned[0]
            if first.reason in ("no_window", "no_day"):
                return _no(reason="window", job_id=int(first.job_id))
            # The jobs do not fit together: say what the natural order breaks.
            ordered = sorted(engine_jobs, key=lambda j: (j.windows[0].start, j.id))
            return _diagnose(sd, ordered, distance, duration)
        route = solution.routes[0]
    return _result(route, problem, clock, duration)


def _no(*, reason: str, job_id: int | None = None) -> FitResult:
    return FitResult(False, [], None, 0, 0, reason, job_id)


def _diagnose(sd: StaffDay, seq, distance, duration) -> FitResult:
    """Name the first rule ``seq`` breaks: lunch when it fits without the break, else the first
    late start or the late return of the schedule forced without a break."""
    if sd.breaks:
        bare = replace(sd, breaks=())
        if schedule(bare, seq, distance, duration, strict=True) is not None:
            return _no(reason="lunch")
        sd = bare
    forced = schedule(sd, seq, distance, duration, strict=False)
    events = []
    for job, visit in zip(seq, forced.visits, strict=True):
        if not any(w.start <= visit.start <= w.end for w in job.windows):
            events.append((visit.start, "window", int(job.id)))
    if forced.arrival > sd.shift.end:
        events.append((forced.arrival, "shift_end", None))
    if not events:  # the order itself is fine by these rules: the engine found it full
        return _no(reason="shift_end")
    _, reason, job_id = min(events, key=lambda e: e[0])
    if reason == "window" and job_id is not None:
        # A job pushed past its window by everything before it: the day is too full.
        job = next(j for j in seq if int(j.id) == job_id)
        if forced.arrival > sd.shift.end and job.windows[0] == sd.shift:
            reason = "shift_end"
    return _no(reason=reason, job_id=job_id)


def _result(route, problem: Problem, clock: Clock, duration) -> FitResult:
    by_id = {job.id: job for job in problem.jobs}
    stops = [0, *(by_id[v.job_id].location for v in route.visits), 0]
    lunch = None
    if route.breaks:
        brk = route.breaks[0]
        lunch = (clock.at(brk.start), clock.at(brk.end))
    return FitResult(
        ok=True,
        stops=[
            (int(v.job_id), clock.at(v.arrival), clock.at(v.start), clock.at(v.end))
            for v in route.visits
        ],
        lunch=lunch,
        travel_s=travel_of(stops, duration),
        distance_m=int(route.distance),
        reason=None,
        departure=clock.at(route.departure),
        arrival=clock.at(route.arrival),
    )
