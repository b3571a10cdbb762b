"""Service-quality pages of the staff console (the manager's view); ``quality/urls_console.py``.

- ``/console/quality/``: satisfaction after each contact (CSAT) in the last 30 days against the
  30 before, staff ranked by it, and the survey waves with their progress;
- ``/console/quality/waves/new/``: open a wave for a target group (``surveys.wave_create``);
- ``/console/quality/waves/<id>/``: a wave's progress, a reminder to those who have not
  answered, and its SERVQUAL results (``reports.servqual_report``) with a breakdown by group.

Reading needs ``QUALITY_VIEW``, opening waves and reminding ``QUALITY_MANAGE``; the selectors and
services check both again. The charts read a ``json_script`` blob drawn by static/js/quality.js.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from customers import selectors as customer_selectors
from customers.models import BusinessType, MarketType, Segment
from flexserve import policy
from flexserve.errors import AppError, Forbidden
from flexserve.policy import Perm
from flexserve.web import is_htmx, scope_errors_pass
from quality import reports, selectors
from quality.forms import WaveForm
from quality.models import MIN_GROUP, Instrument, Wave
from quality.services import surveys

PERIOD = timedelta(days=30)
WAVES_SHOWN = 50
ALPHA_MIN = 0.7  # Cronbach's alpha below this: the items of a dimension do not hang together
SIGNIFICANT = 0.05  # Holm-adjusted p below this is marked in the ranking

WAVE_STATES = {
    "scheduled": (pgettext_lazy("survey wave state", "Scheduled"), "pill-pending"),
    "open": (pgettext_lazy("survey wave state", "Open"), "pill-active"),
    "closed": (pgettext_lazy("survey wave state", "Closed"), "pill-closed"),
}
BREAKDOWNS = {
    "segment": gettext_lazy("Shop class"),
    "district": gettext_lazy("District"),
    "grid": gettext_lazy("Grid"),
    "staff": gettext_lazy("Account manager"),
    "market_type": gettext_lazy("Market type"),
}
# Importance–performance quadrants (Martilla and James): high/low importance × performance.
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
GAP_COLOR, LOW_ALPHA_COLOR = "#0b6e4f", "#b42318"


def _viewer(request: HttpRequest) -> User:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.QUALITY_VIEW)
    return request.user


def _signed(value: float | None, digits: int = 2) -> str:
    """A gap as read: "+0.12", "−0.85" (a real minus sign), "–" when there is none."""
    if value is None:
        return "–"
    text = f"{abs(value):.{digits}f}"
    if round(value, digits) == 0:
        return text
    return f"+{text}" if value > 0 else f"−{text}"


def _percent(share: float | None) -> float | None:
    """A share (a fraction, as the selectors give it) in percent, one decimal."""
    return None if share is None else round(100 * share, 1)


# --- Overview --------------------------------------------------------------------------------


def _csat_view(row: dict[str, Any]) -> dict[str, Any]:
    """One CSAT row as shown: percentages; no figures when suppressed."""
    view = {"invited": row["invited"], "rated": row["rated"], "suppressed": row["suppressed"]}
    if not row["suppressed"]:
        view |= {
            "csat": _percent(row["csat"]),
            "low": _percent(row["low"]),
            "high": _percent(row["high"]),
            "response_rate": _percent(row["response_rate"]),
        }
    return view


def _change(now: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The change of a percentage against the previous period, in points."""
    if now["suppressed"] or before["suppressed"] or now[key] is None or before[key] is None:
        return None
    points = round(now[key] - before[key], 1)
    direction = "up" if points > 0 else "down" if points < 0 else ""
    return {"text": _signed(points, 1), "direction": direction}


def _staff_rows(groups: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """Staff ranked by CSAT (then by ratings); those with too few ratings after, by name."""
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in groups if k])}
    rows = [
        {"name": names.get(key) or _("Not credited to anyone"), **_csat_view(row)}
        for key, row in groups.items()
    ]
    shown = sorted(
        (r for r in rows if not r["suppressed"]), key=lambda r: (-r["csat"], -r["rated"])
    )
    for rank, row in enumerate(shown, start=1):
        row["rank"] = rank
    hidden = sorted((r for r in rows if r["suppressed"]), key=lambda r: r["name"])
    return shown + hidden


