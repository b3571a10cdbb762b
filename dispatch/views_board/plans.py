"""A plan's run: its progress page, publishing it, and moving a job by hand."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dispatch import selectors
from dispatch.models import Plan
from dispatch.services import planning
from dispatch.views_board.common import (
    RUNNING_STATES,
    _day_of,
    _explained,
    _form_error,
    _planner,
    _viewer,
    board_url,
)
from dispatch.views_board.forms import MoveForm, _move_choices
from flexserve import policy
from flexserve.errors import AppError, Conflict
from flexserve.policy import Perm
from flexserve.web import is_htmx, safe_redirect, scope_errors_pass

STAT_LABELS = {
    "jobs": gettext_lazy("Jobs"),
    "placed": gettext_lazy("Placed"),
    "unplaced": gettext_lazy("Not placed"),
    "later": gettext_lazy("Routine visits due later (not placed yet)"),
    "required_unplaced": gettext_lazy("Bookings and urgent visits not placed"),
    "routes": gettext_lazy("Routes"),
    "travel_s": gettext_lazy("Travel (hours)"),
    "distance_m": gettext_lazy("Distance (km)"),
    "violations": gettext_lazy("Rules broken"),
    "moved_by_hand": gettext_lazy("Moved by hand"),
    "runtime_s": gettext_lazy("Run time (seconds)"),
}


def _plan_stats(plan: Plan) -> list[dict[str, Any]]:
    """The run's figures we know how to name, in a fixed order, units made readable."""
    stats = plan.stats or {}
    rows = []
    for key, label in STAT_LABELS.items():
        if key not in stats or stats[key] is None:
            continue
        value = stats[key]
        if key == "travel_s":
            value = round(value / 3600, 1)
        elif key == "distance_m":
            value = round(value / 1000, 1)
        elif key == "runtime_s":
            value = round(value, 1)
        elif isinstance(value, list | tuple | dict):
            value = len(value)
        alert = key in ("required_unplaced", "violations") and bool(value)
        rows.append({"key": key, "label": label, "value": value, "alert": alert})
    return rows


def _plan_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    return {
        "plan": plan,
        "running": plan.state in RUNNING_STATES,
        "plan_stats": _plan_stats(plan),
        "board_link": board_url(plan.first_day, plan.pk),
        "can_plan": policy.has_perm(request.user, Perm.DISPATCH_PLAN),
    }


@login_required
@require_GET
def plan_progress(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A plan's run: polled every second (htmx) while it optimises, then its figures."""
    _viewer(request)
    plan = policy.get_visible(request.user, Plan, plan_id)
    context = _plan_context(request, plan)
    if is_htmx(request):
        return render(request, "dispatch/_plan_progress.html", context)
    return render(request, "dispatch/plan.html", context)


@login_required
@require_POST
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Make a ready plan the working plan of its days."""
    _planner(request)
    plan = policy.get_visible(request.user, Plan, plan_id)
    day = _day_of(request.POST.get("day")) if request.POST.get("day") else plan.first_day
    try:
        plan = planning.publish_plan(request.user, plan.pk)
    except AppError as exc:
        scope_errors_pass(exc)
        if is_htmx(request):
            context = {"plan": plan, "error": _explained(exc), "day": day, "can_plan": True}
            return render(request, "dispatch/_plan_publish.html", context, status=exc.status)
        messages.error(request, _publish_refusal(exc))
        return redirect(board_url(day, plan.pk))
    messages.success(
        request,
        _("Published: the routes of %(first)s – %(last)s are now the working plan.")
        % {"first": date_format(plan.first_day, "m-d"), "last": date_format(plan.last_day, "m-d")},
    )
    return safe_redirect(request, board_url(day, plan.pk))


def _publish_refusal(exc: AppError) -> str:
    if isinstance(exc, Conflict):
        return _("Not published: %(reason)s") % {"reason": exc.render_message()}
    return exc.render_message()


@login_required
@require_POST
def plan_move(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Move one job by hand; an infeasible target answers 422 with the reason, nothing moves."""
    _planner(request)
    plan = policy.get_visible(request.user, Plan, plan_id)
    day = _day_of(request.POST.get("day"))
    data = selectors.board(request.user, day, plan_id=plan.pk)
    form = MoveForm(request.POST, **_move_choices(data))
    try:
        if not form.is_valid():
            raise _form_error(form)
        staff_id = form.cleaned_data["staff"]
        moved = planning.move_job(
            request.user,
            plan.pk,
            form.cleaned_data["job"],
            staff_id=staff_id,
            day=form.cleaned_data["day"] if staff_id else None,
            position=form.cleaned_data["position"] - 1,
        )
    except AppError as exc:
        scope_errors_pass(exc)
        if is_htmx(request):
            context = {"move_form": form, "plan": plan, "day": day, "error": _explained(exc)}
            return render(request, "dispatch/_board_move.html", context, status=exc.status)
        messages.error(request, exc.render_message())
        return redirect(board_url(day, plan.pk))
    messages.success(request, _("The job was moved; the changed route was timed again."))
    return safe_redirect(request, board_url(day, moved.pk))
