"""Pages of the shop portal for service requests: my requests, a new one, one request.

Thin: check the role, parse the form (``servicedesk.forms_portal``), call a selector or service,
render. Scope comes from the selectors: another shop's request answers 404, and the timeline holds
no internal notes for a shop owner. The reply and the close / reopen forms post with htmx and get
the request's panel back (``_portal_request_main.html``); without JavaScript the same forms post,
then redirect to the request.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from flexserve import policy
from flexserve.errors import Invalid, NotFound, RateLimited
from flexserve.policy import Perm
from flexserve.web import is_htmx
from servicedesk import selectors, services
from servicedesk.errors import IllegalTransition
from servicedesk.forms_portal import ReopenForm, ReplyForm, RequestNewForm, type_label
from servicedesk.models import Channel, EventKind, ServiceRequest, Status
from servicedesk.outbox import notifications_mark_read

REQUESTS_PER_PAGE = 20
NOTIFICATIONS_SHOWN = 5
# The list's tabs: what is still being worked on, what waits for the shop's confirmation, all.
LIST_FILTERS = {
    "open": selectors.RequestFilters(open_only=True),
    "confirm": selectors.RequestFilters(status=Status.RESOLVED),
    "all": selectors.RequestFilters(),
}
SHOWN_TIME = "Y-m-d H:i"


def _portal_user(request: HttpRequest) -> User:
    policy.require(request.user, Perm.PORTAL_USE)
    return request.user


def _shown(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), SHOWN_TIME)


# --- My requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRow:
    request: ServiceRequest
    type_name: str


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request: HttpRequest) -> HttpResponse:
    """The shop's requests, newest first, by tab; the owner's unread notifications beside them."""
    user = _portal_user(request)
    if request.method == "POST":
        # "Mark all read" posts here: the portal has no notifications page of its own.
        if request.GET.get("mark_read") != "1":
            return HttpResponseBadRequest()
        count = notifications_mark_read(user=user)
        if count:
            messages.success(request, _("Notifications marked as read."))
        return redirect(f"{reverse('portal:requests')}#notifications")

    show = request.GET.get("show", "")
    show = show if show in LIST_FILTERS else "open"
    requests = selectors.request_list(user, LIST_FILTERS[show])
    page = Paginator(requests, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "show": show,
        "query": f"show={show}",
        "page": page,
        "rows": [RequestRow(sr, type_label(sr.request_type)) for sr in page.object_list],
        "to_confirm": selectors.request_list(user, LIST_FILTERS["confirm"]).count(),
        "notifications": list(
            selectors.notifications(user, unread_only=True)[:NOTIFICATIONS_SHOWN]
        ),
        "unread": selectors.unread_count(user),
        "has_shop": policy.owned_shop_id(user) is not None,
    }
    return render(request, "servicedesk/portal_request_list.html", context)


# --- New request --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """File a request through the portal: type, title, description, up to three photos."""
    user = _portal_user(request)
    has_shop = policy.owned_shop_id(user) is not None
    types = list(selectors.request_types())
    refused_status = 422
    if request.method == "POST" and has_shop:
        form = RequestNewForm(request.POST, request.FILES, types=types)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_create(
                    actor=user,
                    request_type=data["request_type"],
                    title=data["title"],
                    description=data["description"],
                    channel=Channel.PORTAL,
                    photos=data["photos"],
                )
            except (Invalid, RateLimited) as exc:
                form.add_service_errors(exc)
                refused_status = exc.status
            else:
                messages.success(
                    request,
                    _(
                        "Request %(number)s is filed. We will get back to you by %(due)s at "
                        "the latest."
                    )
                    % {"number": created.number, "due": _shown(created.response_due_at)},
                )
                return redirect("portal:request_detail", request_id=created.pk)
    else:
        preselected = request.GET.get("type", "")
        form = RequestNewForm(
            initial={"request_type": preselected} if preselected else None, types=types
        )
    context = {
        "form": form,
        "has_shop": has_shop,
        # A browser cannot refill a file input: say so when the photos were sent with errors.
        "photos_dropped": bool(request.FILES.getlist("photos")),
    }
    # A refused form says so to clients too: 422, or 429 past the shop's hourly limit.
    status = refused_status if request.method == "POST" else 200
    return render(request, "servicedesk/portal_request_new.html", context, status=status)


# --- One request --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # an EventKind value
    who: str
    by_shop: bool
    title: str
    text: str


def _timeline_items(user: User, sr: ServiceRequest) -> list[TimelineItem]:
    """The public timeline in the shop's words: what happened, who did it, what they wrote."""
    entries = selectors.timeline(user, sr)
    items = []
    for entry in entries:
        by_shop = entry.actor is not None and entry.actor.pk == user.pk
        who = _("You") if by_shop else (str(entry.actor) if entry.actor else _("Service desk"))
        text = entry.text
        if entry.kind == EventKind.CREATED:
            title = _("Request filed via %(channel)s") % {"channel": Channel(sr.channel).label}
            text = ""
        elif entry.kind == EventKind.STATUS:
            title = _("Status: %(status)s") % {"status": Status(entry.event.to_status).label}
        elif entry.kind == EventKind.ASSIGNED and entry.event.to_assignee:
            title = _("Handled by %(name)s") % {"name": entry.event.to_assignee}
            text = ""
        elif entry.kind == EventKind.COMMENT:
            title = _("%(name)s wrote") % {"name": who}
        else:
            title = str(EventKind(entry.kind).label)
        items.append(TimelineItem(entry.at, entry.kind, who, by_shop, title, text))
    return items


