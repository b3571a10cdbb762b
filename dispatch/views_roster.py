"""Console pages for working time: the week's roster, my hours, the rules, a staff profile.

A dispatcher sees every field staff member × the week's days and sets anyone's day; field staff
see and set their own next two weeks, with the company's rules beside them. Clicking a cell swaps
in a small form (htmx, ``_roster_cell.html``); the answer is the updated cell, or the form again
with its errors (422). Without JavaScript the cell links to a page with the same form.
"""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import STAFF_ROLES, User
from dispatch import booking_selectors as selectors
from dispatch.forms import DayForm, ProfileForm, WorkRulesForm
from dispatch.models import StaffProfile, WorkRules
from dispatch.services import availability
from flexserve import policy
from flexserve.errors import AppError, Invalid, NotFound
from flexserve.policy import Perm
from flexserve.web import is_htmx

MY_DAYS = 14


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@login_required
@require_GET
def roster_week(request: HttpRequest) -> HttpResponse:
    """The week grid for dispatchers; "my hours" for field staff; the rules for everyone."""
    user = request.user
    policy.require(user, Perm.CONSOLE_USE)
    sees_all = policy.has_perm(user, Perm.DISPATCH_VIEW)
    works = policy.has_perm(user, Perm.VISIT_WORK)
    if not (sees_all or works):
        policy.require(user, Perm.DISPATCH_VIEW)  # 403
    rules = WorkRules.current()
    picked = parse_date(request.GET.get("week") or "") if request.GET.get("week") else None
    monday = _monday(picked or timezone.localdate())
    context: dict[str, Any] = {
        "rules": rules,
        "rules_text": availability.rules_text(rules),
        "can_edit_rules": policy.has_perm(user, Perm.WORK_RULES_EDIT),
        "can_plan": policy.has_perm(user, Perm.DISPATCH_PLAN),
        "today": timezone.localdate(),
    }
    if sees_all:
        context.update(
            week=selectors.roster_week(user, monday),
            days=[monday + datetime.timedelta(days=i) for i in range(7)],
            monday=monday,
            previous=monday - datetime.timedelta(days=7),
            next=monday + datetime.timedelta(days=7),
        )
    if works:
        context["mine"] = selectors.my_hours(user, MY_DAYS)
    return render(request, "dispatch/roster_week.html", context)


def _cell_response(
    request: HttpRequest,
    cell: selectors.RosterCell,
    *,
    form: DayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"cell": cell, "form": form, "editing": form is not None}
    if is_htmx(request):
        return render(request, "dispatch/_roster_cell.html", context, status=status)
    return render(request, "dispatch/roster_day.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def roster_day(request: HttpRequest) -> HttpResponse:
    """One staff member's day: the form (GET), or set / clear it (POST) and answer the cell."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    try:
        staff_id = int(source.get("user", ""))
    except ValueError:
        raise NotFound() from None
    day = parse_date(source.get("day") or "")
    if day is None:
        raise NotFound()
    cell = selectors.roster_cell(user, staff_id, day)
    if cell is None:
        raise NotFound()
    if request.method == "GET":
        if source.get("show") == "1" or not cell.editable:
            return _cell_response(request, cell)
        initial = {"kind": cell.kind if cell.kind != "free" else "off", "note": cell.note}
        initial.update(start=cell.start, end=cell.end)
        return _cell_response(request, cell, form=DayForm(initial=initial))
    form = DayForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "clear":
                availability.clear_day(user, staff_id, day)
            else:
                availability.set_day(
                    user,
                    staff_id,
                    day,
                    kind=data["kind"],
                    start=data["start"],
                    end=data["end"],
                    note=data["note"],
                )
        except Invalid as exc:
            form.add_service_errors(exc)
        except AppError as exc:
            form.add_error(None, exc.render_message())
            status = exc.status
        else:
            if not is_htmx(request):
                messages.success(request, _("The day is saved."))
                return redirect("console:roster_week")
            return _cell_response(request, selectors.roster_cell(user, staff_id, day))
    return _cell_response(request, cell, form=form, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def roster_rules(request: HttpRequest) -> HttpResponse:
    """The company's working-time and booking rules (WORK_RULES_EDIT)."""
    user = request.user
    policy.require(user, Perm.WORK_RULES_EDIT)
    rules = WorkRules.current()
    status = 200
    if request.method == "POST":
        form = WorkRulesForm(request.POST, instance=WorkRules.current())
        status = 422
        if form.is_valid():
            try:
                availability.update_rules(user, **form.cleaned_data)
            except Invalid as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The work rules are saved."))
                return redirect("console:roster_rules")
    else:
        form = WorkRulesForm(instance=rules)
    return render(request, "dispatch/roster_rules.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def roster_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """A field staff member's usual week, start place and most visits (DISPATCH_PLAN)."""
    user = request.user
    policy.require(user, Perm.DISPATCH_PLAN)
    staff = User.objects.filter(pk=user_id, role__in=STAFF_ROLES).first()
    if staff is None:
        raise NotFound()
    profile = StaffProfile.objects.filter(user=staff).first()
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile or StaffProfile(user=staff))
        status = 422
        if form.is_valid():
            try:
                availability.save_profile(user, staff.pk, **form.cleaned_data)
            except Invalid as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The profile is saved."))
                return redirect("console:roster_profile", user_id=staff.pk)
    else:
        form = ProfileForm(instance=profile)
    context = {"form": form, "staff": staff, "profile": profile}
    return render(request, "dispatch/roster_profile.html", context, status=status)
