"""/api/imports: upload a shop or order file and follow its import (administrators only)."""

from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from flexserve.schemas import PageNumberPagination
from imports import selectors, services
from imports.models import ImportJob

router = Router()


class ImportErrorOut(Schema):
    row: int | None
    column: str
    message: str


class ImportJobOut(Schema):
    id: int
    kind: str
    status: str
    original_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    error_count: int
    errors: list[ImportErrorOut]

    @staticmethod
    def resolve_processed_rows(obj: ImportJob) -> int:
        return selectors.job_progress(obj)["done"]

    @staticmethod
    def resolve_total_rows(obj: ImportJob) -> int:
        return selectors.job_progress(obj)["total"]

    @staticmethod
    def resolve_percent(obj: ImportJob) -> int:
        return selectors.job_progress(obj)["percent"]

    @staticmethod
    def resolve_status(obj: ImportJob) -> str:
        return selectors.job_progress(obj)["status"]


@router.post(
    "/jobs",
    response={201: ImportJobOut},
    summary="Upload a CSV or XLSX file of shops or orders; it is imported whole or not at all",
)
def create_job(request, kind: Form[str], file: File[UploadedFile]):
    job = services.import_job_create(actor=request.user, kind=kind, upload=file)
    return Status(201, selectors.job_get(user=request.user, job_id=job.pk))


@router.get("/jobs", response=list[ImportJobOut], summary="Recent import jobs")
@paginate(PageNumberPagination, page_size=20)
def list_jobs(request):
    return selectors.job_list(user=request.user)


@router.get(
    "/jobs/{job_id}", response=ImportJobOut, summary="Status, progress and errors of one job"
)
def get_job(request, job_id: int):
    return selectors.job_get(user=request.user, job_id=job_id)
