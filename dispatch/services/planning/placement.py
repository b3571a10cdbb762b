"""Putting a job on or off the working plan: the placeable states, the write, its JobEvent."""

from __future__ import annotations

from dispatch.models import Job, JobEvent, JobKind, JobState, Plan

PLACEABLE_STATES = (JobState.OPEN, JobState.PLANNED)


def _set_planned(job: Job, staff_id: int, day, start, actor, plan: Plan, *, event=None) -> bool:
    """Give ``job`` its place; a JobEvent only when something changed."""
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
    job.save(
        update_fields=[
            "assignee",
            "planned_day",
            "planned_start",
            "state",
            "version",
            "updated_at",
        ]
    )
    JobEvent.objects.create(
        job=job,
        kind=event or JobEvent.Kind.PLANNED,
        actor=actor,
        data={
            "plan": plan.pk,
            "staff": staff_id,
            "day": day.isoformat(),
            "start": start.isoformat(),
        },
    )
    return True


def _set_unplanned(job: Job, actor, plan: Plan) -> None:
    """Back to waiting for a route; a booking keeps its assignee as its reservation."""
    job.state = JobState.OPEN
    job.planned_start = None
    if job.kind != JobKind.BOOKING:
        job.assignee = None
        job.planned_day = None
    job.version += 1
    job.save(
        update_fields=["state", "planned_start", "assignee", "planned_day", "version", "updated_at"]
    )
    JobEvent.objects.create(
        job=job, kind=JobEvent.Kind.UNPLANNED, actor=actor, data={"plan": plan.pk}
    )