def _wave_row(wave: Wave) -> dict[str, Any]:
    progress = selectors.wave_progress(wave)
    label, css = WAVE_STATES[progress["state"]]
    needed = progress["sample_needed"]
    return {
        "wave": wave,
        "state_label": label,
        "state_class": css,
        "pending": progress["invited"] - progress["answered"],
        "sample_pct": min(100, round(100 * progress["answered"] / needed)) if needed else 100,
        **progress,
    }


def _loyalty_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "segment": Segment(row["segment"]).label,
        "shops": row["shops"],
        "licence_kept": _percent(row["licence_kept"]),
        "ordering_regularly": _percent(row["ordering_regularly"]),
        "using_services": _percent(row["using_services"]),
        "csat": _csat_view(row["csat"] | {"invited": row["csat"].get("invited", 0)}),
    }


@login_required
@require_GET
def quality_overview(request: HttpRequest) -> HttpResponse:
    """CSAT of the last 30 days against the 30 before, staff ranked by it, and the waves."""
    user = _viewer(request)
    now = timezone.now()
    # Grouped by staff, the overall figure is the period's too: one read for both.
    current = selectors.csat_summary(user=user, since=now - PERIOD, until=now, group_by="staff")
    previous = selectors.csat_summary(user=user, since=now - 2 * PERIOD, until=now - PERIOD)
    overall, before = _csat_view(current["overall"]), _csat_view(previous["overall"])
    context = {
        "csat": overall,
        "previous": before,
        "csat_change": _change(overall, before, "csat"),
        "rate_change": _change(overall, before, "response_rate"),
        "staff_rows": _staff_rows(current["groups"]),
        "comments": selectors.recent_comments(user=user, since=now - PERIOD),
        "loyalty": [_loyalty_view(row) for row in selectors.loyalty_by_class(user=user)],
        "waves": [_wave_row(w) for w in selectors.wave_list(user=user)[:WAVES_SHOWN]],
        "can_manage": policy.has_perm(user, Perm.QUALITY_MANAGE),
        "min_group": MIN_GROUP,
        "period_days": PERIOD.days,
    }
    return render(request, "quality/console_overview.html", context)


# --- New wave --------------------------------------------------------------------------------


def wave_created_message(wave: Wave) -> str:
    return ngettext(
        "Survey “%(name)s” created: %(count)s invited.",
        "Survey “%(name)s” created: %(count)s invited.",
        wave.invited,
    ) % {"name": wave.name, "count": wave.invited}


def _wave_form(request: HttpRequest, user: User) -> WaveForm:
    choices = {
        "instruments": selectors.instrument_list(user=user),
        "districts": customer_selectors.district_list(user=user),
        "grids": customer_selectors.grid_list(user=user).order_by("district__name", "name"),
    }
    if request.method == "POST":
        return WaveForm(request.POST, **choices)
    opens_at = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    servqual = next((i for i in choices["instruments"] if i.kind == Instrument.Kind.SERVQUAL), None)
    initial = {
        "opens_at": opens_at,
        "closes_at": opens_at + timedelta(days=14),
        "instrument": servqual.pk if servqual else None,
    }
    return WaveForm(initial=initial, **choices)


@login_required
@require_http_methods(["GET", "POST"])
def quality_wave_new(request: HttpRequest) -> HttpResponse:
    """Open a survey wave for a target group; its shops are invited when it opens."""
    user = _viewer(request)
    policy.require(user, Perm.QUALITY_MANAGE)
    form = _wave_form(request, user)
    if request.method == "POST" and form.is_valid():
        try:
            wave = surveys.wave_create(actor=user, **form.wave_kwargs())
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, wave_created_message(wave))
            return redirect("console:quality_wave", wave_id=wave.pk)
    status = 422 if request.method == "POST" else 200  # a refused form says so to clients too
    return render(request, "quality/console_wave_new.html", {"form": form}, status=status)


