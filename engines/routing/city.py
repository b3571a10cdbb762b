"""A synthetic but realistic field-staff day around Hefei, for the routing benchmark (issue 6).

    problem = city_day(n_jobs=2000, n_staff=40, seed=7)   # pure: same arguments, same Problem
    week = city_week(n_routine=1200, n_booked=100, n_staff=20, n_days=5, seed=7)

Locations are (lat, lon): index 0 is the office in the centre, then the homes of staff who start
from home, then one location per job. Most shops sit in the urban core (around five district
centres); a fifth lie in the rural outskirts 15–35 km out, where ``HaversineTravel`` drives
faster. Times are seconds from 00:00.

Staff: shift 08:30–17:30 (a quarter 09:00–18:00), a 45 min lunch starting 11:30–13:30, one to
three of ``SKILLS`` (staff k always has ``SKILLS[k % 4]``, so each skill is held by a quarter of
the staff at least), at most ``max_jobs`` visits, leaving from and returning to the office or home.

Jobs (id prefix = kind), service 10–40 min:
- ``urgent`` (~10 %): required, one 45–60 min window opening 09:00–16:00.
- ``booked`` (~25 %): a 1–2 h window (a fifth offer a second one later in the day). Optional
  with a high penalty (``BOOKED_PENALTY_S``): at the default size, 700 required jobs would not
  fit in 40 × 14 visits, so a booking that cannot be kept is rebooked rather than breaking the
  plan.
- ``routine`` (~65 %): the staff day as window, optional, penalty 1–2 h of route time.
2,000 jobs are more than 40 staff can do in a day: optional visits are left over by design.
"""

from __future__ import annotations

import math
import random

from engines.routing.model import Break, Job, Problem, StaffDay, TimeWindow
from engines.routing.travel import HaversineTravel

CENTRE = (31.82, 117.23)  # Hefei
SKILLS = ("licence", "display", "equipment", "brand")
KM_PER_DEGREE_LAT = 111.2
HOUR = 3600
MINUTE = 60
EARLY_SHIFT = TimeWindow(8 * HOUR + 30 * MINUTE, 17 * HOUR + 30 * MINUTE)
LATE_SHIFT = TimeWindow(9 * HOUR, 18 * HOUR)
LUNCH = Break(TimeWindow(11 * HOUR + 30 * MINUTE, 13 * HOUR + 30 * MINUTE), 45 * MINUTE)
BOOKED_PENALTY_S = 6 * HOUR
# district centres (km east, km north of the centre) and their spread
DISTRICTS = ((0.0, 0.0, 2.5), (7.0, 3.0, 2.0), (-6.0, 4.0, 2.0), (4.0, -7.0, 2.5), (-5.0, -5.0, 2))
RURAL_KM = (15.0, 35.0)


