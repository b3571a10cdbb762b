"""The managers' dashboards in the console (``dashboards/urls.py``, included under /console/).

- ``/console/dashboards/``: service figures of a period against the period before, as tiles that
  open the requests behind them, a chart of requests created and resolved per day;
- ``/console/dashboards/staff/``: staff ranked by what they resolved, how fast, how often in
  time, and their CSAT;
- ``/console/dashboards/requests/?metric=…``: the requests behind one tile, 50 a page.

Each page takes the same GET filters (``forms.DashboardFilterForm``) and ``?format=xlsx`` for a
download. Reading needs ``CONSOLE_USE`` and ``QUALITY_VIEW`` (the selectors check again); the
chart reads a ``json_script`` blob drawn by static/js/dashboards.js.
"""

from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dashboards import presenting, selectors
from dashboards.forms import DashboardFilterForm, filter_params
from flexserve import xlsx
from servicedesk.forms_console import type_label

REQUESTS_PER_PAGE = 50

# The tiles: figure, label, kind (how it is written and compared), which way is better, and
# the list of requests behind it with that link's label.
TILES = (
    ("created", gettext_lazy("Created"), "count", "", "created", gettext_lazy("The requests")),
    ("resolved", gettext_lazy("Resolved"), "count", "up", "resolved", gettext_lazy("The requests")),
    (
        "backlog_growth",
        gettext_lazy("Backlog growth (created − resolved)"),
        "signed",
        "down",
        "open_created",
        gettext_lazy("Created and still open"),
    ),
    (
        "response_median_h",
        gettext_lazy("First response, median"),
        "hours",
        "down",
        "responded",
        gettext_lazy("Answered, slowest first"),
    ),
    (
        "response_p90_h",
        gettext_lazy("First response, 90th percentile"),
        "hours",
        "down",
        "responded",
        gettext_lazy("Answered, slowest first"),
    ),
    (
        "resolution_median_h",
        gettext_lazy("Resolution, median"),
        "hours",
        "down",
        "resolved",
        gettext_lazy("Resolved, slowest first"),
    ),
    (
        "resolution_p90_h",
        gettext_lazy("Resolution, 90th percentile"),
        "hours",
        "down",
        "resolved",
        gettext_lazy("Resolved, slowest first"),
    ),
    (
        "response_sla",
        gettext_lazy("First response within target"),
        "share",
        "up",
        "responded_late",
        gettext_lazy("The late ones"),
    ),
    (
        "resolution_sla",
        gettext_lazy("Resolved within target"),
        "share",
        "up",
        "resolved_late",
        gettext_lazy("The late ones"),
    ),
    (
        "first_contact_rate",
        gettext_lazy("First-contact resolution rate"),
        "share",
        "up",
        "first_contact",
        gettext_lazy("The requests"),
    ),
    (
        "reopen_rate",
        gettext_lazy("Reopen rate"),
        "share",
        "down",
        "reopened",
        gettext_lazy("The requests"),
    ),
    (
        "reassign_rate",
        gettext_lazy("Reassign rate"),
        "share",
        "down",
        "reassigned",
        gettext_lazy("The requests"),
    ),
)
LIST_TITLES = {
    "created": gettext_lazy("Requests created"),
    "open_created": gettext_lazy("Requests created and still open"),
    "resolved": gettext_lazy("Requests resolved"),
    "resolved_late": gettext_lazy("Requests resolved late"),
    "responded": gettext_lazy("Requests answered for the first time"),
    "responded_late": gettext_lazy("Requests answered late"),
    "first_contact": gettext_lazy("Requests resolved at first contact"),
    "reopened": gettext_lazy("Resolved requests that had been reopened"),
    "reassigned": gettext_lazy("Resolved requests that had been handed over"),
    "untouched": gettext_lazy("Open requests untouched for 5 days"),
}
STAFF_SORT_LABELS = {
    "resolved": gettext_lazy("Resolved"),
    "median": gettext_lazy("Median resolution time"),
    "sla": gettext_lazy("Within target"),
    "csat": gettext_lazy("CSAT"),
}


def _tiles(board: selectors.ServiceDashboard) -> list[dict[str, Any]]:
    base = reverse("console:dashboards_requests")
    return [
        presenting.tile(
            key=key,
            label=label,
            kind=kind,
            better=better,
            now=getattr(board.current, key),
            before=getattr(board.previous, key),
            link=f"{base}?{presenting.query(board.filters, metric=metric)}",
            link_label=link_label,
        )
        for key, label, kind, better, metric, link_label in TILES
    ]


def _chart_data(board: selectors.ServiceDashboard) -> dict[str, Any]:
    return {
        "labels": {"created": _("Created"), "resolved": _("Resolved")},
        "days": [point.day.isoformat() for point in board.series],
        "created": [point.created for point in board.series],
        "resolved": [point.resolved for point in board.series],
    }