# --- One wave --------------------------------------------------------------------------------


def _target_view(user: User, target: dict[str, Any]) -> list[tuple[str, str]]:
    """The target group as label / value lines ("all shops" when nothing narrows it)."""

    def labels(choices: Any, values: list[str]) -> str:
        names = dict(choices)
        return "、".join(str(names.get(v, v)) for v in values)

    lines = []
    if target.get("segments"):
        lines.append((_("Shop classes"), labels(Segment.choices, target["segments"])))
    if target.get("business_types"):
        lines.append((_("Business types"), labels(BusinessType.choices, target["business_types"])))
    if target.get("market_types"):
        lines.append((_("Market types"), labels(MarketType.choices, target["market_types"])))
    if target.get("districts"):
        districts = customer_selectors.district_list(user=user).filter(pk__in=target["districts"])
        lines.append((_("Districts"), "、".join(d.name for d in districts)))
    if target.get("grids"):
        grids = customer_selectors.grid_list(user=user).filter(pk__in=target["grids"])
        lines.append((_("Grids"), "、".join(g.name for g in grids)))
    if target.get("served_from"):
        period = _("%(start)s to %(end)s") % {
            "start": target["served_from"],
            "end": target["served_to"],
        }
        lines.append((_("Served in"), period))
    return lines or [(_("Target group"), _("All active shops"))]


