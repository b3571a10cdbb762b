"""The SERVQUAL dashboard in the console (``dashboards/urls.py``):

- ``/console/dashboards/servqual/?wave=…``: one survey wave's gaps against the wave before it of
  the same questionnaire: tiles, gaps by dimension (chart and table), the importance–performance
  grid and the gaps by district (by grid once a district is chosen); ``?format=xlsx`` downloads
  the tables;
- ``/console/dashboards/servqual/shops/?wave=…&dimension=…``: the shops below expectation in one
  dimension of a named wave, worst first, 50 a page.

Both take the dashboards' GET filters (``forms.DashboardFilterForm``); district, grid, class and
staff member apply, request type and channel do not, and the period is kept only for the other
tabs. Figures come from ``dashboards.servqual`` (the rollup); the charts read a ``json_script``
blob drawn by static/js/dashboards_servqual.js.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from customers.models import Segment
from dashboards import presenting, servqual
from dashboards.forms import DashboardFilterForm, filter_params
from dashboards.selectors import DashboardFilters
from flexserve import xlsx
from flexserve.errors import NotFound
from quality.models import MIN_GROUP

SHOPS_PER_PAGE = 50

# The tiles: figure, label, kind (how it is written and compared), which way is better.
TILES = (
    ("gap", gettext_lazy("Gap, unweighted"), "score", "up"),
    ("weighted_gap", gettext_lazy("Gap, weighted by importance points"), "score", "up"),
    ("perception", gettext_lazy("Perception only (1–7)"), "score", "up"),
    ("below_share", gettext_lazy("Shops below expectation"), "share", "down"),
    ("respondents", gettext_lazy("Respondents"), "count", ""),
)
# Importance–performance quadrants (Martilla and James), as the wave analysis names them.
QUADRANTS = {
    "keep_up": gettext_lazy("Keep up the good work"),
    "concentrate_here": gettext_lazy("Concentrate here"),
    "low_priority": gettext_lazy("Low priority"),
    "possible_overkill": gettext_lazy("Possible overkill"),
}
QUADRANT_COLORS = {
    "keep_up": "#0b6e4f",
    "concentrate_here": "#b42318",
    "low_priority": "#616e7c",
    "possible_overkill": "#c2410c",
}
GROUP_LABELS = {"district": gettext_lazy("District"), "grid": gettext_lazy("Grid")}
IGNORED_LABELS = {
    "request_type_id": gettext_lazy("Request type"),
    "channel": gettext_lazy("Channel"),
}


def _wave_param(request: HttpRequest) -> int | None:
    """``?wave=``: an id, or None (the default wave) when absent or not a number."""
    try:
        return int(request.GET.get("wave") or "")
    except ValueError:
        return None


def _mean_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _mean(estimate) -> float | None:
    return None if estimate is None else estimate.mean


def _overall_values(figures: servqual.WaveFigures | None) -> dict[str, Any]:
    """Each tile's figure (None when hidden: under 5 respondents)."""
    if figures is None:
        return dict.fromkeys(key for key, *_rest in TILES)
    overall = figures.overall
    return {
        "gap": _mean(overall.gap) if overall else None,
        "weighted_gap": _mean(overall.weighted) if overall else None,
        "perception": _mean(overall.perception_only) if overall else None,
        "below_share": overall.below_share if overall else None,
        "respondents": figures.respondents,
    }


def _tiles(board: servqual.ServqualDashboard) -> list[dict[str, Any]]:
    now, before = _overall_values(board.current), _overall_values(board.before)
    link = reverse("console:quality_wave", args=[board.wave.pk])
    tiles = []
    for key, label, kind, better in TILES:
        tile = presenting.tile(
            key=key,
            label=label,
            kind=kind,
            better=better,
            now=now[key],
            before=before[key] if board.before else None,
            link=link,
            link_label=gettext_lazy("Full wave analysis"),
        )
        if key == "perception":  # a mean on 1–7, not a change: no sign
            tile["value"], tile["previous"] = _mean_text(now[key]), _mean_text(before[key])
        if key == "gap" and board.current.overall and board.current.overall.gap:
            gap = board.current.overall.gap
            tile["interval"] = _interval_text(gap.low, gap.high)
        tiles.append(tile)
    return tiles


