"""A day's routes, stops and unplaced jobs for the templates and the chart/timeline JSON."""

import datetime
import math
from typing import Any

from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dispatch.models import JobKind
from dispatch.views_board.common import _hm, _minutes, _origin, _span
from dispatch.views_board.forms import MoveForm, _move_choices
from flexserve import policy
from flexserve.policy import Perm

# Stop colours by kind (booking blue, routine the brand green, urgent red) and the staff palette.
KIND_COLORS = {
    JobKind.BOOKING: "#1d4ed8",
    JobKind.ROUTINE: "#0b6e4f",
    JobKind.URGENT: "#b42318",
}
STAFF_COLORS = (
    "#0b6e4f",
    "#1d4ed8",
    "#c2410c",
    "#7c3aed",
    "#0e7490",
    "#b42318",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#475569",
    "#9333ea",
    "#0369a1",
)
TIMELINE_TOP, TIMELINE_ROW = 64, 44  # pixels: the time axis, and one route


def _lunch_of(item) -> tuple[datetime.datetime, datetime.datetime] | None:
    lunch = getattr(item, "lunch", None)
    if lunch:
        return lunch[0], lunch[1]
    route = item.route
    if route.break_start and route.break_end:
        return route.break_start, route.break_end
    return None


def _home_of(item) -> tuple[float, float] | None:
    """(lat, lng) where the route starts and ends, if known."""
    home = getattr(item, "home", None)
    return (float(home[0]), float(home[1])) if home else None