def _dimension_rows(dimensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for dim in dimensions:
        alphas = [
            (label, value, value is not None and value < ALPHA_MIN)
            for label, value in (
                ("E", dim["alpha"]["expectation"]),
                ("P", dim["alpha"]["perception"]),
                (_("gap"), dim["alpha"]["gap"]),
            )
        ]
        rows.append(
            {
                **dim,
                "gap_text": _signed(dim["gap"]["mean"]),
                "gap_low": _signed(dim["gap"]["low"]),
                "gap_high": _signed(dim["gap"]["high"]),
                "alphas": alphas,
                "quadrant_label": QUADRANTS.get(dim.get("quadrant") or "", ""),
                "below_share": _percent(dim["below_share"]),
            }
        )
    return rows


def _heat_style(gap: float, scale: float) -> str:
    """Red below expectation, green above; stronger the further from zero."""
    strength = min(1.0, abs(gap) / scale) * 0.55
    rgb = "180, 35, 24" if gap < 0 else "11, 110, 79"
    return f"background-color: rgba({rgb}, {strength:.2f})"


def _breakdown(report: dict[str, Any], dimensions: list[dict[str, Any]]) -> dict[str, Any] | None:
    groups = report.get("groups")
    if not groups:
        return None
    shown = [r for r in groups["rows"] if not r["suppressed"]]
    values = [abs(v) for r in shown for v in r["gaps"].values() if v is not None]
    scale = max([0.5, *values])
    rows = []
    for row in groups["rows"]:
        cells = []
        for dim in dimensions:
            gap = None if row["suppressed"] else row["gaps"].get(dim["code"])
            cells.append(
                {
                    "name": dim["name"],
                    "text": _signed(gap),
                    "style": _heat_style(gap, scale) if gap is not None else "",
                }
            )
        rows.append(
            {
                "label": row["label"],
                "n": row["n"],
                "suppressed": row["suppressed"],
                "cells": cells,
                "overall_text": _signed(None if row["suppressed"] else row["overall_gap"]),
            }
        )
    return {"by": groups["by"], "by_label": BREAKDOWNS.get(groups["by"], ""), "rows": rows}


def _ranking(report: dict[str, Any], dimensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {d["code"]: d["name"] for d in dimensions}
    groups = {r["key"]: r["label"] for r in (report.get("groups") or {}).get("rows", [])}
    return [
        {
            "dimension": names.get(cell["dimension"], cell["dimension"]),
            "group": groups.get(cell["group"], cell["group"]),
            "gap_text": _signed(cell["gap"]),
            "p_adjusted": cell["p_adjusted"],
            "significant": cell["p_adjusted"] is not None and cell["p_adjusted"] < SIGNIFICANT,
        }
        for cell in report.get("ranking") or []
    ]


def _chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """What static/js/quality.js draws: gaps with their intervals, importance × performance."""
    dimensions = report["dimensions"]
    ipa = report.get("ipa")
    points = [
        {
            "name": d["name"],
            "x": d["importance"],
            "y": d["perception"]["mean"],
            "quadrant": d["quadrant"],
            "color": QUADRANT_COLORS.get(d["quadrant"] or "", "#616e7c"),
        }
        for d in dimensions
        if d.get("importance") is not None
    ]
    return {
        "labels": {
            "gap": _("Gap (perception − expectation)"),
            "interval": _("Interval (95 %)"),
            "respondents": _("Respondents"),
            "importance": _("Importance (points of 100)"),
            "importance_short": _("Importance"),
            "performance": _("Perception (mean, 1–7)"),
            "performance_short": _("Perception"),
            "mean": _("mean"),
            "quadrants": {code: str(label) for code, label in QUADRANTS.items()},
        },
        "colors": {"gap": GAP_COLOR, "below": LOW_ALPHA_COLOR, "quadrants": QUADRANT_COLORS},
        "gaps": [
            {
                "name": d["name"],
                "n": d["n"],
                "mean": d["gap"]["mean"],
                "low": d["gap"]["low"],
                "high": d["gap"]["high"],
            }
            for d in dimensions
        ],
        "ipa": (
            {
                "importance_mean": ipa["importance_mean"],
                "performance_mean": ipa["performance_mean"],
                "points": points,
            }
            if ipa and points
            else None
        ),
    }


def _nps_context(user: User, wave: Wave) -> dict[str, Any]:
    """NPS in points with its interval, by shop class (groups under MIN_GROUP hidden)."""
    report = reports.nps_report(user=user, wave_id=wave.pk, by="segment")

    def view(row: dict[str, Any]) -> dict[str, Any]:
        if row["suppressed"]:
            return row
        return row | {
            "nps_text": _signed(row["nps"], 0),
            "low_text": _signed(row["low"], 0),
            "high_text": _signed(row["high"], 0),
            "promoters_share": _percent(row["promoters"] / row["n"]),
            "detractors_share": _percent(row["detractors"] / row["n"]),
        }

    return {
        "report": None,
        "nps": {
            "overall": view(report["overall"]),
            "rows": [view(row) for row in report["groups"]["rows"]],
        },
    }


def _results_context(user: User, wave: Wave, by: str | None) -> dict[str, Any]:
    if wave.instrument.kind == Instrument.Kind.NPS:
        return _nps_context(user, wave)
    if wave.instrument.kind != Instrument.Kind.SERVQUAL:
        return {"report": None}
    report = reports.servqual_report(user=user, wave_id=wave.pk, by=by)
    if report["suppressed"]:
        return {"report": report}
    dimensions = _dimension_rows(report["dimensions"])
    overall = report["overall"]
    return {
        "report": report,
        "dimensions": dimensions,
        "overall": {
            **overall,
            "gap_text": _signed(overall["gap"]["mean"]),
            "gap_low": _signed(overall["gap"]["low"]),
            "gap_high": _signed(overall["gap"]["high"]),
            "weighted_text": _signed(overall.get("weighted_gap")),
            "below_share": _percent(overall["below_share"]),
        },
        "breakdown": _breakdown(report, dimensions),
        "ranking": _ranking(report, dimensions),
        "chart_data": _chart_data(report),
    }


def _wave_context(request: HttpRequest, wave: Wave) -> dict[str, Any]:
    user = request.user
    by = request.GET.get("by") or None
    by = by if by in BREAKDOWNS else None
    return {
        "wave": wave,
        "progress": _wave_row(wave),
        "target_lines": _target_view(user, wave.target),
        "can_manage": policy.has_perm(user, Perm.QUALITY_MANAGE),
        "by": by,
        "breakdowns": list(BREAKDOWNS.items()),
        "min_group": MIN_GROUP,
        "alpha_min": ALPHA_MIN,
        "significant": SIGNIFICANT,
        **_results_context(user, wave, by),
        **_comparison_context(user, wave, request.GET.get("compare")),
    }


def _comparison_context(user: User, wave: Wave, compare: str | None) -> dict[str, Any]:
    """Another wave of the same SERVQUAL questionnaire to compare with (Welch t on all
    respondents, paired t on the shops in both), and a staff wave's knowledge gap."""
    if wave.instrument.kind != Instrument.Kind.SERVQUAL:
        return {}
    if wave.audience == Wave.Audience.STAFF:
        gap = reports.knowledge_gap(user=user, wave_id=wave.pk)
        if gap and not gap["suppressed"]:
            names = dict(wave.instrument.dimensions.values_list("code", "name"))
            for row in gap["dimensions"]:
                row["name"] = names.get(row["code"], row["code"])
                row["gap_text"] = _signed(row["gap"])
        return {"knowledge_gap": gap}
    others = list(
        selectors.wave_list(user=user)
        .filter(instrument=wave.instrument, audience=Wave.Audience.SHOPS)
        .exclude(pk=wave.pk)
        .order_by("-opens_at")
    )
    context: dict[str, Any] = {"compare_choices": others, "compare_id": None}
    chosen = next((w for w in others if str(w.pk) == (compare or "")), None)
    if chosen is None:
        return context
    # the earlier wave is "before": the change reads later − earlier
    first, second = (chosen, wave) if chosen.opens_at <= wave.opens_at else (wave, chosen)
    report = reports.servqual_report(user=user, wave_id=second.pk, compare_to=first.pk)
    comparison = report["comparison"]
    if report["suppressed"] or comparison is None or comparison["suppressed"]:
        return context | {"compare_id": chosen.pk, "comparison": {"suppressed": True}}
    names = dict(wave.instrument.dimensions.values_list("code", "name"))
    rows = []
    for row in comparison["dimensions"]:
        paired = row["paired"] or {}
        rows.append(
            {
                "name": names.get(row["code"], row["code"]),
                "before": _signed(row["before"]),
                "after": _signed(row["after"]),
                "change": _signed(None if row["before"] is None else row["after"] - row["before"]),
                "p": row["welch"]["p"],
                "paired_n": paired.get("n"),
                "paired_change": _signed(paired.get("mean_change")),
                "paired_p": paired.get("p"),
            }
        )
    return context | {
        "compare_id": chosen.pk,
        "comparison": {"suppressed": False, "first": first, "second": second, "rows": rows},
    }


@login_required
@require_GET
def quality_wave(request: HttpRequest, wave_id: int) -> HttpResponse:
    """A wave's progress and SERVQUAL results; ``?by=`` breaks the gaps down by a group."""
    user = _viewer(request)
    wave = selectors.wave_get(user=user, wave_id=wave_id)
    context = _wave_context(request, wave)
    template = "quality/console_wave.html"
    if is_htmx(request):  # the breakdown picker swaps only its section
        template = "quality/_console_breakdown.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def quality_wave_remind(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Remind the invited who have not answered; a closed or unopened wave says why not."""
    user = _viewer(request)
    try:
        count = surveys.wave_remind(actor=user, wave_id=wave_id)
    except AppError as exc:
        scope_errors_pass(exc)
        if isinstance(exc, Forbidden):
            raise
        wave = selectors.wave_get(user=user, wave_id=wave_id)
        context = _wave_context(request, wave) | {"remind_error": exc}
        return render(request, "quality/console_wave.html", context, status=exc.status)
    messages.success(
        request,
        ngettext(
            "Reminded %(count)s invitee who has not answered yet.",
            "Reminded %(count)s invitees who have not answered yet.",
            count,
        )
        % {"count": count},
    )
    return redirect("console:quality_wave", wave_id=wave_id)