def _detail_context(
    request: HttpRequest,
    request_id: int,
    *,
    reply_form: ReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
    action_error: str = "",
    notice: str = "",
) -> dict[str, Any]:
    user = request.user
    sr = selectors.request_get(user, request_id)
    actions = services.allowed_actions(user, sr)
    items = _timeline_items(user, sr)
    # While the request waits on the shop, the last staff message says what they need.
    question = ""
    if sr.status == Status.WAITING_ON_SHOP:
        question = next(
            (i.text for i in reversed(items) if i.kind == EventKind.COMMENT and not i.by_shop), ""
        )
    return {
        "sr": sr,
        "type_name": type_label(sr.request_type),
        "items": items,
        "attachments": list(sr.attachments.all()),
        "question": question,
        "can_close": "close" in actions,
        "can_reopen": "reopen" in actions,
        "can_reply": sr.status != Status.CLOSED,
        "reply_form": reply_form or ReplyForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "action_error": action_error,
        "notice": notice,
    }


def _render_detail(request: HttpRequest, request_id: int, **kwargs: Any) -> HttpResponse:
    """The request's panel for htmx, else the whole page (forms with their errors)."""
    context = _detail_context(request, request_id, **kwargs)
    if is_htmx(request):
        return render(request, "servicedesk/_portal_request_main.html", context)
    return render(request, "servicedesk/portal_request_detail.html", context)


def _after_change(request: HttpRequest, request_id: int, notice: str) -> HttpResponse:
    if is_htmx(request):
        return _render_detail(request, request_id, notice=notice)
    messages.success(request, notice)
    return redirect("portal:request_detail", request_id=request_id)


@login_required
@require_http_methods(["GET"])
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """Number, type, status, who handles it, the promised times, photos, the public timeline."""
    user = _portal_user(request)
    # Opening the request reads the owner's notifications about it (the header count follows).
    seen = selectors.notifications(user, unread_only=True).filter(url=request.path)
    ids = list(seen.values_list("pk", flat=True))
    if ids:
        notifications_mark_read(user=user, notification_ids=ids)
    return _render_detail(request, request_id)


@login_required
@require_POST
def request_reply(request: HttpRequest, request_id: int) -> HttpResponse:
    """Write to the service team; a reply to a request waiting on the shop resumes it."""
    user = _portal_user(request)
    sr = selectors.request_get(user, request_id)  # another shop's request: 404 before anything
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(actor=user, request_id=sr.pk, body=form.cleaned_data["body"])
        except Invalid as exc:
            form.add_service_errors(exc)
        else:
            return _after_change(request, sr.pk, _("Your reply was sent."))
    return _render_detail(request, sr.pk, reply_form=form)


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """Confirm a resolved request (close), or reopen it with a note saying what is still wrong."""
    user = _portal_user(request)
    sr = selectors.request_get(user, request_id)
    if action not in services.SHOP_ACTIONS:
        raise NotFound()
    form = ReopenForm(request.POST) if action == "reopen" else None
    if form is not None and not form.is_valid():
        return _render_detail(request, sr.pk, reopen_form=form)
    try:
        services.request_transition(
            actor=user,
            request_id=sr.pk,
            action=action,
            note=form.cleaned_data["note"] if form is not None else "",
        )
    except Invalid as exc:
        if form is None:
            return _render_detail(request, sr.pk, action_error=exc.render_message())
        form.add_service_errors(exc)
        return _render_detail(request, sr.pk, reopen_form=form)
    except IllegalTransition as exc:  # a second click, or the team changed it meanwhile
        return _render_detail(request, sr.pk, action_error=exc.render_message())
    if action == "close":
        notice = _("Thank you for confirming: the request is closed.")
    else:
        notice = _("The request is reopened; the team will take it up again.")
    return _after_change(request, sr.pk, notice)
