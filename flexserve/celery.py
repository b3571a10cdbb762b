"""Celery application. Production: Redis broker, a worker and beat. Embedded: tasks run eagerly.

Losing work to a dead worker or broker is covered twice: tasks are acknowledged late and handed
back when their pool process dies (CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST), and
all work is a committed row first, which beat's sweepers enqueue again (outbox, plans, imports).
"""

import os

from celery import Celery
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexserve.settings")

app = Celery("flexserve")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _survive_broker_loss() -> None:
    """Celery 5.7 closes a broker connection it already collected when Redis goes away; the
    channel then hands unacknowledged messages back through a transport with no client, and the
    AttributeError stops the worker for good. Redis keeps those messages in its unacked set
    (they return after the visibility timeout), so the hand-back is skipped instead."""
    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "flexserve_guard", False):
        return

    def restore_unacked(self, client=None):
        if client is None and getattr(self.channel.connection, "client", None) is None:
            return None
        return original(self, client)

    restore_unacked.flexserve_guard = True
    kombu_redis.QoS.restore_unacked = restore_unacked


_survive_broker_loss()
