"""Console pages of service initiatives (服务举措); ``quality/urls_console.py``.

- ``/console/quality/initiatives/``: the initiatives by type (seed 001's four), each with its
  latest survey funnel and the status of its goals; managers open a new one there (``new/``);
- ``/console/quality/initiatives/<id>/``: one initiative's report (``funnels.initiative_report``):
  the latest survey funnel as a chart, every funnel survey, before/after, the event funnel, the
  goals and the type history; managers change the type, add goals and start funnel surveys.

Survey and event figures are never put in one ratio, table or chart: they count different things
(respondents' answers against shops' bookings, visits and ratings). Reading needs
``QUALITY_VIEW``, every write ``QUALITY_MANAGE``; the services check both again. The chart reads a
``json_script`` blob drawn by static/js/initiatives.js.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import STAFF_ROLES, User
from customers import selectors as customer_selectors
from customers.models import channel_labels
from flexserve import policy
from flexserve.errors import AppError
from flexserve.policy import Perm
from flexserve.web import scope_errors_pass
from quality import funnels
from quality.forms import FunnelWaveForm, GoalForm, InitiativeForm, InitiativeTypeForm
from quality.funnel_labels import (
    EVENT_BASES,
    EVENT_SOURCES,
    STAGES,
    SURVEY_BASES,
    goal_view,
    percent,
)
from quality.models import MIN_GROUP, Goal, Initiative, InitiativeType, Wave
from quality.services import initiatives
from quality.views_console import (
    WAVE_STATES,
    _signed,
    _target_view,
    _viewer,
    wave_created_message,
)

SIGNIFICANT = 0.05  # p below this is marked in the before/after table

# Seed 001's four types: a short name for badges and the one line that says what each is for.
TYPES = {
    InitiativeType.BASIC: (
        pgettext_lazy("initiative type", "Basic"),
        gettext_lazy("All shops. Must never fail: watched through failures and complaints."),
    ),
    InitiativeType.STANDARD: (
        pgettext_lazy("initiative type", "Standard"),
        gettext_lazy("What the trade expects: stay a step ahead of it."),
    ),
    InitiativeType.EXTENDED: (
        pgettext_lazy("initiative type", "Extended"),
        gettext_lazy("High-value shops: the most value for the least cost."),
    ),
    InitiativeType.EMOTIONAL: (
        pgettext_lazy("initiative type", "Emotional"),
        gettext_lazy("All shops: personal care."),
    ),
}
STAGE_COLOR = "#1d4ed8"


def _points(change: float | None) -> str:
    """A change of shares in percentage points, signed: "+38.0"."""
    return _signed(None if change is None else 100 * change, 1)


def _p_text(p: float | None, named: bool = False) -> str:
    """A p-value as read: "0.031", "< 0.001"; ``named`` as a phrase: "p = 0.031", "p < 0.001"."""
    if p is None:
        return "–"
    if p < 0.001:
        return "p < 0.001" if named else "< 0.001"
    return f"p = {p:.3f}" if named else f"{p:.3f}"


def _type_view(code: str) -> dict[str, Any]:
    name, explanation = TYPES.get(code, (code, ""))
    return {"code": code, "name": name, "explanation": explanation}


def _stage_shares(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"code": s["stage"], "name": STAGES[s["stage"]], "share": percent(s["share"])}
        for s in stages
    ]


def _staff_choices() -> list[User]:
    return list(User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("username"))


# --- List ------------------------------------------------------------------------------------


def _list_row(user: User, initiative: Initiative) -> dict[str, Any]:
    """An initiative as listed: its latest survey funnel that may be shown, its goals' status."""
    survey = funnels.survey_funnels(user, initiative)
    shown = [f for f in survey if not f["suppressed"]]
    latest = shown[-1] if shown else None
    goals = funnels.goal_rows(list(initiative.goals.all()), latest)
    return {
        "initiative": initiative,
        "type": _type_view(initiative.type),
        "channels": channel_labels(initiative.channels),
        "target_lines": _target_view(user, initiative.target),
        "waves": len(survey),
        "latest": (
            {
                "wave": latest["wave"],
                "surveyed": latest["counts"]["surveyed"],
                "stages": _stage_shares(latest["stages"]),
            }
            if latest
            else None
        ),
        "goals": [goal_view(row) for row in goals],
    }


