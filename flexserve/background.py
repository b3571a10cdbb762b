"""Enqueue background work after the current transaction commits.

Production hands the task to Celery (Redis broker). The embedded mode has no broker: the same
task body runs in-process, either in a thread (so a page can poll the progress of a long import)
or synchronously (tests, management commands). Nothing is enqueued for a transaction that rolls
back, and nothing runs before the data it needs is committed.
"""

import threading

from celery import Task
from django.conf import settings
from django.db import close_old_connections, transaction


def enqueue(task: Task, *args: object) -> None:
    """Run ``task(*args)`` once the surrounding transaction has committed."""
    transaction.on_commit(lambda: _dispatch(task, args))


def _dispatch(task: Task, args: tuple[object, ...]) -> None:
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.delay(*args)
    elif settings.FLEXSERVE_INPROCESS_TASKS == "thread":
        threading.Thread(target=_run_in_thread, args=(task, args), daemon=True).start()
    else:
        task.apply(args=args, throw=True)


def _run_in_thread(task: Task, args: tuple[object, ...]) -> None:
    try:
        task.apply(args=args)
    finally:
        close_old_connections()
