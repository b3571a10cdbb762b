"""The satisfaction dashboard (``/console/dashboards/satisfaction/``) and the ratings behind its
tiles (``…/satisfaction/ratings/?which=…``), with ``?format=xlsx`` for a download.

CSAT after contacts and NPS from surveys, this period against the one before, per week, by class
and by source, and the latest comments of low ratings; read live by ``dashboards.satisfaction``.
Reading needs ``CONSOLE_USE`` and ``QUALITY_VIEW`` (the selectors check again); the charts read a
``json_script`` blob drawn by static/js/dashboards_satisfaction.js.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from customers.models import Segment
from dashboards import presenting, satisfaction
from dashboards.forms import DashboardFilterForm, filter_params
from dashboards.satisfaction import SatisfactionDashboard, SatisfactionFigures
from flexserve import xlsx
from quality.models import MIN_GROUP, CsatRating

RATINGS_PER_PAGE = 50
EXPORTED_COMMENTS = 500  # the download's comments sheet: the latest this many

Figure = Callable[[SatisfactionFigures], float | int | None]

# The tiles: key, label, kind, which way is better, the figure, and the list behind it (a
# ratings list ``which``, or None for the survey waves) with that link's label.
TILES: tuple[tuple[str, Any, str, str, Figure, str | None, Any], ...] = (
    (
        "csat",
        gettext_lazy("CSAT (rated 4–5)"),
        "share",
        "up",
        lambda f: f.csat.csat,
        "rated",
        gettext_lazy("The ratings"),
    ),
    (
        "rated",
        gettext_lazy("Ratings given"),
        "count",
        "up",
        lambda f: f.csat.rated,
        "rated",
        gettext_lazy("The ratings"),
    ),
    (
        "csat_response_rate",
        gettext_lazy("CSAT response rate"),
        "share",
        "up",
        lambda f: f.csat.response_rate,
        "unrated",
        gettext_lazy("Invited, not rated"),
    ),
    (
        "low",
        gettext_lazy("Low ratings (1–3)"),
        "count",
        "down",
        lambda f: f.csat.low,
        "low",
        gettext_lazy("The low ratings"),
    ),
    (
        "nps",
        gettext_lazy("NPS"),
        "points",
        "up",
        lambda f: f.nps.nps,
        None,
        gettext_lazy("The surveys"),
    ),
    (
        "nps_answers",
        gettext_lazy("NPS answers"),
        "count",
        "up",
        lambda f: f.nps.answers,
        None,
        gettext_lazy("The surveys"),
    ),
    (
        "nps_response_rate",
        gettext_lazy("NPS response rate"),
        "share",
        "up",
        lambda f: f.nps.response_rate,
        None,
        gettext_lazy("The surveys"),
    ),
)
SOURCE_LABELS = {
    CsatRating.Source.REQUEST: gettext_lazy("After a service request"),
    CsatRating.Source.VISIT: gettext_lazy("After a visit"),
}
LIST_TITLES = {
    "rated": gettext_lazy("Ratings given"),
    "low": gettext_lazy("Low ratings (1–3)"),
    "unrated": gettext_lazy("Invited, not rated"),
    "comments": gettext_lazy("Comments of low ratings (1–3)"),
}


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _points(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _tiles(board: SatisfactionDashboard) -> list[dict[str, Any]]:
    ratings_url = reverse("console:dashboards_ratings")
    waves_url = reverse("console:quality")
    tiles = []
    for key, label, kind, better, figure, which, link_label in TILES:
        link = (
            f"{ratings_url}?{presenting.query(board.filters, which=which)}" if which else waves_url
        )
        tile = presenting.tile(
            key=key,
            label=label,
            kind=kind,
            better=better,
            now=figure(board.current),
            before=figure(board.previous),
            link=link,
            link_label=link_label,
        )
        tile["note"] = _tile_note(key, board.current)
        tiles.append(tile)
    return tiles


def _tile_note(key: str, figures: SatisfactionFigures) -> str:
    """The small line under a tile's value: the interval, or why there is no figure."""
    if key == "csat":
        if figures.csat.interval is None:
            return _("Fewer than %(min)s ratings: not shown") % {"min": MIN_GROUP}
        low, high = figures.csat.interval
        return _("95 %% interval %(low)s–%(high)s %%") % {
            "low": f"{100 * low:.1f}",
            "high": f"{100 * high:.1f}",
        }
    if key == "nps" and figures.nps.nps is None:
        return _("Fewer than %(min)s answers: not shown") % {"min": MIN_GROUP}
    return ""