def _initiative_form(request: HttpRequest, user: User) -> InitiativeForm:
    choices = {
        "districts": customer_selectors.district_list(user=user),
        "grids": customer_selectors.grid_list(user=user).order_by("district__name", "name"),
        "service_items": customer_selectors.service_item_list(user=user),
        "owners": _staff_choices(),
    }
    if request.method == "POST":
        return InitiativeForm(request.POST, **choices)
    today = timezone.localdate()
    initial = {
        "owner_id": user.pk,
        "starts_on": today,
        "ends_on": today + timedelta(days=90),
        "type": InitiativeType.STANDARD,
    }
    return InitiativeForm(initial=initial, **choices)


def _render_list(
    request: HttpRequest, user: User, form: InitiativeForm | None = None, status: int = 200
) -> HttpResponse:
    goals = Prefetch("goals", queryset=Goal.objects.order_by("deadline", "pk"))
    rows = [
        _list_row(user, i)
        for i in funnels.initiative_list(user=user).prefetch_related(goals).order_by("name")
    ]
    sections = [
        {**_type_view(code), "rows": [r for r in rows if r["initiative"].type == code]}
        for code in InitiativeType.values
    ]
    can_manage = policy.has_perm(user, Perm.QUALITY_MANAGE)
    if can_manage and form is None:
        form = _initiative_form(request, user)
    context = {
        "sections": sections,
        "count": len(rows),
        "can_manage": can_manage,
        "form": form if can_manage else None,
        "min_group": MIN_GROUP,
    }
    return render(request, "quality/console_initiatives.html", context, status=status)


@login_required
@require_GET
def quality_initiatives(request: HttpRequest) -> HttpResponse:
    """The initiatives by type with their latest funnel and goals; managers may add one."""
    return _render_list(request, _viewer(request))


@login_required
@require_POST
def quality_initiative_new(request: HttpRequest) -> HttpResponse:
    """Create an initiative and open its page; a refused form comes back with 422."""
    user = _viewer(request)
    policy.require(user, Perm.QUALITY_MANAGE)
    form = _initiative_form(request, user)
    if form.is_valid():
        try:
            initiative = initiatives.initiative_create(actor=user, **form.initiative_kwargs())
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            messages.success(
                request, _("Initiative “%(name)s” created.") % {"name": initiative.name}
            )
            return redirect("console:quality_initiative", initiative_id=initiative.pk)
    return _render_list(request, user, form, status=422)


# --- One initiative --------------------------------------------------------------------------


def _latest_view(latest: dict[str, Any]) -> dict[str, Any]:
    stages = [
        {
            "code": s["stage"],
            "name": STAGES[s["stage"]],
            "base_label": SURVEY_BASES[s["stage"]],
            "count": s["count"],
            "base": s["base"],
            "share": percent(s["share"]),
            "low": percent(s["low"]),
            "high": percent(s["high"]),
        }
        for s in latest["stages"]
    ]
    return {"wave": latest["wave"], "counts": latest["counts"], "stages": stages}


def _chart_data(latest: dict[str, Any]) -> dict[str, Any]:
    """What static/js/initiatives.js draws: the latest survey's four shares with intervals."""
    return {
        "labels": {
            "share": _("Share, %"),
            "interval": _("Interval (95 %)"),
            "of": _("%(count)s of %(base)s"),
        },
        "color": STAGE_COLOR,
        "stages": [
            {
                "name": str(s["name"]),
                "base_label": str(s["base_label"]),
                "count": s["count"],
                "base": s["base"],
                "share": s["share"],
                "low": s["low"],
                "high": s["high"],
            }
            for s in latest["stages"]
        ],
    }