def _interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"[{presenting.value_text(low, 'score')}, {presenting.value_text(high, 'score')}]"


def _shops_link(board: servqual.ServqualDashboard, code: str) -> str:
    base = reverse("console:dashboards_servqual_shops")
    return f"{base}?{presenting.query(board.filters, wave=str(board.wave.pk), dimension=code)}"


def _dimension_rows(board: servqual.ServqualDashboard) -> list[dict[str, Any]]:
    rows = []
    for d in board.current.dimensions:
        earlier = board.before.dimension(d.code) if board.before else None
        before_gap = _mean(earlier.gap) if earlier else None
        rows.append(
            {
                "figures": d,
                "expectation": _mean_text(_mean(d.expectation)),
                "perception": _mean_text(_mean(d.perception)),
                "gap": presenting.value_text(_mean(d.gap), "score"),
                "interval": _interval_text(d.gap.low, d.gap.high) if d.gap else "",
                "below": presenting.value_text(d.below_share, "share"),
                "importance": presenting.value_text(d.importance, "points"),
                "quadrant_label": QUADRANTS.get(d.quadrant or "", ""),
                "before": presenting.value_text(before_gap, "score"),
                "change": presenting.change(_mean(d.gap), before_gap, "score", "up"),
                "shops_link": _shops_link(board, d.code) if d.shown else "",
            }
        )
    return rows


def _heat_style(gap: float, scale: float) -> str:
    """Red below expectation, green above; stronger the further from zero."""
    strength = min(1.0, abs(gap) / scale) * 0.55
    rgb = "180, 35, 24" if gap < 0 else "11, 110, 79"
    return f"background-color: rgba({rgb}, {strength:.2f})"


def _group_rows(board: servqual.ServqualDashboard) -> list[dict[str, Any]]:
    if board.groups is None:
        return []
    shown = [abs(g) for row in board.groups.rows for g in [*row.gaps, row.overall] if g is not None]
    scale = max([0.5, *shown])
    names = [d.name for d in board.dimensions]

    def cell(name: str, gap: float | None) -> dict[str, str]:
        return {
            "name": name,
            "text": presenting.value_text(gap, "score"),
            "style": _heat_style(gap, scale) if gap is not None else "",
            "hidden": gap is None,
        }

    return [
        {
            "row": row,
            "cells": [cell(n, g) for n, g in zip(names, row.gaps, strict=True)],
            "overall": cell(_("Overall"), row.overall),
        }
        for row in board.groups.rows
    ]


def _chart_data(board: servqual.ServqualDashboard) -> dict[str, Any]:
    """What static/js/dashboards_servqual.js draws."""
    shown = [d for d in board.current.dimensions if d.shown]
    before = {d.code: _mean(d.gap) for d in board.before.dimensions} if board.before else {}
    ipa = board.current.ipa
    return {
        "labels": {
            "gap": _("Gap (perception − expectation)"),
            "interval": _("Interval (95 %)"),
            "before": _("Previous wave"),
            "respondents": _("Respondents"),
            "importance": _("Importance (points of 100)"),
            "importance_short": _("Importance"),
            "performance": _("Perception (mean, 1–7)"),
            "performance_short": _("Perception"),
            "quadrants": {code: str(label) for code, label in QUADRANTS.items()},
        },
        "colors": {"quadrants": QUADRANT_COLORS},
        "gaps": [
            {
                "name": d.name,
                "n": d.n,
                "mean": d.gap.mean,
                "low": d.gap.low,
                "high": d.gap.high,
                "before": before.get(d.code),
            }
            for d in shown
        ],
        "ipa": None
        if ipa is None
        else {
            "importance_mean": ipa["importance_mean"],
            "performance_mean": ipa["performance_mean"],
            "points": [
                {
                    "name": d.name,
                    "x": d.importance,
                    "y": d.perception.mean,
                    "quadrant": d.quadrant,
                    "color": QUADRANT_COLORS.get(d.quadrant or "", "#616e7c"),
                }
                for d in shown
                if d.quadrant
            ],
        },
    }