def _board_context(request: HttpRequest, data) -> dict[str, Any]:
    """Routes, stops and unplaced jobs as the templates and the charts use them."""
    origin = _origin(data.day)
    routes: list[dict[str, Any]] = []
    chart_routes: list[dict[str, Any]] = []
    low, high = 8 * 60, 18 * 60  # the timeline shows at least 08:00–18:00
    placed = travel_s = distance_m = 0
    for index, item in enumerate(data.routes):
        route = item.route
        color = STAFF_COLORS[index % len(STAFF_COLORS)]
        lunch = _lunch_of(item)
        home = _home_of(item)
        stops = []
        for seq, board_stop in enumerate(item.stops, start=1):
            stop, job = board_stop.stop, board_stop.job
            window = (board_stop.window_start, board_stop.window_end)
            has_window = window[0] is not None and window[1] is not None
            stops.append(
                {
                    "seq": seq,
                    "job": job,
                    "stop": stop,
                    "shop": board_stop.shop_name,
                    "kind": board_stop.kind,
                    "kind_label": str(JobKind(board_stop.kind).label),
                    "service": job.service_item.name,
                    "window": _span(*window) if has_window else "",
                    "times": _span(stop.start, stop.end),
                    "arrival": _hm(stop.arrival),
                    "state": board_stop.state,
                    "lat": board_stop.lat,
                    "lng": board_stop.lng,
                    "window_m": [_minutes(window[0], origin), _minutes(window[1], origin)]
                    if has_window
                    else None,
                }
            )
        placed += len(stops)
        travel_s += route.travel_s or 0
        distance_m += route.distance_m or 0
        routes.append(
            {
                "staff_id": route.staff_id,
                "name": item.staff_name,
                "color": color,
                "route": route,
                "shift": _span(route.shift_start, route.shift_end),
                "lunch": _span(*lunch) if lunch else "",
                "departure": _hm(route.departure),
                "return": _hm(route.arrival),
                "travel_min": round((route.travel_s or 0) / 60),
                "km": round((route.distance_m or 0) / 1000, 1),
                "stops": stops,
            }
        )
        shift = [_minutes(route.shift_start, origin), _minutes(route.shift_end, origin)]
        low, high = min(low, shift[0]), max(high, shift[1])
        chart_routes.append(
            {
                "id": route.staff_id,
                "name": item.staff_name,
                "color": color,
                "shift": shift,
                "shift_text": _span(route.shift_start, route.shift_end),
                "lunch": [_minutes(lunch[0], origin), _minutes(lunch[1], origin)]
                if lunch
                else None,
                "lunch_text": _span(*lunch) if lunch else "",
                "departure": _minutes(route.departure, origin),
                "return": _minutes(route.arrival, origin),
                "home": [home[1], home[0]] if home else None,
                "travel_min": round((route.travel_s or 0) / 60),
                "km": round((route.distance_m or 0) / 1000, 1),
                "stops": [
                    {
                        "job": s["job"].pk,
                        "seq": s["seq"],
                        "shop": s["shop"],
                        "service": s["service"],
                        "kind": s["kind"],
                        "kind_label": s["kind_label"],
                        "arrival": _minutes(s["stop"].arrival, origin),
                        "start": _minutes(s["stop"].start, origin),
                        "end": _minutes(s["stop"].end, origin),
                        "window": s["window_m"],
                        "window_text": s["window"],
                        "times": s["times"],
                        "arrival_text": s["arrival"],
                        "lng": s["lng"],
                        "lat": s["lat"],
                    }
                    for s in stops
                ],
            }
        )
    unplaced = []
    for job, reason in data.unplaced:
        shop = job.shop
        if job.window_start and job.window_end:
            when = _span(job.window_start, job.window_end)
        elif job.due_on:
            when = _("due %(day)s") % {"day": date_format(job.due_on, "m-d")}
        else:
            when = ""
        unplaced.append(
            {
                "job": job,
                "shop": shop.name,
                "kind": job.kind,
                "kind_label": job.get_kind_display(),
                "service": job.service_item.name,
                "when": when,
                "reason": str(reason),
                "lat": float(shop.latitude),
                "lng": float(shop.longitude),
            }
        )
    later = [
        {
            "job": job,
            "shop": job.shop.name,
            "service": job.service_item.name,
            "when": _("due %(day)s") % {"day": date_format(job.due_on, "m-d")},
        }
        for job in getattr(data, "later", [])
    ]
    chart = {
        "plane": plane_box(chart_routes),
        "labels": {
            "booking": str(JobKind.BOOKING.label),
            "routine": str(JobKind.ROUTINE.label),
            "urgent": str(JobKind.URGENT.label),
            "shift": _("Shift"),
            "lunch": _("Lunch"),
            "travel": _("Travel"),
            "window": _("Window"),
            "arrival": _("Arrival"),
            "visit": _("Visit time"),
            "service": _("Service item"),
            "home": _("Start and end"),
            "unplaced": _("Not placed"),
            "reason": _("Why"),
            "minutes": _("min"),
            "km": _("km"),
            "staff": _("Staff member"),
            "move": _("Move this job"),
            "longitude": _("Longitude"),
            "latitude": _("Latitude"),
        },
        "colors": {str(kind): color for kind, color in KIND_COLORS.items()},
        "range": [max(0, (low // 60) * 60), min(24 * 60, -(-high // 60) * 60)],
        "routes": chart_routes,
        "unplaced": [
            {
                "job": u["job"].pk,
                "shop": u["shop"],
                "service": u["service"],
                "kind_label": u["kind_label"],
                "when": u["when"],
                "reason": u["reason"],
                "lat": u["lat"],
                "lng": u["lng"],
            }
            for u in unplaced
        ],
    }
    stats = _stats(
        data,
        placed=placed,
        unplaced=len(unplaced),
        later=len(later),
        travel_s=travel_s,
        m=distance_m,
    )
    move_form = None
    if data.plan is not None and policy.has_perm(request.user, Perm.DISPATCH_PLAN):
        move_form = MoveForm(initial={"day": data.day, "position": 1}, **_move_choices(data))
    return {
        "routes": routes,
        "unplaced": unplaced,
        "later": later,
        "chart": chart,
        "timeline_height": TIMELINE_TOP + TIMELINE_ROW * max(1, len(routes)),
        "stats": stats,
        "move_form": move_form,
    }


def _violations(data) -> int | None:
    for source in (data.stats or {}, getattr(data.plan, "stats", None) or {}):
        value = source.get("violations")
        if value is not None:
            return len(value) if isinstance(value, list | tuple) else int(value)
    return None


def _stats(
    data, *, placed: int, unplaced: int, later: int, travel_s: int, m: int
) -> list[dict[str, Any]]:
    """The day's figures: jobs of the day (placed + not placed); routine visits due later are
    counted apart, they have not failed."""
    violations = _violations(data)
    return [
        {"key": "jobs", "label": _("Jobs"), "value": placed + unplaced},
        {"key": "placed", "label": _("Placed"), "value": placed},
        {"key": "unplaced", "label": _("Not placed"), "value": unplaced, "alert": unplaced > 0},
        {"key": "later", "label": _("Due later this week"), "value": later},
        {"key": "travel_h", "label": _("Travel (hours)"), "value": round(travel_s / 3600, 1)},
        {"key": "km", "label": _("Distance (km)"), "value": round(m / 1000, 1)},
        {
            "key": "violations",
            "label": _("Rules broken"),
            "value": "–" if violations is None else violations,
            "alert": bool(violations),
        },
    ]


PLANE_MARGIN = 0.08  # of the larger side, around the stops and start points


def plane_box(routes: list[dict[str, Any]]) -> dict[str, float] | None:
    """The route plane's extent in degrees: the stops and the staff's start points with a small
    margin, as a box whose east-west side, shortened by cos(latitude), and north-south side are
    equal, so the map keeps its shape (the browser widens it to the chart's aspect). None
    without any point. Unplaced jobs do not stretch it: they may lie anywhere in the city."""
    points = [(s["lng"], s["lat"]) for r in routes for s in r["stops"] if s["lng"] is not None]
    points += [tuple(r["home"]) for r in routes if r.get("home")]
    if not points:
        return None
    lngs, lats = [p[0] for p in points], [p[1] for p in points]
    mid_lat = (min(lats) + max(lats)) / 2
    squeeze = math.cos(math.radians(mid_lat)) or 1.0
    width = (max(lngs) - min(lngs)) * squeeze  # in degrees of latitude
    height = max(lats) - min(lats)
    side = max(width, height, 0.005) * (1 + 2 * PLANE_MARGIN)
    mid_lng = (min(lngs) + max(lngs)) / 2
    return {
        "xmin": round(mid_lng - side / 2 / squeeze, 6),
        "xmax": round(mid_lng + side / 2 / squeeze, 6),
        "ymin": round(mid_lat - side / 2, 6),
        "ymax": round(mid_lat + side / 2, 6),
        "squeeze": round(squeeze, 6),
    }
