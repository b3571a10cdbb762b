"""Shop portal pages for bookings (点单): my bookings, book a visit, reschedule, cancel.

Thin: parse with ``dispatch.forms``, call ``services.bookings`` / ``booking_selectors``, render.
The window picker (days, then open windows) is one htmx partial, ``_portal_picker.html``, shared by
booking and rescheduling; without JavaScript the same form reloads the page with GET.
Another shop's booking answers 404 (the selectors and services scope through ``policy``).
"""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from customers.models import Shop
from dispatch import booking_selectors as selectors
from dispatch.forms import BookingForm, CancelForm, RescheduleForm
from dispatch.models import WorkRules
from dispatch.services import bookings
from flexserve import policy
from flexserve.errors import AppError, Invalid
from flexserve.policy import Perm


def _portal_user(request: HttpRequest) -> User:
    policy.require(request.user, Perm.PORTAL_USE)
    policy.require(request.user, Perm.BOOKING_MAKE)
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _shown(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _picker(
    user: User,
    shop: Shop,
    *,
    item_id: int | None,
    day: datetime.date | None,
    job_id: int | None = None,
    chosen: str = "",
    form=None,
) -> dict[str, Any]:
    """Days to choose from and, for the chosen item and day, the windows (open or full).

    Each error is shown once, next to its field: the form's errors on the day and the window,
    else what the services say about the chosen day.
    """
    days = selectors.bookable_days(user, shop.pk)
    day_errors = [str(m) for m in form.errors.get("day", [])] if form is not None else []
    window_errors = (
        [str(m) for m in form.errors.get("window_start", [])] if form is not None else []
    )
    context: dict[str, Any] = {
        "days": days,
        "day": day,
        "windows": [],
        "picker_error": "",
        "day_errors": day_errors,
        "window_errors": window_errors,
        "item_id": item_id,
        "job_id": job_id,
        "chosen": chosen,
        "today": timezone.localdate(),
    }
    if item_id is None or day is None or day_errors:
        return context
    try:
        if job_id is not None:
            context["windows"] = bookings.reschedule_windows(user, job_id, day)
        else:
            context["windows"] = bookings.offered_windows(user, shop.pk, item_id, day)
    except Invalid as exc:
        fields = dict(exc.fields)
        context["day_errors"] = [str(m) for m in fields.pop("day", [])]
        messages_ = [m for ms in fields.values() for m in ms]
        if not messages_ and not context["day_errors"]:
            messages_ = [exc.render_message()]
        context["picker_error"] = " ".join(str(m) for m in messages_)
    context["none_open"] = bool(context["windows"]) and not any(w.open for w in context["windows"])
    return context


def _own_shop(user: User) -> Shop | None:
    shop_id = policy.owned_shop_id(user)
    return policy.get_visible(user, Shop, shop_id) if shop_id else None


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    """My visits: coming ones soonest first (bookings with their change cut-off, routine visits),
    then past ones with who came and what we tell the shop."""
    user = _portal_user(request)
    shop = _own_shop(user)
    listing = selectors.shop_visit_list(user, shop_id=shop.pk) if shop else None
    return render(
        request,
        "dispatch/portal_booking_list.html",
        {"shop": shop, "listing": listing, "rules": WorkRules.current()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest) -> HttpResponse:
    """Book a visit: a service of the shop's plan, a day, an open window, a note."""
    user = _portal_user(request)
    shop = _own_shop(user)
    if shop is None:
        return render(request, "dispatch/portal_booking_new.html", {"shop": None})
    items = list(bookings.plan_items(shop))
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST, items=items)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = bookings.book(
                    user,
                    shop_id=shop.pk,
                    service_item_id=data["service_item"],
                    window_start=data["window_start"],
                    note=data["note"],
                )
            except Invalid as exc:
                form.add_service_errors(exc)
            except AppError as exc:
                form.add_error(None, exc.render_message())
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Booked: %(item)s on %(start)s. You can change it until %(cutoff)s.")
                    % {
                        "item": job.service_item.name,
                        "start": _shown(job.window_start),
                        "cutoff": selectors.cutoff_moment(
                            bookings.cutoff_of(job), job.window_start
                        ),
                    },
                )
                return redirect("portal:booking_detail", job_id=job.pk)
        status = status if status != 200 else 422
        source = request.POST
    else:
        form = BookingForm(items=items, initial=request.GET.dict())
        source = request.GET
    item_id = _int(source.get("service_item"))
    day = parse_date(source.get("day") or "") if source.get("day") else None
    context = {
        "shop": shop,
        "form": form,
        "items": items,
        "item_id": item_id,
        "note": source.get("note", ""),
        **_picker(
            user,
            shop,
            item_id=item_id,
            day=day,
            chosen=source.get("window_start", ""),
            form=form if request.method == "POST" else None,
        ),
    }
    return render(request, "dispatch/portal_booking_new.html", context, status=status)


