"""The initiatives and class-moves dashboard (``dashboards/urls.py``, under /console/dashboards/).

- ``initiatives/``: the service initiatives running in the period, by type, each with its latest
  funnel survey (four stages, each on its own base) against the one before, its event funnel
  (bookings, visits, ratings: never in one ratio with the survey) and its goals; tiles count
  the initiatives and their goals against the period before. Each initiative opens its console
  page. Then the class moves of the period: up, down, new, and a from → to matrix whose cells
  open the moves behind them. ``?format=xlsx`` downloads it all.
- ``class-moves/?from=…&to=…&direction=…``: those moves, 50 a page, newest first.

Figures are read live from the tables (``dashboards.initiatives``). Reading needs
``CONSOLE_USE`` and ``QUALITY_VIEW``; the chart reads a ``json_script`` blob drawn by
static/js/dashboards_initiatives.js.
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
from dashboards import initiatives as selectors
from dashboards import presenting
from dashboards.forms import DashboardFilterForm, filter_params
from flexserve import xlsx
from flexserve.errors import NotFound
from quality.funnel_labels import (
    EVENT_BASES,
    EVENT_SOURCES,
    GOAL_STATES,
    STAGES,
    SURVEY_BASES,
    goal_view,
    percent,
)
from quality.models import MIN_GROUP, InitiativeType

MOVES_PER_PAGE = 50

DIRECTIONS = {
    "up": gettext_lazy("Moved up a class"),
    "down": gettext_lazy("Moved down a class"),
    "new": gettext_lazy("Classed for the first time"),
}
NEW_ROW = gettext_lazy("Not classed before")


def _type_label(code: str) -> str:
    return str(InitiativeType(code).label) if code in InitiativeType.values else code


def _segment_label(code: str) -> str:
    return str(Segment(code).label) if code in Segment.values else (code or "–")


def _stage_view(stage: selectors.SurveyStage) -> dict[str, Any]:
    return {
        "code": stage.stage,
        "name": STAGES[stage.stage],
        "base_label": SURVEY_BASES[stage.stage],
        "count": stage.count,
        "base": stage.base,
        "share": presenting.value_text(stage.share, "share"),
        "percent": percent(stage.share),
        "before": presenting.value_text(stage.before, "share"),
        "change": presenting.change(stage.share, stage.before, "share", "up"),
    }


def _events_view(events: dict[str, Any] | None) -> dict[str, Any] | None:
    if events is None:
        return None
    return {
        "targeted": events["targeted"],
        "suppressed": events["suppressed"],
        "rows": [
            {
                "code": s["stage"],
                "name": STAGES[s["stage"]],
                "source": EVENT_SOURCES.get(s["source"] or "", ""),
                "base_label": EVENT_BASES.get(s["stage"], ""),
                "count": s["count"],
                "base": s["base"],
                "share": presenting.value_text(s["share"], "share"),
            }
            for s in events["stages"]
            if s["source"]  # awareness has no event source yet
        ],
    }


def _initiative_view(row: selectors.InitiativeRow) -> dict[str, Any]:
    initiative = row.initiative
    return {
        "initiative": initiative,
        "type": initiative.type,
        "link": reverse("console:quality_initiative", args=[initiative.pk]),
        "wave": row.wave,
        "surveyed": row.surveyed,
        "previous_wave": row.previous_wave,
        "hidden_waves": row.hidden_waves,
        "stages": [_stage_view(stage) for stage in row.stages],
        "events": _events_view(row.events),
        "goals": [goal_view(goal) for goal in row.goals],
    }


def _sections(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The initiatives grouped by type, in seed 001's order; types with none running left out."""
    return [
        {"code": code, "label": label, "rows": [r for r in rows if r["type"] == code]}
        for code, label in InitiativeType.choices
        if any(r["type"] == code for r in rows)
    ]


def _moves_link(filters, **params: str) -> str:
    return f"{reverse('console:dashboards_class_moves')}?{presenting.query(filters, **params)}"


def _tiles(board: selectors.InitiativesDashboard) -> list[dict[str, Any]]:
    on_page = "#initiatives-title"
    tiles = [
        presenting.tile(
            key="running",
            label=gettext_lazy("Initiatives running"),
            kind="count",
            better="",
            now=len(board.rows),
            before=board.previous_running,
            link=reverse("console:quality_initiatives"),
            link_label=gettext_lazy("All initiatives"),
        )
    ]
    for status, better in (("met", "up"), ("at_risk", "down"), ("missed", "down")):
        tiles.append(
            presenting.tile(
                key=f"goals_{status}",
                label=_("Goals: %(status)s") % {"status": GOAL_STATES[status]},
                kind="count",
                better=better,
                now=board.goals[status],
                before=board.previous_goals[status],
                link=on_page,
                link_label=gettext_lazy("The initiatives"),
            )
        )
    return tiles