def _wave_label(wave) -> str:
    return f"{wave.name} ({timezone.localtime(wave.opens_at):%Y-%m-%d})"


def _export(value: float | None, kind: str) -> float | None:
    return presenting.export_number(value, kind)


def _servqual_xlsx(board: servqual.ServqualDashboard) -> HttpResponse:
    dimensions_sheet: list[list[Any]] = []
    groups_sheet: list[list[Any]] = []
    group_headers: list[Any] = [_("Group"), _("Respondents")]
    if board.wave is not None:
        for d in board.current.dimensions:
            earlier = board.before.dimension(d.code) if board.before else None
            before_gap = _mean(earlier.gap) if earlier else None
            change = None
            if d.gap is not None and before_gap is not None:
                change = d.gap.mean - before_gap
            dimensions_sheet.append(
                [
                    d.name,
                    d.n,
                    _export(_mean(d.expectation), "score"),
                    _export(_mean(d.perception), "score"),
                    _export(_mean(d.gap), "score"),
                    _export(d.gap.low if d.gap else None, "score"),
                    _export(d.gap.high if d.gap else None, "score"),
                    _export(d.below_share, "share"),
                    _export(d.importance, "points"),
                    str(QUADRANTS.get(d.quadrant or "", "")),
                    _export(before_gap, "score"),
                    _export(change, "score"),
                ]
            )
        overall = board.current.overall
        if overall is not None:
            dimensions_sheet.append(
                [
                    _("Overall"),
                    overall.n,
                    None,
                    _export(_mean(overall.perception_only), "score"),
                    _export(_mean(overall.gap), "score"),
                    _export(overall.gap.low if overall.gap else None, "score"),
                    _export(overall.gap.high if overall.gap else None, "score"),
                    _export(overall.below_share, "share"),
                    None,
                    "",
                    None,
                    None,
                ]
            )
        if board.groups is not None:
            group_headers = [GROUP_LABELS[board.groups.by], _("Respondents")]
            group_headers += [d.name for d in board.dimensions] + [_("Overall")]
            for row in board.groups.rows:
                groups_sheet.append(
                    [row.label, row.respondents]
                    + [_export(g, "score") for g in [*row.gaps, row.overall]]
                )
    dimension_headers = [
        _("Dimension"),
        "n",
        _("Expectation, mean"),
        _("Perception, mean"),
        _("Gap"),
        _("Gap, lower end of the interval (95 %)"),
        _("Gap, upper end of the interval (95 %)"),
        _("Below expectation (%)"),
        _("Importance (points of 100)"),
        _("Priority"),
        _("Gap in the previous wave"),
        _("Change"),
    ]
    as_of = timezone.localtime(board.refreshed_at) if board.refreshed_at else None
    about = [
        (_("Figures as of"), as_of.strftime("%Y-%m-%d %H:%M") if as_of else "–"),
        (_("Survey wave"), _wave_label(board.wave) if board.wave else "–"),
        (_("Compared with"), _wave_label(board.previous_wave) if board.previous_wave else "–"),
        (
            _("Groups"),
            _("Figures of fewer than %(n)s respondents are left empty.") % {"n": MIN_GROUP},
        ),
        *[
            (str(IGNORED_LABELS[name]), _("does not apply to surveys"))
            for name in board.ignored_filters
        ],
        *[(key, value) for key, value in filter_params(board.filters).items()],
    ]
    suffix = f"-wave{board.wave.pk}" if board.wave else ""
    return xlsx.xlsx_response(
        [
            (_("Dimensions"), dimension_headers, dimensions_sheet),
            (_("Groups"), group_headers, groups_sheet),
            (_("About"), [_("Item"), _("Value")], about),
        ],
        filename=f"servqual-dashboard{suffix}.xlsx",
    )


