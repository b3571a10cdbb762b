"""The staff member's notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from flexserve.errors import NotFound
from servicedesk import outbox, selectors
from servicedesk.views_console.common import (
    NOTIFICATIONS_PER_PAGE,
    staff_of,
)

# --- Notifications ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first. POST marks them all read; ``?open=<id>`` marks
    one read and follows its link."""
    user = staff_of(request)
    if request.method == "POST":
        marked = outbox.notifications_mark_read(user=user)
        messages.success(request, _("%(n)s notifications marked read.") % {"n": marked})
        return redirect("console:notifications")
    opened = request.GET.get("open") or ""
    if opened.isdigit():
        note = selectors.notifications(user).filter(pk=int(opened)).first()
        if note is None:
            raise NotFound()
        outbox.notifications_mark_read(user=user, notification_ids=[note.pk])
        safe = url_has_allowed_host_and_scheme(
            note.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(note.url if note.url and safe else "console:notifications")
    page = Paginator(selectors.notifications(user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "unread": selectors.unread_count(user),
    }
    return render(request, "servicedesk/console_notifications.html", context)


@login_required
@never_cache
@require_GET
def notification_unread(request: HttpRequest) -> JsonResponse:
    """The bell's count, fetched after an htmx action: acting on a request reads its news."""
    return JsonResponse({"unread": selectors.unread_count(staff_of(request))})