def _move_tiles(board: selectors.InitiativesDashboard) -> list[dict[str, Any]]:
    return [
        presenting.tile(
            key=f"moves_{direction}",
            label=DIRECTIONS[direction],
            kind="count",
            better=better,
            now=getattr(board.moves, direction),
            before=getattr(board.previous_moves, direction),
            link=_moves_link(board.filters, direction=direction),
            link_label=gettext_lazy("The shops"),
        )
        for direction, better in (("up", "up"), ("down", "down"), ("new", ""))
    ]


def _matrix(board: selectors.InitiativesDashboard) -> dict[str, Any]:
    """Rows: the class before ("" first classed); columns: the class after; cells open lists."""
    counts = board.moves.counts
    rows = []
    for before, label in [("", NEW_ROW), *Segment.choices]:
        # A shop classed for the first time has no class before: its list asks for "new".
        row_params = {"from": before} if before else {"direction": "new"}
        cells = []
        for after, after_label in Segment.choices:
            n = counts.get((before, after), 0)
            cells.append(
                {
                    "to": after,
                    "to_label": after_label,
                    "count": n,
                    "link": _moves_link(board.filters, **row_params, to=after) if n else "",
                    "direction": selectors.move_direction(before, after) or "same",
                }
            )
        total = sum(c["count"] for c in cells)
        rows.append(
            {
                "from": before or "new",
                "label": label,
                "cells": cells,
                "total": total,
                "link": _moves_link(board.filters, **row_params) if total else "",
            }
        )
    columns = [
        {
            "code": code,
            "label": label,
            "total": sum(n for (_before, after), n in counts.items() if after == code),
        }
        for code, label in Segment.choices
    ]
    return {"rows": rows, "columns": columns, "total": board.moves.total}


def _chart_data(views: list[dict[str, Any]]) -> dict[str, Any]:
    """The four survey stages of each initiative with a funnel survey (percentages)."""
    shown = [v for v in views if v["stages"]]
    return {
        "stages": [{"code": code, "name": str(name)} for code, name in STAGES.items()],
        "bases": {code: str(label) for code, label in SURVEY_BASES.items()},
        "initiatives": [
            {
                "name": v["initiative"].name,
                "wave": v["wave"].name,
                "surveyed": v["surveyed"],
                "shares": [s["percent"] for s in v["stages"]],
            }
            for v in shown
        ],
        "labels": {"respondents": _("%(count)s respondents")},
    }


def _xlsx(board: selectors.InitiativesDashboard, views: list[dict[str, Any]]) -> HttpResponse:
    f = board.filters
    stage_headers = [f"{STAGES[code]} (%) · {SURVEY_BASES[code]}" for code in STAGES]
    initiatives = (
        _("Initiatives"),
        [
            _("Code"),
            _("Initiative"),
            _("Type"),
            _("Starts on"),
            _("Ends on"),
            _("Latest funnel survey"),
            _("Respondents"),
            *stage_headers,
            _("Funnel survey before"),
            *[f"{GOAL_STATES[status]}" for status in selectors.GOAL_STATES],
        ],
        [
            (
                v["initiative"].code,
                v["initiative"].name,
                _type_label(v["type"]),
                v["initiative"].starts_on,
                v["initiative"].ends_on,
                v["wave"].name if v["wave"] else None,
                v["surveyed"] if v["wave"] else None,
                *([s["percent"] for s in v["stages"]] if v["stages"] else [None] * len(STAGES)),
                v["previous_wave"].name if v["previous_wave"] else None,
                *[sum(1 for g in v["goals"] if g["status"] == st) for st in selectors.GOAL_STATES],
            )
            for v in views
        ],
    )
    goals = (
        _("Goals"),
        [
            _("Initiative"),
            _("Metric"),
            _("Baseline (%)"),
            _("Target (%)"),
            _("Now (%)"),
            _("Starts on"),
            _("Deadline"),
            _("Status"),
        ],
        [
            (
                v["initiative"].name,
                str(g["stage"]),
                g["baseline"],
                g["target"],
                g["current"],
                g["goal"].starts_on,
                g["goal"].deadline,
                str(g["status_label"]),
            )
            for v in views
            for g in v["goals"]
        ],
    )
    matrix = _matrix(board)
    moves = (
        _("Class moves"),
        [_("From / to"), *[str(c["label"]) for c in matrix["columns"]], _("Total")],
        [
            *[
                (str(row["label"]), *[c["count"] for c in row["cells"]], row["total"])
                for row in matrix["rows"]
            ],
            (_("Total"), *[c["total"] for c in matrix["columns"]], matrix["total"]),
        ],
    )
    summary = [
        (
            str(DIRECTIONS[direction]),
            getattr(board.moves, direction),
            getattr(board.previous_moves, direction),
        )
        for direction in selectors.DIRECTIONS
    ]
    as_of = timezone.localtime(board.as_of).strftime("%Y-%m-%d %H:%M")
    about = [
        (_("Live figures as of"), as_of),
        (_("Period"), presenting.period_text(f)),
        (_("Previous period"), presenting.period_text(f.previous())),
        *[(key, value) for key, value in filter_params(f).items()],
    ]
    return xlsx.xlsx_response(
        [
            initiatives,
            goals,
            moves,
            (
                _("Class moves, up and down"),
                [
                    _("Moves"),
                    _("This period (%(period)s)") % {"period": presenting.period_text(f)},
                    _("Previous period (%(period)s)")
                    % {"period": presenting.period_text(f.previous())},
                ],
                summary,
            ),
            (_("About"), [_("Item"), _("Value")], about),
        ],
        filename=f"initiatives-dashboard-{f.since:%Y%m%d}-{f.until:%Y%m%d}.xlsx",
    )


