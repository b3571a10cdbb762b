"""The board page of a day, starting an optimisation, and generating routine visits."""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from customers.models import Segment
from dispatch import selectors
from dispatch.models import Plan, WorkRules
from dispatch.services import planning, routine
from dispatch.views_board.charts import _board_context
from dispatch.views_board.common import (
    RUNNING_STATES,
    _day_of,
    _form_error,
    _int_or_none,
    _planner,
    _refused,
    _viewer,
    board_url,
)
from dispatch.views_board.forms import OptimiseForm, RoutineForm
from flexserve import policy
from flexserve.errors import AppError
from flexserve.policy import Perm
from flexserve.web import is_htmx, safe_redirect, scope_errors_pass

# The plan chooser offers these (superseded and failed runs only when shown).
CHOOSABLE = (*RUNNING_STATES, Plan.State.READY, Plan.State.PUBLISHED)


def _day_link(day: datetime.date, plan: Plan | None) -> str:
    """The board of ``day``, keeping the plan shown when it covers that day too."""
    keep = plan is not None and plan.first_day <= day <= plan.last_day
    return board_url(day, plan.pk if keep else None)


def _board_page_context(request: HttpRequest, day: datetime.date, plan_id: int | None):
    data = selectors.board(request.user, day, plan_id=plan_id)
    rules = WorkRules.current()
    can_plan = policy.has_perm(request.user, Perm.DISPATCH_PLAN)
    context: dict[str, Any] = {
        "board": data,
        "day": data.day,
        "plan": data.plan,
        "plans": [p for p in data.plans if p.state in CHOOSABLE or p == data.plan],
        "can_plan": can_plan,
        "today": timezone.localdate(),
        "prev_link": _day_link(data.day - datetime.timedelta(days=1), data.plan),
        "next_link": _day_link(data.day + datetime.timedelta(days=1), data.plan),
        "today_link": _day_link(timezone.localdate(), data.plan),
        "is_draft": data.plan is not None and data.plan.state == Plan.State.READY,
        **_board_context(request, data),
    }
    if can_plan:
        context["optimise_form"] = OptimiseForm(
            initial={"day": data.day, "scope": "day", "seconds": rules.plan_seconds}
        )
        monday = data.day - datetime.timedelta(days=data.day.weekday())
        context["routine_form"] = RoutineForm(
            initial={
                "first_day": max(monday, timezone.localdate()),
                "weeks": rules.routine_horizon_weeks,
            }
        )
    return context


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The routes of a day: plan chooser, figures, timeline, map, unplaced jobs, route tables."""
    _viewer(request)
    day = _day_of(request.GET.get("day"))
    context = _board_page_context(request, day, _int_or_none(request.GET.get("plan")))
    return render(request, "dispatch/board.html", context)


@login_required
@require_POST
def optimise(request: HttpRequest) -> HttpResponse:
    """Start optimising a day or its week; the progress page follows the run."""
    _planner(request)
    form = OptimiseForm(request.POST)
    day = _day_of(request.POST.get("day"))
    try:
        if not form.is_valid():
            raise _form_error(form)
        first_day, last_day = form.days()
        plan = planning.start_plan(
            request.user,
            first_day=first_day,
            last_day=last_day,
            seconds=form.cleaned_data["seconds"],
        )
    except AppError as exc:
        scope_errors_pass(exc)
        return _refused(request, exc, board_url(day))
    return safe_redirect(request, reverse("console:dispatch_plan", args=[plan.pk]))


@login_required
@require_POST
def routine_visits(request: HttpRequest) -> HttpResponse:
    """Generate the routine visits of the coming weeks from the service plans; show the counts."""
    _planner(request)
    form = RoutineForm(request.POST)
    back = board_url(_day_of(request.POST.get("day")))
    try:
        if not form.is_valid():
            raise _form_error(form)
        result = routine.generate_routine(
            request.user,
            first_day=form.cleaned_data["first_day"],
            weeks=form.cleaned_data["weeks"],
        )
    except AppError as exc:
        scope_errors_pass(exc)
        return _refused(request, exc, back)
    labels = dict(Segment.choices)
    by_segment = [
        {"segment": key, "label": labels.get(key, key), "count": count}
        for key, count in sorted((result.by_segment or {}).items())
    ]
    context = {"result": result, "by_segment": by_segment, "form": form}
    if is_htmx(request):
        return render(request, "dispatch/_board_routine_result.html", context)
    messages.success(
        request,
        _("Routine visits: %(created)s created, %(kept)s already planned.")
        % {"created": result.created, "kept": result.kept},
    )
    return redirect(back)
