"""An upload acknowledged while the broker is down is not lost: the sweeper enqueues it later."""

import datetime

from django.utils import timezone
from kombu.exceptions import OperationalError

from customers.models import Shop
from imports import services, tasks
from imports.models import ImportJob
from imports.tests.files import SHOP_HEADERS_EN, csv_bytes, shop_row


def test_an_upload_during_a_broker_outage_is_acknowledged_and_runs_later(
    upload, admin_user, grid, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # production: tasks go through the broker

    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.import_job_run_task, "delay", broker_down)
    response = upload(admin_user, "shops.csv", csv_bytes(SHOP_HEADERS_EN, [shop_row(grid.code)]))
    assert response.status_code < 300  # acknowledged: the job is committed
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.QUEUED and not Shop.objects.exists()

    # The broker is back; the beat sweeper finds the job still queued and enqueues it again.
    monkeypatch.undo()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_jobs_requeue() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and Shop.objects.count() == 1
    # A second sweep finds nothing to do.
    assert services.import_jobs_requeue() == 0


def test_the_sweeper_leaves_fresh_uploads_to_their_own_task(admin_user):
    ImportJob.objects.create(kind="shops", created_by=admin_user, original_name="new.csv")
    assert services.import_jobs_requeue() == 0