# --- Pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def initiatives_dashboard(request: HttpRequest) -> HttpResponse:
    """Initiatives running in the period (funnels, goals) and the shops' class moves."""
    user = presenting.viewer(request)
    form = DashboardFilterForm(request.GET, user=user)
    board = selectors.initiatives_dashboard(user=user, filters=form.filters())
    views = [_initiative_view(row) for row in board.rows]
    if request.GET.get("format") == "xlsx":
        return _xlsx(board, views)
    context = {
        "form": form,
        "board": board,
        "previous_filters": board.filters.previous(),
        "tiles": _tiles(board),
        "move_tiles": _move_tiles(board),
        "sections": _sections(views),
        "matrix": _matrix(board),
        "chart_data": _chart_data(views),
        "min_group": MIN_GROUP,
        "query": presenting.query(board.filters),
        "keep": [],
        "as_of": timezone.localtime(board.as_of),
        "tabs": presenting.tabs("dashboards_initiatives", board.filters),
    }
    return render(request, "dashboards/initiatives.html", context)


def _list_title(from_segment: str, to_segment: str, direction: str) -> str:
    if from_segment or to_segment:
        shown = {
            "from": _segment_label(from_segment) if from_segment else _("any class"),
            "to": _segment_label(to_segment) if to_segment else _("any class"),
        }
        if direction == "new":
            return _("Classed for the first time as %(to)s") % shown
        title = _("Class moves: %(from)s → %(to)s") % shown
        return f"{title} ({DIRECTIONS[direction]})" if direction else title
    if direction:
        return str(DIRECTIONS[direction])
    return _("Class moves")


@login_required
@require_GET
def class_moves(request: HttpRequest) -> HttpResponse:
    """The class moves behind a tile or a matrix cell, in the same scope and filters."""
    user = presenting.viewer(request)
    from_segment = request.GET.get("from", "")
    to_segment = request.GET.get("to", "")
    direction = request.GET.get("direction", "")
    if (
        (from_segment and from_segment not in Segment.values)
        or (to_segment and to_segment not in Segment.values)
        or (direction and direction not in selectors.DIRECTIONS)
    ):
        raise NotFound()
    form = DashboardFilterForm(request.GET, user=user)
    filters = form.filters()
    moves = selectors.class_move_list(
        user=user,
        filters=filters,
        from_segment=from_segment,
        to_segment=to_segment,
        direction=direction,
    )
    page = Paginator(moves, MOVES_PER_PAGE).get_page(request.GET.get("page"))
    which = {
        key: value
        for key, value in (("from", from_segment), ("to", to_segment), ("direction", direction))
        if value
    }
    context = {
        "form": form,
        "filters": filters,
        "title": _list_title(from_segment, to_segment, direction),
        "page": page,
        "rows": [
            {
                "move": move,
                "from": _segment_label(move.from_segment) if move.from_segment else NEW_ROW,
                "to": _segment_label(move.to_segment),
                "direction": selectors.move_direction(move.from_segment, move.to_segment) or "same",
            }
            for move in page
        ],
        "query": presenting.query(filters, **which),
        "back_query": presenting.query(filters),
        "keep": list(which.items()),
        "reset_query": urlencode(which),
    }
    return render(request, "dashboards/class_moves.html", context)
