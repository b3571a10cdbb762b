"""The work queue and logging a call or visit."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role, User
from customers import selectors as customer_selectors
from flexserve import policy
from flexserve.errors import AppError, NotFound
from flexserve.policy import Perm
from flexserve.web import filter_query, is_htmx, scope_errors_pass
from servicedesk import selectors, services
from servicedesk.forms_console import (
    RequestNewForm,
    queue_filters,
    type_label,
)
from servicedesk.models import ServiceRequest, Status
from servicedesk.views_console.common import (
    QUEUE_LABELS,
    REQUESTS_PER_PAGE,
    SHOP_MATCHES,
    ClockView,
    relevant_clock,
    staff_of,
)

# --- Work queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    request: ServiceRequest
    clock: ClockView
    type_label: str
    can_take: bool
    can_start: bool


def default_queue(user: User) -> str:
    """Those who work requests start with their own; dispatchers and managers with the risks."""
    return "mine" if user.role in (Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF) else "breaching"


def queue_row(user: User, request: ServiceRequest, now: datetime) -> QueueRow:
    return QueueRow(
        request=request,
        clock=relevant_clock(request, now),
        type_label=type_label(request.request_type),
        can_take=(
            request.status == Status.NEW
            and request.assignee_id is None
            and policy.has_perm(user, Perm.REQUEST_WORK)
        ),
        can_start=request.status == Status.ASSIGNED and request.assignee_id == user.pk,
    )


def queue_tabs(user: User, params: QueryDict) -> list[dict[str, Any]]:
    """The tabs with their counts; switching tab keeps the filters in use."""
    counts = selectors.queue_counts(user)
    keep = filter_query(params, drop=("page", "queue"))
    return [
        {
            "name": name,
            "label": label,
            "count": counts.get(name),
            "query": f"queue={name}" + (f"&{keep}" if keep else ""),
        }
        for name, label in QUEUE_LABELS.items()
    ]


@login_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    """The queues as tabs (counts on each), the table of the current one, 50 a page."""
    user = staff_of(request)
    filters = queue_filters(request.GET, default_queue(user))
    page = Paginator(selectors.request_list(user, filters), REQUESTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    context: dict[str, Any] = {
        "queue": filters.queue,
        "filters": filters,
        "tabs": queue_tabs(user, request.GET),
        "rows": [queue_row(user, r, now) for r in page.object_list],
        "page": page,
        "query": filter_query(request.GET) or f"queue={filters.queue}",
        "filtered": bool(filters.status or filters.request_type or filters.q),
        "can_create": policy.has_perm(user, Perm.REQUEST_CREATE),
    }
    if is_htmx(request):
        response = render(request, "servicedesk/_console_queue.html", context)
        # The address bar shows the tab and the filters in use, not every empty field.
        pushed = context["query"] + (f"&page={page.number}" if page.number > 1 else "")
        response["HX-Push-Url"] = f"{request.path}?{pushed}"
    else:
        context |= {
            "statuses": Status.choices,
            "types": [(t.code, type_label(t)) for t in selectors.request_types()],
        }
        response = render(request, "servicedesk/console_requests.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def row_response(
    request: HttpRequest, request_id: int, *, notice: str = "", error: AppError | None = None
) -> HttpResponse:
    """A queue row's button answers with the row; without htmx, back to the queue."""
    if not is_htmx(request):
        if error is not None:
            messages.error(request, error.render_message())
        else:
            messages.success(request, notice)
        return redirect(request.POST.get("next") or reverse("console:requests"))
    user = request.user
    try:
        sr = selectors.request_get(user, request_id)
    except NotFound:
        return HttpResponse("")  # no longer in the user's scope: the row goes
    context = {
        "row": queue_row(user, sr, timezone.now()),
        **_tabs_of_current_page(request),
        "row_notice": notice if error is None else "",
        "row_error": error.render_message() if error is not None else "",
        "row_error_code": error.code if error is not None else "",
    }
    return render(request, "servicedesk/_console_queue_row.html", context)


def _tabs_of_current_page(request: HttpRequest) -> dict[str, Any]:
    """The queue page's tabs again (their counts changed), for an out-of-band swap."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.path != reverse("console:requests"):
        return {}
    params = QueryDict(current.query)
    queue = queue_filters(params, default_queue(request.user)).queue
    return {"oob_tabs": queue_tabs(request.user, params), "queue": queue}


# --- New request --------------------------------------------------------------------------------


def _shop_matches(user: User, text: str) -> list[Any]:
    if not text:
        return []
    filters = customer_selectors.ShopFilters(q=text, status="active")
    return list(customer_selectors.shop_list(user=user, filters=filters)[:SHOP_MATCHES])


def _shop_or_none(user: User, shop_id: int | None) -> Any:
    if not shop_id:
        return None
    try:
        return customer_selectors.shop_get(user=user, shop_id=shop_id)
    except NotFound:
        return None


def _single_shop(user: User, text: str) -> int | None:
    """A typed licence number or name that names exactly one shop stands for that shop."""
    if not text:
        return None
    matches = _shop_matches(user, text)
    exact = [s for s in matches if s.licence_no == text]
    if len(exact) == 1:
        return exact[0].pk
    return matches[0].pk if len(matches) == 1 else None


def _shop_choices_context(user: User, text: str, selected_id: int | None) -> dict[str, Any]:
    selected = _shop_or_none(user, selected_id)
    matches = [s for s in _shop_matches(user, text) if selected is None or s.pk != selected.pk]
    return {"shop_q": text, "selected_shop": selected, "shop_matches": matches}


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Log a phone call or a visit for a shop; the new request is routed and its clocks start."""
    user = staff_of(request)
    policy.require(user, Perm.REQUEST_CREATE)
    types = list(selectors.request_types())
    if request.method == "POST":
        form = RequestNewForm(request.POST, request.FILES, request_types=types)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.request_create(
                    actor=user,
                    request_type=data["request_type"],
                    title=data["title"],
                    description=data["description"],
                    channel=data["channel"],
                    shop_id=data["shop_id"] or _single_shop(user, data["shop_q"]),
                    priority=data["priority"] or None,
                    photos=request.FILES.getlist("photos"),
                    handle_myself=data["handle_myself"],
                )
            except NotFound:
                form.add_error("shop_id", _("Choose a shop from the list."))
            except AppError as exc:
                scope_errors_pass(exc)
                form.add_app_error(exc)
            else:
                messages.success(
                    request,
                    _("Request %(number)s registered.") % {"number": created.number},
                )
                return redirect("console:request_detail", request_id=created.pk)
        text = (request.POST.get("shop_q") or "").strip()[:60]
        selected_id = form.cleaned_data.get("shop_id") if form.is_bound else None
    else:
        text = (request.GET.get("shop_q") or "").strip()[:60]
        raw = request.GET.get("shop_id") or request.GET.get("shop") or ""
        selected_id = int(raw) if raw.isdigit() else None
        if is_htmx(request):  # the shop search as you type
            return render(
                request,
                "servicedesk/_console_shop_choices.html",
                _shop_choices_context(user, text, selected_id),
            )
        form = RequestNewForm(initial={"shop_q": text, "shop_id": selected_id}, request_types=types)
    context = {"form": form, **_shop_choices_context(user, text, selected_id)}
    status = 422 if request.method == "POST" else 200  # a refused form says so to clients too
    return render(request, "servicedesk/console_request_new.html", context, status=status)
