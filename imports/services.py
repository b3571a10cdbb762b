"""Import jobs: accept a file, then check it whole and write it whole — or write nothing.

``import_job_create`` (page, API) checks the caller's permission and the file's type and size,
stores the file and enqueues ``import_job_run``. ``import_job_run`` (Celery task, management
commands, benchmark) works in two phases:

1. validating: every row is checked by the owning app (``customers.importers`` for shops,
   ``commerce.importers`` for orders); any error rejects the file and nothing is written;
2. importing: all rows are written inside ONE ``transaction.atomic``.

Progress goes to the cache (``progress_key``), never to the job row while the write transaction
is open: SQLite has one writer, and a page polling the progress must not wait for it. The job
row's status is written between the phases, outside the big transaction.
"""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from commerce import importers as order_importers
from customers import importers as shop_importers
from customers.importers import RowError
from flexserve import background, policy
from flexserve.policy import Perm
from imports import readers, tasks
from imports.errors import EmptyFile, FileTooLarge, UnknownImportKind, UnsupportedFileType
from imports.models import ImportJob

logger = logging.getLogger(__name__)

MAX_STORED_ERRORS = 1000  # a file wrong in every row keeps the first thousand messages
PROGRESS_TTL_S = 24 * 3600
# The bar: checking takes the first 40 %, writing the other 60 %.
_CHECK_SHARE = 40

OnProgress = Callable[[str, int, int], None]  # (status, rows done in this phase, rows in it)


def _perm_for(kind: str) -> Perm:
    return Perm.ORDER_IMPORT if kind == ImportJob.Kind.ORDERS else Perm.SHOP_IMPORT


def progress_key(job_id: int) -> str:
    """The cache key of a job's live progress."""
    return f"imports:job:{job_id}:progress"


def overall_percent(status: str, done: int, total: int) -> int:
    """0–100 over both phases, for one progress bar."""
    if status == ImportJob.Status.SUCCEEDED:
        return 100
    share = done / total if total else 0.0
    if status == ImportJob.Status.VALIDATING:
        return int(_CHECK_SHARE * share)
    if status == ImportJob.Status.IMPORTING:
        return int(_CHECK_SHARE + (100 - _CHECK_SHARE) * share)
    return 0