def _wave_state(wave: Wave) -> tuple[str, Any, str]:
    now = timezone.now()
    state = "scheduled" if now < wave.opens_at else "open" if now < wave.closes_at else "closed"
    label, css = WAVE_STATES[state]
    return state, label, css


def _funnel_rows(survey: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for item in reversed(survey):  # newest first, as the waves are listed elsewhere
        state, label, css = _wave_state(item["wave"])
        rows.append(
            {
                "wave": item["wave"],
                "state": state,
                "state_label": label,
                "state_class": css,
                "suppressed": item["suppressed"],
                "surveyed": None if item["suppressed"] else item["counts"]["surveyed"],
                "stages": [] if item["suppressed"] else _stage_shares(item["stages"]),
            }
        )
    return rows


def _comparison_view(comparison: dict[str, Any] | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    rows = []
    for change in comparison["stages"]:
        tested = change["test"] != "none"
        significant = change["p"] is not None and change["p"] < SIGNIFICANT
        # coloured only when significant: a rise within the noise is no good news yet
        direction = ""
        if significant and change["change"]:
            direction = "up" if change["change"] > 0 else "down"
        rows.append(
            {
                "code": change["stage"],
                "name": STAGES[change["stage"]],
                "base_label": SURVEY_BASES[change["stage"]],
                "before": percent(change["before"]),
                "after": percent(change["after"]),
                "change": _points(change["change"]) if tested else "–",
                "low": _points(change["low"]) if tested else None,
                "high": _points(change["high"]) if tested else None,
                "direction": direction,
                "p": _p_text(change["p"]),
                "significant": significant,
            }
        )
    paired = comparison["paired"].get("awareness")
    return {
        "before": comparison["before"],
        "after": comparison["after"],
        "rows": rows,
        "paired": (
            {
                "before": percent(paired["before"]),
                "after": percent(paired["after"]),
                "change": _points(paired["change"]),
                "p": _p_text(paired["p"], named=True),
                "significant": paired["p"] is not None and paired["p"] < SIGNIFICANT,
            }
            if paired
            else None
        ),
    }


def _events_view(events: dict[str, Any] | None) -> dict[str, Any] | None:
    if events is None:
        return None
    rows = [
        {
            "code": s["stage"],
            "name": STAGES[s["stage"]],
            "source": s["source"],
            "source_label": EVENT_SOURCES.get(s["source"] or "", ""),
            "base_label": EVENT_BASES.get(s["stage"], ""),
            "count": s["count"],
            "base": s["base"],
            "share": percent(s["share"]),
        }
        for s in events["stages"]
    ]
    return {"targeted": events["targeted"], "suppressed": events["suppressed"], "rows": rows}


def _history_view(history: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "change": change,
            "from": _type_view(change.from_type) if change.from_type else None,
            "to": _type_view(change.to_type),
        }
        for change in reversed(history)  # newest first
    ]


def _detail_forms(initiative: Initiative, user: User) -> dict[str, Any]:
    """Empty forms for a manager, with sensible starting values."""
    today = timezone.localdate()
    opens_at = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    owners = _staff_choices()
    return {
        "type_form": InitiativeTypeForm(current=initiative.type),
        "goal_form": GoalForm(
            initial={
                "starts_on": today,
                "deadline": max(initiative.ends_on, today + timedelta(days=30)),
                "owner_id": user.pk,
            },
            owners=owners,
        ),
        "wave_form": FunnelWaveForm(
            initial={"opens_at": opens_at, "closes_at": opens_at + timedelta(days=14)}
        ),
    }


def _render_detail(
    request: HttpRequest,
    user: User,
    initiative_id: int,
    status: int = 200,
    **bound_forms: Any,
) -> HttpResponse:
    report = funnels.initiative_report(user=user, initiative_id=initiative_id)
    initiative = report["initiative"]
    latest = report["latest"]
    can_manage = policy.has_perm(user, Perm.QUALITY_MANAGE)
    context = {
        "initiative": initiative,
        "type": _type_view(initiative.type),
        "channels": channel_labels(initiative.channels),
        "target_lines": _target_view(user, initiative.target),
        "waves": len(report["funnels"]),
        "latest": _latest_view(latest) if latest else None,
        "chart_data": _chart_data(_latest_view(latest)) if latest else None,
        "funnel_rows": _funnel_rows(report["funnels"]),
        "comparison": _comparison_view(report["comparison"]),
        "events": _events_view(report["events"]),
        "goals": [goal_view(row) for row in report["goals"]],
        "history": _history_view(report["history"]),
        "can_manage": can_manage,
        "min_group": MIN_GROUP,
        "significant": SIGNIFICANT,
        "stage_bases": [(STAGES[code], label) for code, label in SURVEY_BASES.items()],
    }
    if can_manage:
        context |= _detail_forms(initiative, user) | bound_forms
    return render(request, "quality/console_initiative.html", context, status=status)


@login_required
@require_GET
def quality_initiative(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """One initiative: survey funnels, before/after, event funnel, goals and type history."""
    return _render_detail(request, _viewer(request), initiative_id)


def _manager_post(request: HttpRequest, initiative_id: int) -> tuple[User, Initiative]:
    user = _viewer(request)
    policy.require(user, Perm.QUALITY_MANAGE)
    return user, funnels.initiative_get(user=user, initiative_id=initiative_id)


@login_required
@require_POST
def quality_initiative_type(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """Move the initiative to another type; the change and its reason join the history."""
    user, initiative = _manager_post(request, initiative_id)
    form = InitiativeTypeForm(request.POST, current=initiative.type)
    if form.is_valid():
        try:
            initiative = initiatives.initiative_change_type(
                actor=user,
                initiative_id=initiative.pk,
                to_type=form.cleaned_data["to_type"],
                reason=form.cleaned_data["reason"],
            )
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            messages.success(
                request,
                _("The initiative is now of the type “%(type)s”.")
                % {"type": _type_view(initiative.type)["name"]},
            )
            return redirect("console:quality_initiative", initiative_id=initiative.pk)
    return _render_detail(request, user, initiative.pk, status=422, type_form=form)


@login_required
@require_POST
def quality_initiative_goal(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """Add a SMART goal; the form's percentages become the service's fractions."""
    user, initiative = _manager_post(request, initiative_id)
    form = GoalForm(request.POST, owners=_staff_choices())
    if form.is_valid():
        try:
            goal = initiatives.goal_set(
                actor=user, initiative_id=initiative.pk, **form.goal_kwargs()
            )
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            messages.success(
                request,
                _("Goal added: %(metric)s from %(baseline)s %% to %(target)s %% by %(deadline)s.")
                % {
                    "metric": STAGES[goal.metric],
                    "baseline": percent(goal.baseline),
                    "target": percent(goal.target),
                    "deadline": goal.deadline.isoformat(),
                },
            )
            return redirect("console:quality_initiative", initiative_id=initiative.pk)
    return _render_detail(request, user, initiative.pk, status=422, goal_form=form)


@login_required
@require_POST
def quality_initiative_wave(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """Start a funnel survey of the initiative's target group."""
    user, initiative = _manager_post(request, initiative_id)
    form = FunnelWaveForm(request.POST)
    if form.is_valid():
        try:
            wave = initiatives.funnel_wave_create(
                actor=user, initiative_id=initiative.pk, **form.wave_kwargs()
            )
        except AppError as exc:
            scope_errors_pass(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, wave_created_message(wave))
            return redirect("console:quality_initiative", initiative_id=initiative.pk)
    return _render_detail(request, user, initiative.pk, status=422, wave_form=form)
