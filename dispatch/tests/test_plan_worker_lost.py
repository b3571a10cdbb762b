"""A worker killed mid-optimisation: the plan is run again, not left RUNNING until it is failed.

Needs PostgreSQL (a run's liveness is an advisory lock held by its connection):
DATABASE_URL=postgres://… pytest dispatch/tests/test_plan_worker_lost.py
"""

import datetime

import psycopg
import pytest
from django.db import connection

from dispatch import tasks
from dispatch.models import Plan

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's"),
]

MONDAY = datetime.date(2030, 6, 3)


@pytest.fixture
def orphan(db):
    """What a worker killed by SIGKILL leaves: a plan claimed (RUNNING) that nobody runs."""
    return Plan.objects.create(
        state=Plan.State.RUNNING, first_day=MONDAY, last_day=MONDAY, seconds=1, progress=40
    )


@pytest.fixture
def other_worker():
    """A second connection, as another live worker's would be."""
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
    ) as other:
        yield other


def test_the_task_redelivered_after_a_crash_runs_the_plan_again(orphan):
    tasks.run_plan_task(orphan.pk)  # acks_late + reject_on_worker_lost deliver it again
    orphan.refresh_from_db()
    assert orphan.state == Plan.State.READY, orphan.message


def test_the_sweeper_queues_a_plan_whose_worker_died(orphan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the whole worker died: no redelivery
        tasks.requeue_waiting_plans_task()
    orphan.refresh_from_db()
    assert orphan.state == Plan.State.READY, orphan.message


def test_a_plan_a_live_worker_optimises_is_left_alone(
    orphan, other_worker, django_capture_on_commit_callbacks
):
    key = [tasks.LOCK_NAMESPACE, tasks.lock_key(orphan.pk)]
    other_worker.execute("SELECT pg_advisory_lock(%s, %s)", key)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_plan_task(orphan.pk)
        tasks.requeue_waiting_plans_task()
    orphan.refresh_from_db()
    assert (orphan.state, orphan.progress) == (Plan.State.RUNNING, 40)