def _check_upload(filename: str, size: int | None) -> str:
    extension = Path(filename or "").suffix.lower()
    if extension not in readers.EXTENSIONS:
        raise UnsupportedFileType()
    if not size:
        raise EmptyFile()
    if size > settings.IMPORT_MAX_BYTES:
        raise FileTooLarge(limit_mb=settings.IMPORT_MAX_BYTES // (1024 * 1024))
    return extension


@transaction.atomic
def import_job_create(*, actor: User, kind: str, upload: Any) -> ImportJob:
    """Store an uploaded shop or order file and queue its import (a Django UploadedFile)."""
    policy.require(actor, _perm_for(kind))
    if kind not in ImportJob.Kind.values:
        raise UnknownImportKind()
    extension = _check_upload(upload.name, upload.size)
    job = _job_for(kind=kind, file=upload, filename=upload.name, extension=extension, actor=actor)
    background.enqueue(tasks.import_job_run_task, job.pk)
    return job


def _job_for(*, kind: str, file: Any, filename: str, extension: str, actor: User | None):
    job = ImportJob(
        kind=kind,
        original_name=Path(filename).name[-200:],
        created_by=actor,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    # Stored under a random name: the original may hold any characters, and names repeat.
    job.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
    job.save()
    cache.set(progress_key(job.pk), _progress_body(job.status, 0, 0), PROGRESS_TTL_S)
    return job


def import_file_run(
    *,
    kind: str,
    path: str | Path,
    language: str | None = None,
    on_progress: OnProgress | None = None,
) -> ImportJob:
    """Import a file from disk now, in this process (management commands, benchmarks).

    Whoever can run manage.py is trusted: there is no actor and no permission check. The file
    is copied into the job's storage like an upload, so the page lists it with the others.
    """
    if kind not in ImportJob.Kind.values:
        raise UnknownImportKind()
    path = Path(path)
    extension = _check_upload(path.name, path.stat().st_size)
    with translation.override(language or settings.LANGUAGE_CODE), path.open("rb") as fh:
        job = _job_for(
            kind=kind, file=File(fh), filename=path.name, extension=extension, actor=None
        )
    return import_job_run(job_id=job.pk, on_progress=on_progress)


@dataclass
class _Outcome:
    status: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] | None = None


REQUEUE_AFTER_S = 60


def import_jobs_requeue(*, older_than_s: int = REQUEUE_AFTER_S) -> int:
    """Enqueue every job still queued ``older_than_s`` after its upload; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    waiting = list(
        ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    for job_id in waiting:
        background.enqueue(tasks.import_job_run_task, job_id)
    return len(waiting)


def import_job_run(*, job_id: int, on_progress: OnProgress | None = None) -> ImportJob:
    """Check, then write, one queued job; safe to call twice (the second call does nothing)."""
    # Claim the job with a conditional update: a redelivered task finds it no longer queued.
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.VALIDATING, started_at=timezone.now()
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    with translation.override(job.language):
        try:
            outcome = _run(job, on_progress)
        except Exception:  # the job must end, whatever broke; logged in full
            logger.exception("Import job %s failed", job_id)
            message = _("The import stopped on an unexpected error; nothing was imported.")
            outcome = _Outcome(ImportJob.Status.FAILED, errors=[RowError(None, "", message)])
    return _finish(job, outcome)


def _reporter(job: ImportJob, on_progress: OnProgress | None) -> Callable[[str], Callable]:
    def for_status(status: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            cache.set(progress_key(job.pk), _progress_body(status, done, total), PROGRESS_TTL_S)
            if on_progress is not None:
                on_progress(status, done, total)

        return report

    return for_status


def _progress_body(status: str, done: int, total: int) -> dict[str, Any]:
    return {
        "status": status,
        "done": done,
        "total": total,
        "percent": overall_percent(status, done, total),
        "at": time.time(),
    }


def _run(job: ImportJob, on_progress: OnProgress | None) -> _Outcome:
    report = _reporter(job, on_progress)
    shops = job.kind == ImportJob.Kind.SHOPS
    with job.file.open("rb") as fh:
        try:
            table = readers.open_table(fh, job.original_name)
            checker = shop_importers.shop_rows_check if shops else order_importers.order_rows_check
            check = checker(
                table.headers,
                table.rows,
                progress=report(ImportJob.Status.VALIDATING),
                total_hint=table.row_count_hint or 0,
            )
        except readers.UnreadableFile as exc:
            return _Outcome(ImportJob.Status.FAILED, errors=[RowError(None, "", _unreadable(exc))])
    if check.errors:
        return _Outcome(ImportJob.Status.FAILED, check.row_count, errors=check.errors)
    if check.row_count == 0:
        message = _("The file has a header but no data rows.")
        return _Outcome(ImportJob.Status.FAILED, errors=[RowError(None, "", message)])
    # Between the phases, outside the write transaction: the page shows "importing".
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.IMPORTING, total_rows=check.row_count
    )
    writing = report(ImportJob.Status.IMPORTING)
    writing(0, check.row_count)
    with transaction.atomic():
        if shops:
            result = shop_importers.shop_rows_write(check, actor=job.created_by, progress=writing)
            created, updated = result.created, result.updated
        else:
            result = order_importers.order_rows_write(check, progress=writing)
            created, updated = result.orders, 0
        # One entry for the whole file: the job keeps the file and its counts.
        audit_record(
            actor=job.created_by,
            action=f"import.{job.kind}",
            target=job,
            changes={"created": [0, created], "updated": [0, updated]},
            note=job.original_name,
        )
    return _Outcome(ImportJob.Status.SUCCEEDED, check.row_count, created, updated)


def _unreadable(exc: readers.UnreadableFile) -> str:
    messages = {
        "encoding": _("The file's text could not be read: save it as CSV UTF-8 or as XLSX."),
        "format": _("The file is not a readable CSV or XLSX table."),
        "no_header": _("The file has no header row."),
        "extension": _("Upload a .csv or .xlsx file."),
    }
    return messages.get(exc.reason, messages["format"])


def _finish(job: ImportJob, outcome: _Outcome) -> ImportJob:
    errors = outcome.errors or []
    job.status = outcome.status
    job.finished_at = timezone.now()
    job.total_rows = outcome.total_rows
    job.processed_rows = outcome.total_rows  # checked (rejected file) or written (imported)
    job.created_count, job.updated_count = outcome.created, outcome.updated
    job.error_count = len(errors)
    job.errors = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    job.save(
        update_fields=[
            "status",
            "finished_at",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "error_count",
            "errors",
        ]
    )
    cache.set(
        progress_key(job.pk),
        _progress_body(job.status, job.processed_rows, job.total_rows),
        PROGRESS_TTL_S,
    )
    return job