def city_day(
    n_jobs: int = 2000,
    n_staff: int = 40,
    seed: int = 0,
    *,
    max_jobs: int = 14,
    rural_share: float = 0.2,
    urgent_share: float = 0.10,
    booked_share: float = 0.25,
) -> Problem:
    """One day of ``n_jobs`` shop jobs for ``n_staff`` staff-days (ids ``staffNN``), seeded."""
    if n_jobs < 0 or n_staff < 1:
        raise ValueError("n_jobs must be >= 0 and n_staff >= 1")
    if not 0 <= urgent_share + booked_share <= 1:
        raise ValueError("urgent_share + booked_share must lie in [0, 1]")
    rng = random.Random(seed)
    locations: list[tuple[float, float]] = [CENTRE]
    rural: set[int] = set()

    staff_days = []
    for k in range(n_staff):
        extra = rng.choices((0, 1, 2), weights=(50, 35, 15))[0]
        skills = {SKILLS[k % len(SKILLS)], *rng.sample(SKILLS, extra)}
        if rng.random() < 0.4:
            home = 0  # starts and ends at the office
        else:
            locations.append(_urban_point(rng, spread_km=6.0))
            home = len(locations) - 1
        staff_days.append(
            StaffDay(
                id=f"staff{k:02d}",
                staff_id=f"staff{k:02d}",
                day=0,
                shift=LATE_SHIFT if rng.random() < 0.25 else EARLY_SHIFT,
                start=home,
                end=home,
                skills=frozenset(skills),
                breaks=(LUNCH,),
                max_jobs=max_jobs,
            )
        )

    day_start, day_end = EARLY_SHIFT.start, LATE_SHIFT.end
    jobs = []
    for i in range(n_jobs):
        if rng.random() < rural_share:
            locations.append(_rural_point(rng))
            rural.add(len(locations) - 1)
        else:
            locations.append(_district_point(rng))
        location = len(locations) - 1
        service = rng.choice(range(10, 41, 5)) * MINUTE
        draw = rng.random()
        if draw < urgent_share:
            opens = _clock(rng, 9 * HOUR, 16 * HOUR)
            width = rng.choice((45, 60)) * MINUTE
            jobs.append(
                Job(
                    id=f"urgent{i:04d}",
                    location=location,
                    duration=service,
                    windows=(TimeWindow(opens, opens + width),),
                    skills=_job_skills(rng, {"equipment": 0.3}),
                    required=True,
                    priority=2,
                )
            )
        elif draw < urgent_share + booked_share:
            opens = _clock(rng, 9 * HOUR, 16 * HOUR)
            windows = [TimeWindow(opens, opens + rng.choice((60, 90, 120)) * MINUTE)]
            later = opens + rng.choice((3, 4)) * HOUR
            if rng.random() < 0.2 and later + HOUR <= day_end - service:
                windows.append(TimeWindow(later, later + HOUR))
            jobs.append(
                Job(
                    id=f"booked{i:04d}",
                    location=location,
                    duration=service,
                    windows=tuple(windows),
                    skills=_job_skills(rng, {"licence": 0.15, "display": 0.15, "brand": 0.1}),
                    required=False,
                    penalty=BOOKED_PENALTY_S,
                    priority=1,
                )
            )
        else:
            jobs.append(
                Job(
                    id=f"routine{i:04d}",
                    location=location,
                    duration=service,
                    windows=(TimeWindow(day_start, day_end - service),),
                    skills=_job_skills(rng, {"licence": 0.1, "display": 0.1, "brand": 0.1}),
                    required=False,
                    penalty=HOUR + rng.randrange(0, HOUR + 1, 5 * MINUTE),
                )
            )

    rural_locations = frozenset(rural)
    return Problem(
        locations=tuple(locations),
        jobs=tuple(jobs),
        staff_days=tuple(staff_days),
        travel=HaversineTravel(rural=rural_locations.__contains__),
    )


DAY = 24 * HOUR