def _filters_query(filters: DashboardFilters) -> list[tuple[str, str]]:
    return list(filter_params(filters).items())


# --- Pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def servqual_dashboard(request: HttpRequest) -> HttpResponse:
    """One wave's SERVQUAL gaps against the wave before it; ``?format=xlsx`` downloads them."""
    user = presenting.viewer(request)
    form = DashboardFilterForm(request.GET, user=user)
    board = servqual.servqual_dashboard(
        user=user, filters=form.filters(), wave_id=_wave_param(request)
    )
    if request.GET.get("format") == "xlsx":
        return _servqual_xlsx(board)
    extra = {"wave": str(board.wave.pk)} if board.wave else {}
    context: dict[str, Any] = {
        "form": form,
        "board": board,
        "query": presenting.query(board.filters, **extra),
        "keep": list(extra.items()),
        "filter_fields": _filters_query(board.filters),
        "stamp": presenting.stamp(board.refreshed_at),
        "tabs": presenting.tabs("dashboards_servqual", board.filters),
        "waves": [
            {"pk": w.pk, "label": _wave_label(w), "current": w == board.wave} for w in board.waves
        ],
        "ignored": [IGNORED_LABELS[name] for name in board.ignored_filters],
        "min_group": MIN_GROUP,
    }
    if board.wave is not None:
        context |= {
            "wave_label": _wave_label(board.wave),
            "previous_label": _wave_label(board.previous_wave) if board.previous_wave else "",
            "wave_link": reverse("console:quality_wave", args=[board.wave.pk]),
            "tiles": _tiles(board),
            "dimension_rows": _dimension_rows(board),
            "group_rows": _group_rows(board),
            "group_label": GROUP_LABELS[board.groups.by] if board.groups else "",
            "chart_data": _chart_data(board),
            "quadrant_notes": [
                (QUADRANTS[code], QUADRANT_COLORS[code]) for code in servqual.QUADRANTS
            ],
        }
    return render(request, "dashboards/servqual.html", context)


@login_required
@require_GET
def shops_below(request: HttpRequest) -> HttpResponse:
    """The shops of a named wave below expectation in one dimension, worst gap first."""
    user = presenting.viewer(request)
    wave_id = _wave_param(request)
    if wave_id is None:
        raise NotFound()
    wave = servqual.wave_get(user=user, wave_id=wave_id)
    dimension = servqual.dimension_get(wave=wave, code=request.GET.get("dimension", ""))
    form = DashboardFilterForm(request.GET, user=user)
    filters = form.filters()
    keep = [("wave", str(wave.pk)), ("dimension", dimension.code)]
    context: dict[str, Any] = {
        "form": form,
        "wave": wave,
        "wave_label": _wave_label(wave),
        "dimension": dimension,
        "keep": keep,
        "query": presenting.query(filters, **dict(keep)),
        "back_query": presenting.query(filters, wave=str(wave.pk)),
        "reset_query": urlencode(keep),
        "wave_link": reverse("console:quality_wave", args=[wave.pk]),
    }
    try:
        below = servqual.shops_below(
            user=user, wave_id=wave.pk, dimension_code=dimension.code, filters=filters
        )
    except servqual.AnonymousWave as refused:
        context["refused"] = refused
        return render(request, "dashboards/servqual_shops.html", context, status=refused.status)
    page = Paginator(below, SHOPS_PER_PAGE).get_page(request.GET.get("page"))
    responses = servqual.responses_of(list(page))
    segments = dict(Segment.choices)
    rows = []
    for row in page:
        response = responses[row["response_id"]]
        rows.append(
            {
                "response": response,
                "shop": response.invitation.shop if response.invitation else None,
                "segment": segments.get(response.segment, "–"),
                "expectation": _mean_text(row["expectation"]),
                "perception": _mean_text(row["perception"]),
                "gap": presenting.value_text(row["gap"], "score"),
            }
        )
    context |= {"page": page, "rows": rows}
    return render(request, "dashboards/servqual_shops.html", context)