@login_required
@require_GET
def booking_windows(request: HttpRequest) -> HttpResponse:
    """The picker partial (htmx): days, and the windows of the chosen item and day."""
    user = _portal_user(request)
    shop = _own_shop(user)
    job_id = _int(request.GET.get("job"))
    item_id = _int(request.GET.get("service_item"))
    if job_id is not None:
        row = selectors.booking_get(user, job_id)
        shop, item_id = row.job.shop, row.job.service_item_id
    if shop is None:
        return HttpResponse(status=404)
    day_text = request.GET.get("day") or ""
    day = parse_date(day_text) if day_text else None
    context = _picker(user, shop, item_id=item_id, day=day, job_id=job_id)
    return render(request, "dispatch/_portal_picker.html", context)


@login_required
@require_GET
def booking_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One booking: service, window, state, staff member, cut-off, history, change buttons."""
    user = _portal_user(request)
    row = selectors.booking_get(user, job_id)
    return render(
        request,
        "dispatch/portal_booking_detail.html",
        {"row": row, "job": row.job, "events": selectors.booking_events(row.job)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_reschedule(request: HttpRequest, job_id: int) -> HttpResponse:
    """Move a booking to another open window (before the cut-off)."""
    user = _portal_user(request)
    row = selectors.booking_get(user, job_id)
    job = row.job
    status = 200
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                moved = bookings.reschedule(
                    user, job.pk, window_start=form.cleaned_data["window_start"]
                )
            except Invalid as exc:
                form.add_service_errors(exc)
            except AppError as exc:
                form.add_error(None, exc.render_message())
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Moved to %(start)s.") % {"start": _shown(moved.window_start)},
                )
                return redirect("portal:booking_detail", job_id=job.pk)
        status = status if status != 200 else 422
        source = request.POST
    else:
        form = RescheduleForm()
        source = request.GET
    day = parse_date(source.get("day") or "") if source.get("day") else None
    context = {
        "row": row,
        "job": job,
        "form": form,
        **_picker(
            user,
            job.shop,
            item_id=job.service_item_id,
            day=day,
            job_id=job.pk,
            chosen=source.get("window_start", ""),
            form=form if request.method == "POST" else None,
        ),
    }
    return render(request, "dispatch/portal_booking_reschedule.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    """Confirm and cancel a booking with a reason (before the cut-off)."""
    user = _portal_user(request)
    row = selectors.booking_get(user, job_id)
    status = 200
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                bookings.cancel(user, row.job.pk, reason=form.cleaned_data["reason"])
            except Invalid as exc:
                form.add_service_errors(exc)
            except AppError as exc:
                form.add_error(None, exc.render_message())
                status = exc.status
            else:
                messages.success(request, _("The booking is cancelled."))
                return redirect("portal:booking_detail", job_id=row.job.pk)
        status = status if status != 200 else 422
    else:
        form = CancelForm()
    return render(
        request,
        "dispatch/portal_booking_cancel.html",
        {"row": row, "job": row.job, "form": form},
        status=status,
    )