def city_week(
    n_routine: int = 1200,
    n_booked: int = 100,
    n_staff: int = 20,
    n_days: int = 5,
    seed: int = 0,
    *,
    max_jobs: int = 14,
    rural_share: float = 0.2,
    routine_days: tuple[int, int] = (2, 3),
) -> Problem:
    """A working week of ``n_staff`` staff on ``n_days`` days (staff-day ids ``staffNN-dD``),
    seeded and pure like ``city_day``.

    Times are seconds from 00:00 of day 0 (day d's shift is ``d * DAY`` later). Each routine job
    (``routineNNNN``, optional, penalty 1–2 h) may be done on 2–3 of the days: one whole-shift
    window on each, and ``days`` says which. Each booked job (``bookedNNNN``, required) has a
    1–2 h window on one day. Staff keep their skills, home and shift all week.
    """
    if n_routine < 0 or n_booked < 0 or n_staff < 1 or n_days < 1:
        raise ValueError("job counts must be >= 0, n_staff and n_days >= 1")
    rng = random.Random(seed)
    locations: list[tuple[float, float]] = [CENTRE]
    rural: set[int] = set()

    staff_days = []
    for k in range(n_staff):
        extra = rng.choices((0, 1, 2), weights=(50, 35, 15))[0]
        skills = frozenset({SKILLS[k % len(SKILLS)], *rng.sample(SKILLS, extra)})
        if rng.random() < 0.4:
            home = 0
        else:
            locations.append(_urban_point(rng, spread_km=6.0))
            home = len(locations) - 1
        shift = LATE_SHIFT if rng.random() < 0.25 else EARLY_SHIFT
        for d in range(n_days):
            lunch = Break(
                TimeWindow(LUNCH.window.start + d * DAY, LUNCH.window.end + d * DAY),
                LUNCH.duration,
            )
            staff_days.append(
                StaffDay(
                    id=f"staff{k:02d}-d{d}",
                    staff_id=f"staff{k:02d}",
                    day=d,
                    shift=TimeWindow(shift.start + d * DAY, shift.end + d * DAY),
                    start=home,
                    end=home,
                    skills=skills,
                    breaks=(lunch,),
                    max_jobs=max_jobs,
                )
            )

    def shop() -> int:
        if rng.random() < rural_share:
            locations.append(_rural_point(rng))
            rural.add(len(locations) - 1)
        else:
            locations.append(_district_point(rng))
        return len(locations) - 1

    jobs = []
    day_start, day_end = EARLY_SHIFT.start, LATE_SHIFT.end
    for i in range(n_routine):
        location = shop()
        service = rng.choice(range(10, 41, 5)) * MINUTE
        allowed = sorted(rng.sample(range(n_days), min(n_days, rng.randint(*routine_days))))
        jobs.append(
            Job(
                id=f"routine{i:04d}",
                location=location,
                duration=service,
                windows=tuple(
                    TimeWindow(d * DAY + day_start, d * DAY + day_end - service) for d in allowed
                ),
                skills=_job_skills(rng, {"licence": 0.1, "display": 0.1, "brand": 0.1}),
                required=False,
                penalty=HOUR + rng.randrange(0, HOUR + 1, 5 * MINUTE),
                days=frozenset(allowed),
            )
        )
    for i in range(n_booked):
        location = shop()
        service = rng.choice(range(10, 41, 5)) * MINUTE
        d = rng.randrange(n_days)
        opens = d * DAY + _clock(rng, 9 * HOUR, 16 * HOUR)
        jobs.append(
            Job(
                id=f"booked{i:04d}",
                location=location,
                duration=service,
                windows=(TimeWindow(opens, opens + rng.choice((60, 90, 120)) * MINUTE),),
                skills=_job_skills(rng, {"licence": 0.15, "display": 0.15, "brand": 0.1}),
                required=True,
                priority=1,
                days=frozenset({d}),
            )
        )

    rural_locations = frozenset(rural)
    return Problem(
        locations=tuple(locations),
        jobs=tuple(jobs),
        staff_days=tuple(staff_days),
        travel=HaversineTravel(rural=rural_locations.__contains__),
    )


def _clock(rng: random.Random, earliest: int, latest: int) -> int:
    """A time between ``earliest`` and ``latest`` on a 5 min grid, as bookings are made."""
    return rng.randrange(earliest, latest + 1, 5 * MINUTE)


def _job_skills(rng: random.Random, chances: dict[str, float]) -> frozenset[str]:
    """At most one skill: the first whose chance comes up, in the order given."""
    draw = rng.random()
    for skill, chance in chances.items():
        if draw < chance:
            return frozenset({skill})
        draw -= chance
    return frozenset()


def _offset(km_east: float, km_north: float) -> tuple[float, float]:
    lat = CENTRE[0] + km_north / KM_PER_DEGREE_LAT
    lon = CENTRE[1] + km_east / (KM_PER_DEGREE_LAT * math.cos(math.radians(CENTRE[0])))
    return (round(lat, 6), round(lon, 6))


def _urban_point(rng: random.Random, spread_km: float) -> tuple[float, float]:
    return _offset(rng.gauss(0, spread_km), rng.gauss(0, spread_km))


def _district_point(rng: random.Random) -> tuple[float, float]:
    east, north, spread = rng.choice(DISTRICTS)
    return _offset(east + rng.gauss(0, spread), north + rng.gauss(0, spread))


def _rural_point(rng: random.Random) -> tuple[float, float]:
    radius = rng.uniform(*RURAL_KM)
    angle = rng.uniform(0, 2 * math.pi)
    return _offset(radius * math.cos(angle), radius * math.sin(angle))


__all__ = ["BOOKED_PENALTY_S", "DAY", "SKILLS", "city_day", "city_week"]