def _chart_data(board: SatisfactionDashboard) -> dict[str, Any]:
    """The weekly series for the charts: percentages and points, null where a week is hidden."""
    return {
        "labels": {
            "csat": _("CSAT (%)"),
            "rate": _("CSAT response rate (%)"),
            "nps": _("NPS"),
            "week": _("Week of %(day)s"),
        },
        "weeks": [week.monday.isoformat() for week in board.weeks],
        "csat": [_percent(week.csat.csat) for week in board.weeks],
        "rate": [_percent(week.response_rate) for week in board.weeks],
        "nps": [_points(week.nps.nps) for week in board.weeks],
    }


def _week_rows(board: SatisfactionDashboard) -> list[dict[str, Any]]:
    return [
        {
            "week": week,
            "csat": presenting.value_text(week.csat.csat, "share"),
            "rate": presenting.value_text(week.response_rate, "share"),
            "nps": presenting.value_text(week.nps.nps, "points"),
        }
        for week in board.weeks
    ]


def _group_rows(rows: list[satisfaction.GroupRow], labels: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": row.key,
            "label": labels.get(row.key, row.key),
            "invited": row.current.invited,
            "rated": row.current.rated,
            "csat": presenting.value_text(row.current.csat, "share"),
            "shown": row.current.shown,
            "rate": presenting.value_text(row.current.response_rate, "share"),
            "previous": presenting.value_text(row.previous.csat, "share"),
            "change": presenting.change(row.current.csat, row.previous.csat, "share", "up"),
        }
        for row in rows
    ]


def _source_text(rating: CsatRating) -> str:
    if rating.request_id:
        return f"{rating.get_source_display()} {rating.request.number}"
    return rating.get_source_display()


# --- The download -----------------------------------------------------------------------------


def _satisfaction_xlsx(board: SatisfactionDashboard, comments: list[CsatRating]) -> HttpResponse:
    units = {"share": "%", "count": "", "points": _("points")}
    figures = [
        (
            str(label),
            units[kind],
            presenting.export_number(figure(board.current), kind),
            presenting.export_number(figure(board.previous), kind),
        )
        for key, label, kind, _better, figure, *_rest in TILES
    ]
    interval_now, interval_before = board.current.csat.interval, board.previous.csat.interval
    ends = (
        _("CSAT, %(level)s %% interval, lower end"),
        _("CSAT, %(level)s %% interval, upper end"),
    )
    for index, name in enumerate(ends):
        figures.append(
            (
                name % {"level": 95},
                "%",
                _percent(interval_now[index]) if interval_now else None,
                _percent(interval_before[index]) if interval_before else None,
            )
        )
    figures += [
        (_("Ratings invited"), "", board.current.csat.invited, board.previous.csat.invited),
        (_("NPS invitations"), "", board.current.nps.invited, board.previous.nps.invited),
    ]
    headers = [
        _("Figure"),
        _("Unit"),
        _("This period (%(period)s)") % {"period": presenting.period_text(board.filters)},
        _("Previous period (%(period)s)")
        % {"period": presenting.period_text(board.filters.previous())},
    ]
    weeks = [
        (
            w.monday,
            w.first_day,
            w.last_day,
            w.csat.invited,
            w.csat.rated,
            _percent(w.csat.csat),
            _percent(w.response_rate),
            w.nps.answers,
            _points(w.nps.nps),
        )
        for w in board.weeks
    ]
    week_headers = [
        _("Week (Monday)"),
        pgettext("date range", "From"),
        pgettext("date range", "To"),
        _("Ratings invited"),
        _("Ratings given"),
        _("CSAT (%)"),
        _("CSAT response rate (%)"),
        _("NPS answers"),
        _("NPS"),
    ]
    group_headers = [
        _("Ratings invited"),
        _("Ratings given"),
        _("CSAT (%)"),
        _("CSAT response rate (%)"),
        _("CSAT, previous period (%)"),
    ]

    def groups(rows: list[satisfaction.GroupRow], labels: dict[str, Any]) -> list[tuple]:
        return [
            (
                str(labels.get(row.key, row.key)),
                row.current.invited,
                row.current.rated,
                _percent(row.current.csat),
                _percent(row.current.response_rate),
                _percent(row.previous.csat),
            )
            for row in rows
        ]

    comment_rows = [
        (
            timezone.localtime(r.rated_at).strftime("%Y-%m-%d %H:%M") if r.rated_at else None,
            r.shop.name,
            _source_text(r),
            str(r.staff) if r.staff else None,
            r.score,
            r.get_reason_display(),
            r.comment,
        )
        for r in comments
    ]
    about = [
        (_("Live figures as of"), timezone.localtime(board.as_of).strftime("%Y-%m-%d %H:%M")),
        (_("Period"), presenting.period_text(board.filters)),
        *[(key, value) for key, value in filter_params(board.filters).items()],
    ]
    f = board.filters
    return xlsx.xlsx_response(
        [
            (_("Figures"), headers, figures),
            (_("By week"), week_headers, weeks),
            (
                _("By shop class"),
                [_("Shop class"), *group_headers],
                groups(board.by_segment, dict(Segment.choices)),
            ),
            (
                _("By source"),
                [_("Source"), *group_headers],
                groups(board.by_source, SOURCE_LABELS),
            ),
            (
                _("Comments"),
                [
                    _("Rated at"),
                    _("Shop"),
                    _("After"),
                    _("Staff member"),
                    _("Rating"),
                    _("Reason"),
                    _("Comment"),
                ],
                comment_rows,
            ),
            (_("About"), [_("Item"), _("Value")], about),
        ],
        filename=f"satisfaction-dashboard-{f.since:%Y%m%d}-{f.until:%Y%m%d}.xlsx",
    )


