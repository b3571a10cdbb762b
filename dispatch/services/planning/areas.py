"""Splitting a large component into areas the engine solves well in its share of the time.

A component (staff linked through the grids they share) can hold a whole city when territories
overlap: one engine problem of 8,000 jobs and 750 staff-days would need two 8,000² matrices and
search far too slowly (a Python list copy of each, too). Above ``MAX_AREA_JOBS`` jobs the
component's staff are cut into groups of neighbours (recursive bisection of their homes, balanced
by the jobs each one anchors, each cut placed where the fewest jobs have staff on both sides) and
every job goes to the one group holding its anchor: the shop's account manager when they can do
it, else the nearest staff member who serves the shop and holds the skill. Staff and jobs each land
in exactly one area, so no staff-day is booked twice and no job is planned twice; inside an area
``territory_tags`` still keeps every job to the staff who serve its shop.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch import bridge
from dispatch.models import Job
from dispatch.roster import RosterDay, serves

# Measured on the 50,000-shop city week (bench/city_week.py) at 90 s: areas of about 1,500 jobs
# left 166 routine visits out, of 600 jobs 248 (more borders between colleagues who share shops).
MAX_AREA_JOBS = 1500
CUT_SLACK = 0.2  # a cut may leave a side this share off its balanced load to cut fewer jobs


@dataclass
class Component:
    staff_ids: set[int]
    jobs: list[Job]


def split_component(
    component: Component, days: Sequence[RosterDay], *, max_jobs: int | None = None
) -> list[Component]:
    """``component`` itself when it has at most ``max_jobs`` jobs (default ``MAX_AREA_JOBS``),
    else areas of neighbouring staff with their jobs (each job and each staff member in exactly
    one area; areas without jobs are dropped)."""
    max_jobs = max_jobs or MAX_AREA_JOBS
    if len(component.jobs) <= max_jobs or len(component.staff_ids) < 2:
        return [component]
    one_day_each: dict[int, RosterDay] = {}
    for day in days:
        if day.user_id in component.staff_ids:
            one_day_each.setdefault(day.user_id, day)
    able = {job.pk: _able(job, one_day_each) for job in component.jobs}
    anchors = {job.pk: _anchor(job, able[job.pk], one_day_each) for job in component.jobs}
    load = Counter(anchors.values())
    staff = sorted(component.staff_ids)
    homes = {uid: one_day_each[uid].home for uid in staff}
    parts = min(len(staff), math.ceil(len(component.jobs) / max_jobs))
    shared = [frozenset(staff_ids) for staff_ids in able.values() if len(staff_ids) > 1]
    groups = _bisect(staff, homes, load, parts, shared)
    group_of = {uid: index for index, group in enumerate(groups) for uid in group}
    areas = [Component(set(group), []) for group in groups]
    for job in component.jobs:
        areas[group_of[anchors[job.pk]]].jobs.append(job)
    return [area for area in areas if area.jobs]


def _able(job: Job, one_day_each: dict[int, RosterDay]) -> list[int]:
    """Staff who serve the shop and hold the job's skill (those who serve it, when none does)."""
    eligible = [uid for uid, day in one_day_each.items() if serves(day, job.shop)]
    needs = bridge.job_skills(job)
    return [uid for uid in eligible if needs <= one_day_each[uid].skills] or eligible


def _anchor(job: Job, able: list[int], one_day_each: dict[int, RosterDay]) -> int:
    """The staff member whose area takes the job: its account manager when able, else the
    nearest able one."""
    if job.shop.account_manager_id in able:
        return job.shop.account_manager_id
    point = bridge.shop_point(job.shop)
    return min(able, key=lambda uid: (_square_km(one_day_each[uid].home, point), uid))


def _square_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """A squared flat-earth distance: enough to compare neighbours inside one city."""
    north = (a[0] - b[0]) * 111.2
    east = (a[1] - b[1]) * 111.2 * math.cos(math.radians(a[0]))
    return north * north + east * east


def _bisect(
    staff: list[int],
    homes: dict[int, tuple[float, float]],
    load: Counter,
    parts: int,
    shared: list[frozenset[int]],
) -> list[list[int]]:
    """``parts`` groups of neighbouring staff with about equal ``load``: order them along the
    longer side of their homes' spread and cut, near the point that splits the load in
    proportion to the parts on each side, where the fewest jobs (``shared``: the staff who may
    do each job) have staff on both sides. A job whose staff are cut apart loses the colleague
    who takes the overflow of a full week."""
    if parts <= 1 or len(staff) <= 1:
        return [staff]
    lats = [homes[uid][0] for uid in staff]
    lngs = [homes[uid][1] for uid in staff]
    across = (max(lngs) - min(lngs)) * math.cos(math.radians(sum(lats) / len(lats)))
    axis = 0 if max(lats) - min(lats) >= across else 1
    ordered = sorted(staff, key=lambda uid: (homes[uid][axis], uid))
    left_parts = parts // 2
    total = sum(load[uid] for uid in ordered) or 1
    target = total * left_parts / parts
    here = set(ordered)
    local = [ids for ids in shared if ids & here]
    best: tuple | None = None
    closest, running = (math.inf, 1), 0
    for cut in range(1, len(ordered)):
        running += load[ordered[cut - 1]]
        closest = min(closest, (abs(running - target), cut))
        if abs(running - target) > CUT_SLACK * target:
            continue
        left = set(ordered[:cut])
        straddling = sum(1 for ids in local if ids & left and (ids & here) - left)
        best = min(best or (math.inf,), (straddling, abs(running - target), cut))
    cut = best[-1] if best else closest[1]
    return _bisect(ordered[:cut], homes, load, left_parts, shared) + _bisect(
        ordered[cut:], homes, load, parts - left_parts, shared
    )
