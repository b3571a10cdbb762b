"""The embedded mode's stand-in for Celery beat: a daemon thread in the development server.

Production runs the same periodic tasks from ``CELERY_BEAT_SCHEDULE``. The embedded server
(``make run``) has no beat, so escalation rules and the outbox sweeper run here every minute.
Both are idempotent, so a beat and this loop running at once would still act once.
``manage.py run_scheduler`` runs the same loop in the foreground.
"""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 60
# Periodic work of the apps above this one (they register in their AppConfig.ready): the loop
# runs it without servicedesk importing them. Each must be idempotent, as beat runs it too.
_REGISTERED: dict[str, Callable[[], int]] = {}


def register(name: str, work: Callable[[], int]) -> None:
    _REGISTERED[name] = work


def run_periodic_once() -> dict[str, int]:
    from servicedesk import escalation, outbox

    result = escalation.escalations_run()
    counts = {"escalations": result.fired, "breaches": result.breaches, "sent": outbox.sweep()}
    for name, work in _REGISTERED.items():
        try:
            counts[name] = work()
        except Exception:  # one app's failure does not stop the others' work
            logger.exception("Periodic work %s failed", name)
    return counts


def loop(interval: float = INTERVAL_SECONDS, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            run_periodic_once()
        except Exception:  # keep the loop alive; the next round retries
            logger.exception("Periodic service-request work failed")
        finally:
            close_old_connections()
        stop.wait(interval)


def start_if_embedded_server() -> None:
    """Start the loop in the serving process of ``runserver`` in the embedded mode only."""
    if settings.PRODUCTION or not settings.CELERY_TASK_ALWAYS_EAGER:
        return
    if len(sys.argv) < 2 or sys.argv[1] != "runserver":
        return
    # With the autoreloader, only the child (RUN_MAIN) serves requests.
    if os.environ.get("RUN_MAIN") != "true" and "--noreload" not in sys.argv:
        return
    threading.Thread(target=_delayed_loop, name="flexserve-scheduler", daemon=True).start()


def _delayed_loop() -> None:
    time.sleep(5)  # let the server finish starting
    loop()