# --- Pages ------------------------------------------------------------------------------------


@login_required
@require_GET
def satisfaction_dashboard(request: HttpRequest) -> HttpResponse:
    """CSAT and NPS of the period against the period before, per week, by class and by source."""
    user = presenting.viewer(request)
    form = DashboardFilterForm(request.GET, user=user)
    board = satisfaction.satisfaction_dashboard(user=user, filters=form.filters())
    if request.GET.get("format") == "xlsx":
        comments = satisfaction.rating_list(user=user, filters=board.filters, which="comments")
        return _satisfaction_xlsx(board, list(comments[:EXPORTED_COMMENTS]))
    query = presenting.query(board.filters)
    context = {
        "form": form,
        "board": board,
        "tiles": _tiles(board),
        "previous_filters": board.filters.previous(),
        "chart_data": _chart_data(board),
        "weeks": _week_rows(board),
        "groupings": [
            {
                "key": "segment",
                "title": _("CSAT by shop class"),
                "heading": _("Shop class"),
                "rows": _group_rows(board.by_segment, dict(Segment.choices)),
            },
            {
                "key": "source",
                "title": _("CSAT by source"),
                "heading": _("Source"),
                "rows": _group_rows(board.by_source, SOURCE_LABELS),
            },
        ],
        "comments": board.comments,
        "comments_link": reverse("console:dashboards_ratings")
        + "?"
        + presenting.query(board.filters, which="comments"),
        "query": query,
        "keep": [],
        "tabs": presenting.tabs("dashboards_satisfaction", board.filters),
        "min_group": MIN_GROUP,
    }
    return render(request, "dashboards/satisfaction.html", context)


@login_required
@require_GET
def rating_list(request: HttpRequest) -> HttpResponse:
    """The ratings behind one tile, in the same scope and filters, 50 a page, newest first."""
    context = presenting.list_page(
        request,
        param="which",
        titles={which: LIST_TITLES[which] for which in satisfaction.RATING_LISTS},
        read=lambda user, filters, which: satisfaction.rating_list(
            user=user, filters=filters, which=which
        ),
        per_page=RATINGS_PER_PAGE,
    )
    filters = context["filters"]
    context["request_filters_used"] = bool(filters.request_type_id or filters.channel)
    return render(request, "dashboards/ratings.html", context)
