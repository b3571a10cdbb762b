"""Enqueue background work after the current transaction commits.

Work is always a committed row first (an import job, later an outbox message) and the task only
carries its id. If the broker is down when the transaction commits, the row stays queued and a
periodic sweeper enqueues it again; tasks claim their row with a conditional update, so a task
delivered twice runs once.

Production hands the task to Celery (Redis broker). The embedded mode has no broker: the same
task body runs in-process, either in a thread (so a page can poll the progress of a long import)
or synchronously (tests, management commands). Nothing is enqueued for a transaction that rolls
back, and nothing runs before the data it needs is committed.
"""

import logging
import threading

from celery import Task
from django.conf import settings
from django.db import close_old_connections, transaction


def enqueue(task: Task, *args: object) -> None:
    """Run ``task(*args)`` once the surrounding transaction has committed."""
    transaction.on_commit(lambda: _dispatch(task, args))


logger = logging.getLogger(__name__)


def _dispatch(task: Task, args: tuple[object, ...]) -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            task.delay(*args)
        except Exception:
            # The work is committed (a queued row); a beat task re-enqueues what is still queued,
            # so the request that acknowledged it never fails and nothing is lost.
            logger.exception(
                "Could not enqueue %s%s; it stays queued for the sweeper", task.name, args
            )
    elif settings.FLEXSERVE_INPROCESS_TASKS == "thread":
        threading.Thread(target=_run_in_thread, args=(task, args), daemon=True).start()
    else:
        task.apply(args=args, throw=True)


def _run_in_thread(task: Task, args: tuple[object, ...]) -> None:
    try:
        task.apply(args=args)
    finally:
        close_old_connections()
