"""The field staff's phone pages (/console/field/): the day's route, check-in, the outcome form,
and the visit photos (served only to those who may see the shop).

Thin: parse the input, call ``dispatch.services.visits`` or ``dispatch.field_selectors``, render.
A refused post shows the service's message on the page it came from (with its status) and
changes nothing; a success redirects back to the day with a message.
"""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from dispatch import field_selectors
from dispatch.models import VisitOutcome, VisitPhoto
from dispatch.services import visits
from flexserve import policy
from flexserve.errors import AppError, NotAuthenticated, NotFound
from flexserve.policy import Perm


def _field_staff(request: HttpRequest) -> User:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.VISIT_WORK)
    return request.user


def _day(value: str | None) -> datetime.date:
    return (parse_date(value) if value else None) or timezone.localdate()


def _day_url(day: datetime.date) -> str:
    url = reverse("console:field_day")
    return url if day == timezone.localdate() else f"{url}?day={day.isoformat()}"


def _pass_scope_errors(exc: AppError) -> None:
    """Out of scope stays a 404 page (and logged-out a log-in); other failures go on the page."""
    if isinstance(exc, NotFound | NotAuthenticated):
        raise exc


def _day_context(user: User, day: datetime.date) -> dict[str, Any]:
    stops = field_selectors.my_day(user, day)
    today = timezone.localdate()
    return {
        "day": day,
        "is_today": day == today,
        "today": today,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "stops": stops,
        "summary": field_selectors.day_summary(stops),
    }


@login_required
@require_GET
def field_day(request: HttpRequest) -> HttpResponse:
    """Today's route (or ``?day=YYYY-MM-DD``) as numbered cards."""
    user = _field_staff(request)
    context = _day_context(user, _day(request.GET.get("day")))
    return render(request, "dispatch/field_day.html", context)


@login_required
@require_POST
def field_check_in(request: HttpRequest, job_id: int) -> HttpResponse:
    """Check in: the browser's position when it gave one (hidden inputs), else none."""
    user = _field_staff(request)
    try:
        report = visits.check_in(
            user,
            job_id,
            latitude=request.POST.get("latitude") or None,
            longitude=request.POST.get("longitude") or None,
        )
    except AppError as exc:
        _pass_scope_errors(exc)
        context = _day_context(user, _day(request.POST.get("day")))
        context |= {"error": exc, "error_job": job_id}
        return render(request, "dispatch/field_day.html", context, status=exc.status)
    at = timezone.localtime(report.checked_in_at).strftime("%H:%M")
    messages.success(request, _("Checked in at %(time)s.") % {"time": at})
    distance = visits.distance_from_shop(report.job, report.in_latitude, report.in_longitude)
    if distance is not None and distance > visits.FAR_FROM_SHOP_M:
        messages.warning(
            request,
            _("Your position is %(km)s km from the shop; the check-in is flagged.")
            % {"km": f"{distance / 1000:.1f}"},
        )
    return redirect("console:field_job", job_id=job_id)


def _job_context(user: User, job_id: int) -> dict[str, Any]:
    stop = field_selectors.field_job(user, job_id)
    return {
        "stop": stop,
        "job": stop.job,
        "report": stop.report,
        "photos": list(stop.report.photos.all()) if stop.report else [],
        "outcomes": VisitOutcome.choices,
        "max_photos": visits.MAX_PHOTOS,
        "back_url": _day_url(stop.job.planned_day or stop.job.day or timezone.localdate()),
        "values": {"outcome": VisitOutcome.DONE},
        "is_mine": stop.job.assignee_id == user.pk,
    }


@login_required
@require_http_methods(["GET", "POST"])
def field_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """The visit's page: check in, or the outcome form (check-out), or the summary once done."""
    user = _field_staff(request)
    if request.method == "GET":
        return render(request, "dispatch/field_job.html", _job_context(user, job_id))
    try:
        visits.check_out(
            user,
            job_id,
            latitude=request.POST.get("latitude") or None,
            longitude=request.POST.get("longitude") or None,
            outcome=request.POST.get("outcome", ""),
            work_done=request.POST.get("work_done", ""),
            coaching=request.POST.get("coaching", ""),
            shop_summary=request.POST.get("shop_summary", ""),
            photos=request.FILES.getlist("photos"),
        )
    except AppError as exc:
        _pass_scope_errors(exc)
        context = _job_context(user, job_id)
        context |= {"error": exc, "values": request.POST}
        return render(request, "dispatch/field_job.html", context, status=exc.status)
    context = _job_context(user, job_id)
    messages.success(
        request,
        _("%(shop)s: visit closed (%(outcome)s).")
        % {"shop": context["stop"].shop_name, "outcome": context["report"].get_outcome_display()},
    )
    return redirect(context["back_url"])


@login_required
@require_GET
def field_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A visit photo, for those who may see its shop (404 otherwise); never a plain media URL."""
    photo = policy.get_visible(request.user, VisitPhoto, photo_id)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
