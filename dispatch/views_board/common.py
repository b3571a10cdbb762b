"""Shared by the board's views: permissions, query parsing, board links, times, refusals."""

import datetime

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from dispatch.models import Plan
from flexserve import policy
from flexserve.errors import AppError, Invalid
from flexserve.policy import Perm
from flexserve.schemas import FIRST_DAY, LAST_DAY, day_out_of_range
from flexserve.web import is_htmx

RUNNING_STATES = (Plan.State.QUEUED, Plan.State.RUNNING)


def _viewer(request: HttpRequest) -> None:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.DISPATCH_VIEW)


def _planner(request: HttpRequest) -> None:
    _viewer(request)
    policy.require(request.user, Perm.DISPATCH_PLAN)


def _day_of(value: str | None) -> datetime.date:
    """The day in the query (YYYY-MM-DD), today when missing or not a date; 422 out of range."""
    try:
        day = parse_date(value or "")
    except ValueError:
        day = None
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        # The board also shows the day before and after: 9999-12-31 would overflow.
        raise day_out_of_range("day")
    return day or timezone.localdate()


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def board_url(day: datetime.date, plan_id: int | None = None) -> str:
    query = {"day": day.isoformat()}
    if plan_id:
        query["plan"] = plan_id
    return f"{reverse('console:dispatch_board')}?{urlencode(query)}"


def _origin(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _minutes(value: datetime.datetime | None, origin: datetime.datetime) -> float | None:
    """Minutes from the day's local midnight (None stays None)."""
    if value is None:
        return None
    return round((value - origin).total_seconds() / 60, 1)


def _hm(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M") if value else ""


def _span(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    return f"{_hm(start)}–{_hm(end)}" if start and end else ""


def _explained(exc: AppError) -> AppError:
    """The refusal as shown: field messages as text, those the message already says left out."""
    message = exc.render_message()
    fields = {}
    for name, messages_ in exc.fields.items():
        kept = [str(m) for m in messages_ if str(m) not in message]
        if kept:
            fields[name] = kept
    exc.fields = fields
    return exc


def _form_error(form: forms.Form) -> Invalid:
    fields = {
        str(form.fields[name].label) if name in form.fields else name: [str(e) for e in errors]
        for name, errors in form.errors.items()
    }
    return Invalid(_("Nothing was changed; please correct the marked fields."), fields=fields)


def _refused(request: HttpRequest, exc: AppError, back: str) -> HttpResponse:
    """A refused action: in place for htmx (the status kept), else a message on the board."""
    if is_htmx(request):
        context = {"error": _explained(exc)}
        return render(request, "dispatch/_board_alert.html", context, status=exc.status)
    messages.error(request, exc.render_message())
    return redirect(back)
