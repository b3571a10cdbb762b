"""Pages: upload a shop or order file, follow its import, and download exports.

The import pages are for administrators (Perm.SHOP_IMPORT); exports for staff with
Perm.SHOP_EXPORT / Perm.ORDER_EXPORT, scoped to what they may see.
"""

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from commerce.importers import ORDER_COLUMNS
from commerce.selectors import OrderFilters
from customers.importers import SHOP_COLUMNS
from customers.selectors import ShopFilters
from flexserve import policy
from flexserve.errors import AppError
from flexserve.policy import Perm
from imports import exporters, selectors, services
from imports.models import ImportJob

RECENT_JOBS = 20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


def _columns() -> list[dict[str, object]]:
    return [
        {"kind": kind, "columns": columns}
        for kind, columns in ((_("Shops"), SHOP_COLUMNS), (_("Orders"), ORDER_COLUMNS))
    ]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The upload form and the latest jobs."""
    policy.require(request.user, Perm.SHOP_IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = services.import_job_create(
                    actor=request.user, kind=form.cleaned_data["kind"], upload=request.FILES["file"]
                )
            except AppError as exc:
                form.add_error("file", exc.render_message())
            else:
                return redirect("imports:job_detail", job_id=job.pk)
        status = 422
    jobs = selectors.job_list(user=request.user)[:RECENT_JOBS]
    context = {
        "form": form,
        "jobs": [(job, selectors.job_progress(job)) for job in jobs],
        "column_sets": _columns(),
        "can_export_shops": policy.has_perm(request.user, Perm.SHOP_EXPORT),
        "can_export_orders": policy.has_perm(request.user, Perm.ORDER_EXPORT),
    }
    return render(request, "imports/index.html", context, status=status)


def _job_context(request: HttpRequest, job_id: int) -> dict[str, object]:
    job = selectors.job_get(user=request.user, job_id=job_id)
    return {"job": job, "progress": selectors.job_progress(job)}


@login_required
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job: what was uploaded, its progress, and its errors when rejected."""
    return render(request, "imports/job_detail.html", _job_context(request, job_id))


@login_required
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress partial htmx polls every second while the job runs."""
    return render(request, "imports/_job_progress.html", _job_context(request, job_id))


def _download_name(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{extension}"


def _respond(headers, rows, *, fmt: str, stem: str) -> HttpResponse:
    if fmt == "xlsx":
        return FileResponse(
            exporters.xlsx_file(headers, rows, title=stem),
            as_attachment=True,
            filename=_download_name(stem, "xlsx"),
            content_type=exporters.XLSX_CONTENT_TYPE,
        )
    response = StreamingHttpResponse(
        exporters.csv_chunks(headers, rows), content_type=exporters.CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{_download_name(stem, "csv")}"'
    return response


@login_required
@require_GET
def export_shops(request: HttpRequest, fmt: str) -> HttpResponse:
    """The shop list (same filters as the console's list) as CSV or XLSX."""
    headers, rows = selectors.shop_export_rows(
        user=request.user,
        filters=ShopFilters.from_mapping(request.GET),
        language=translation.get_language() or "zh-hans",
    )
    return _respond(headers, rows, fmt=fmt, stem="shops")


@login_required
@require_GET
def export_orders(request: HttpRequest, fmt: str) -> HttpResponse:
    """Order lines as CSV or XLSX: the shop-list filters pick the shops (``status`` is the
    shop's), ``date_from`` / ``date_to`` / ``order_status`` pick the orders."""
    headers, rows = selectors.order_export_rows(
        user=request.user,
        shop_filters=ShopFilters.from_mapping(request.GET),
        order_filters=OrderFilters(
            date_from=_date(request.GET.get("date_from")),
            date_to=_date(request.GET.get("date_to")),
            status=request.GET.get("order_status") or "",
        ),
        language=translation.get_language() or "zh-hans",
    )
    return _respond(headers, rows, fmt=fmt, stem="orders")


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None