def _service_xlsx(board: selectors.ServiceDashboard) -> HttpResponse:
    units = {"share": "%", "hours": _("hours"), "count": "", "signed": ""}
    figures = [
        (
            str(label),
            units[kind],
            presenting.export_number(getattr(board.current, key), kind),
            presenting.export_number(getattr(board.previous, key), kind),
        )
        for key, label, kind, *_rest in TILES
    ]
    figures.append((str(LIST_TITLES["untouched"]), "", board.untouched, None))
    headers = [
        _("Figure"),
        _("Unit"),
        _("This period (%(period)s)") % {"period": presenting.period_text(board.filters)},
        _("Previous period (%(period)s)")
        % {"period": presenting.period_text(board.filters.previous())},
    ]
    days = [(p.day, p.created, p.resolved) for p in board.series]
    as_of = timezone.localtime(board.refreshed_at) if board.refreshed_at else None
    about = [
        (_("Figures as of"), as_of.strftime("%Y-%m-%d %H:%M") if as_of else "–"),
        (_("Period"), presenting.period_text(board.filters)),
        *[(key, value) for key, value in filter_params(board.filters).items()],
    ]
    f = board.filters
    return xlsx.xlsx_response(
        [
            (_("Figures"), headers, figures),
            (_("By day"), [_("Day"), _("Created"), _("Resolved")], days),
            (_("About"), [_("Item"), _("Value")], about),
        ],
        filename=f"service-dashboard-{f.since:%Y%m%d}-{f.until:%Y%m%d}.xlsx",
    )


# --- Pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def service_dashboard(request: HttpRequest) -> HttpResponse:
    """The service figures of the period against the period before; tiles open their lists."""
    user = presenting.viewer(request)
    form = DashboardFilterForm(request.GET, user=user)
    board = selectors.service_dashboard(user=user, filters=form.filters())
    if request.GET.get("format") == "xlsx":
        return _service_xlsx(board)
    context = {
        "form": form,
        "board": board,
        "tiles": _tiles(board),
        "previous_filters": board.filters.previous(),
        "chart_data": _chart_data(board),
        "untouched_link": reverse("console:dashboards_requests")
        + "?"
        + presenting.query(board.filters, metric="untouched"),
        "query": presenting.query(board.filters),
        "keep": [],
        "stamp": presenting.stamp(board.refreshed_at),
        "tabs": presenting.tabs("dashboards", board.filters),
        "untouched_days": selectors.UNTOUCHED_AFTER.days,
    }
    return render(request, "dashboards/service.html", context)


def _staff_xlsx(board: selectors.StaffDashboard) -> HttpResponse:
    headers = [
        _("Rank"),
        _("Staff member"),
        _("Resolved"),
        _("Median resolution time (hours)"),
        _("Resolved within target (%)"),
        _("CSAT (%)"),
        _("Ratings"),
    ]
    rows = [
        (
            row.rank,
            row.name,
            row.resolved,
            presenting.export_number(row.resolution_median_h, "hours"),
            presenting.export_number(row.resolution_sla, "share"),
            presenting.export_number(row.csat_shown, "share"),
            row.csat["rated"] if row.csat else 0,
        )
        for row in board.rows
    ]
    f = board.filters
    return xlsx.xlsx_response(
        [(_("Staff"), headers, rows)],
        filename=f"staff-dashboard-{f.since:%Y%m%d}-{f.until:%Y%m%d}.xlsx",
    )


@login_required
@require_GET
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    """Staff ranked by requests resolved (or by speed, SLA attainment, CSAT) in the period."""
    user = presenting.viewer(request)
    form = DashboardFilterForm(request.GET, user=user)
    sort = request.GET.get("sort") or "resolved"
    if sort not in selectors.STAFF_SORTS:
        sort = "resolved"
    board = selectors.staff_dashboard(user=user, filters=form.filters(), sort=sort)
    if request.GET.get("format") == "xlsx":
        return _staff_xlsx(board)
    query = presenting.query(board.filters)
    requests_url = reverse("console:dashboards_requests")
    context = {
        "form": form,
        "board": board,
        "rows": [
            {
                "row": row,
                "median": presenting.value_text(row.resolution_median_h, "hours"),
                "sla": presenting.value_text(row.resolution_sla, "share"),
                "csat": presenting.value_text(row.csat_shown, "share"),
                "rated": row.csat["rated"] if row.csat else 0,
                "resolved_link": f"{requests_url}?"
                + presenting.query(
                    replace(board.filters, assignee_id=row.assignee_id), metric="resolved"
                ),
            }
            for row in board.rows
        ],
        "sorts": [
            {"key": key, "label": label, "query": f"{query}&sort={key}", "current": key == sort}
            for key, label in STAFF_SORT_LABELS.items()
        ],
        "query": query,
        "sort": sort,
        "keep": [("sort", sort)],
        "stamp": presenting.stamp(board.refreshed_at),
        "tabs": presenting.tabs("dashboards_staff", board.filters),
    }
    return render(request, "dashboards/staff.html", context)


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    """The requests behind one tile, in the same scope and filters, 50 a page."""
    context = presenting.list_page(
        request,
        param="metric",
        titles={metric: LIST_TITLES[metric] for metric in selectors.LIST_METRICS},
        read=lambda user, filters, metric: selectors.request_list(
            user=user, filters=filters, metric=metric
        ),
        per_page=REQUESTS_PER_PAGE,
    )
    page = context["page"]
    context["rows"] = [{"request": r, "type_label": type_label(r.request_type)} for r in page]
    context["untouched"] = context["metric"] == "untouched"
    return render(request, "dashboards/requests.html", context)
