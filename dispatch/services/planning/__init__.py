"""Optimised plans (派单): build, run, publish, and move jobs by hand.

    plan = start_plan(dispatcher, first_day=monday, last_day=friday)   # queued; runs in background
    run_plan(plan.pk)                      # the task body: roster × jobs → engine → Route/Stop rows
    publish_plan(dispatcher, plan.pk)      # its routes become the working plan of those days
    move_job(dispatcher, plan.pk, job.pk, staff_id=7, day=tuesday, position=2)

The city is split into independent components (staff ↔ grid, linked when a staff member serves
a job's shop); each is solved alone with its share of the time, a large one cut into areas of
neighbouring staff first (areas.py). docs/dispatch.md explains the encodings, the states and
what publishing does.

    start.py    start_plan, the sweeper plans_requeue     run.py    components, solving, storing
    publish.py  publish_plan, published_plan_for         moves.py  move_job
    placement.py  a job onto / off the working plan (PLACEABLE_STATES)
    areas.py    split_component: a city-sized component into areas
"""

from dispatch.services.planning.moves import MANUAL_REASON, move_job
from dispatch.services.planning.placement import PLACEABLE_STATES
from dispatch.services.planning.publish import publish_plan, published_plan_for
from dispatch.services.planning.run import Component, run_plan, territory_tags
from dispatch.services.planning.start import MAX_PERIOD_DAYS, plans_requeue, start_plan

__all__ = [
    "MANUAL_REASON",
    "MAX_PERIOD_DAYS",
    "PLACEABLE_STATES",
    "Component",
    "move_job",
    "plans_requeue",
    "publish_plan",
    "published_plan_for",
    "run_plan",
    "start_plan",
    "territory_tags",
]
