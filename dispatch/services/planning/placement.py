"""Putting a job on or off the working plan: the placeable states, the write, its JobEvent.

``_set_planned`` / ``_set_unplanned`` write one job (a move by hand); publishing a plan places
thousands at once, so it changes the jobs in memory (``_place`` / ``_unplace``) and writes them
with their events in a few bulk statements (``_save_placements``): one UPDATE per route for the
placed jobs (``bulk_update`` builds a CASE over every row for every field: a minute for a city
week's 8,000 jobs, where this takes seconds).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Case, DateTimeField, F, Value, When
from django.utils import timezone

from dispatch.models import Job, JobEvent, JobKind, JobState, Plan

PLACEABLE_STATES = (JobState.OPEN, JobState.PLANNED)
PLACED_FIELDS = ["assignee", "planned_day", "planned_start", "state", "version", "updated_at"]
BATCH = 1000


def _place(job: Job, staff_id: int, day, start) -> bool:
    """Give ``job`` its place in memory; False (nothing changed) when it already has it."""
    if (job.assignee_id, job.planned_day, job.planned_start, job.state) == (
        staff_id,
        day,
        start,
        JobState.PLANNED,
    ):
        return False
    job.assignee_id, job.planned_day, job.planned_start = staff_id, day, start
    job.state = JobState.PLANNED
    job.version += 1
    return True


def _placed_event(job: Job, actor, plan: Plan, *, event=None) -> JobEvent:
    return JobEvent(
        job=job,
        kind=event or JobEvent.Kind.PLANNED,
        actor=actor,
        data={
            "plan": plan.pk,
            "staff": job.assignee_id,
            "day": job.planned_day.isoformat(),
            "start": job.planned_start.isoformat(),
        },
    )


def _unplace(job: Job) -> None:
    """Back to waiting for a route; a booking keeps its assignee as its reservation."""
    job.state = JobState.OPEN
    job.planned_start = None
    if job.kind != JobKind.BOOKING:
        job.assignee = None
        job.planned_day = None
    job.version += 1


def _unplaced_event(job: Job, actor, plan: Plan) -> JobEvent:
    return JobEvent(job=job, kind=JobEvent.Kind.UNPLANNED, actor=actor, data={"plan": plan.pk})


def _set_planned(job: Job, staff_id: int, day, start, actor, plan: Plan, *, event=None) -> bool:
    """Give ``job`` its place; a JobEvent only when something changed."""
    if not _place(job, staff_id, day, start):
        return False
    job.save(update_fields=PLACED_FIELDS)
    _placed_event(job, actor, plan, event=event).save()
    return True


def _set_unplanned(job: Job, actor, plan: Plan) -> None:
    """Back to waiting for a route; a booking keeps its assignee as its reservation."""
    _unplace(job)
    job.save(update_fields=PLACED_FIELDS)
    _unplaced_event(job, actor, plan).save()


def _save_placements(placed: list[Job], unplaced: list[Job], events: list[JobEvent]) -> None:
    """Write jobs changed by ``_place`` and ``_unplace``, and their events. Run under the lock
    publishing holds on those jobs."""
    now = timezone.now()
    routes: dict[tuple, list[Job]] = defaultdict(list)
    for job in placed:
        routes[(job.assignee_id, job.planned_day)].append(job)
    for (staff_id, day), jobs in routes.items():
        Job.objects.filter(pk__in=[job.pk for job in jobs]).update(
            assignee_id=staff_id,
            planned_day=day,
            planned_start=Case(
                *(When(pk=job.pk, then=Value(job.planned_start)) for job in jobs),
                output_field=DateTimeField(),
            ),
            state=JobState.PLANNED,
            version=F("version") + 1,
            updated_at=now,
        )
    for job in unplaced:
        job.updated_at = now
    Job.objects.bulk_update(unplaced, PLACED_FIELDS, batch_size=BATCH)
    JobEvent.objects.bulk_create(events, batch_size=BATCH)
