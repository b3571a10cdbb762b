"""Celery application. Production: Redis broker, a worker and beat. Embedded: tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexserve.settings")

app = Celery("flexserve")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
