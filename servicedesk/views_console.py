"""Service-request pages of the staff console: the work queue, logging a phone call or a visit,
one request (SLA clocks, actions, timeline, support tasks, audit trail) and the notifications.

Thin: parse the input (``servicedesk.forms_console``), call a selector or a service, render.
Services check permissions and raise AppError; the message is shown on the form that failed and
nothing changes. htmx posts get back the part they change (a queue row, or the request's main panel
``#request-main``); the same URLs without htmx redirect after a success.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Department, Role, User
from audit import selectors as audit_selectors
from customers import selectors as customer_selectors
from flexserve import policy
from flexserve.errors import AppError, Invalid, NotAuthenticated, NotFound
from flexserve.policy import Perm
from servicedesk import clock, outbox, selectors, services
from servicedesk.clock import ClockState
from servicedesk.forms_console import (
    ActionForm,
    AssignForm,
    CommentForm,
    ConsoleForm,
    RequestNewForm,
    SupportActionForm,
    SupportTaskForm,
    queue_filters,
    type_label,
)
from servicedesk.models import ServiceRequest, Status, SupportTask

REQUESTS_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 50
SHOP_MATCHES = 12
WARN_FRACTION = 0.8  # amber once 80 % of a clock's target is used
# The SLA panel reloads every 60 s; between reloads the page may count down this long at most.
TICK_WINDOW = timedelta(seconds=90)

QUEUE_LABELS = {
    "mine": gettext_lazy("Mine"),
    "department": gettext_lazy("My department"),
    "breaching": gettext_lazy("Breaching soon"),
    "unassigned": gettext_lazy("Unassigned"),
    "support": gettext_lazy("Support for my department"),
    "all": gettext_lazy("All"),
}
ACTION_LABELS = {name: action.label for name, action in services.ACTIONS.items()}
ACTION_DONE = {
    "start": gettext_lazy("Work started."),
    "ask_shop": gettext_lazy("The shop was asked; the resolution clock is paused."),
    "resume": gettext_lazy("Work resumed; the resolution clock runs again."),
    "resolve": gettext_lazy("Resolved; the shop is asked to confirm."),
    "close": gettext_lazy("Closed."),
    "reopen": gettext_lazy("Reopened."),
}
PRIMARY_ORDER = ("start", "resume", "resolve", "close")
NOTE_HINTS = {
    "ask_shop": gettext_lazy("What the shop should send or do (the shop sees this)."),
    "resolve": gettext_lazy("What was done (the shop sees this)."),
    "reopen": gettext_lazy("Why the request is reopened (the shop sees this)."),
}
SUPPORT_LABELS = {
    "start": gettext_lazy("Start"),
    "done": gettext_lazy("Mark done"),
    "cancel": gettext_lazy("Cancel task"),
}


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore after a cache miss asks for the whole page, though it comes from htmx.
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _staff(request: HttpRequest) -> User:
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.REQUEST_VIEW)
    return request.user


def _scope_errors_pass(exc: AppError) -> None:
    """Out of scope stays a 404 page (and logged-out a log-in); other failures go on the form."""
    if isinstance(exc, NotFound | NotAuthenticated):
        raise exc


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def filter_query(params: QueryDict, drop: tuple[str, ...] = ("page",)) -> str:
    """The filters of a list as a query string: blanks and ``drop`` left out."""
    query = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v for v in values if v.strip()]
        if key not in drop and kept:
            query.setlist(key, kept)
    return query.urlencode()


# --- SLA clocks as shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    key: str  # "response" | "resolution"
    label: str
    state: ClockState
    level: str  # ok | warn | late (running), paused, met | missed (stopped for good)
    percent: int  # of the target used, capped at 100
    left: str  # "2 h 15 min": remaining, or how late
    used: str  # business time used so far
    target: str
    ticker: str  # "02:15:07", counted down by requests.js
    tick_s: int  # business seconds passing in the next TICK_WINDOW (0: the clock stands still)

    @property
    def running(self) -> bool:
        return self.level in ("ok", "warn", "late")


def span(seconds: int) -> str:
    """Business time as hours and minutes ("1 h 5 min"); the sign is left to the sentence."""
    minutes = abs(seconds) // 60
    if not minutes:
        return _("under a minute")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(minutes)s min") % {"minutes": rest}
    if not rest:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}


def hms(seconds: int) -> str:
    sign = "−" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"


def clock_view(key: str, state: ClockState, *, now: datetime | None = None) -> ClockView:
    """One clock with its colour; with ``now``, how long the page may count it down."""
    if state.done_at is not None:
        level = "missed" if state.breached else "met"
    elif state.paused:
        level = "paused"
    elif state.breached:
        level = "late"
    elif state.fraction >= WARN_FRACTION:
        level = "warn"
    else:
        level = "ok"
    tick = 0
    if now is not None and level in ("ok", "warn", "late"):
        calendar = clock.company_calendar()
        if calendar.is_working_time(now):
            tick = calendar.business_seconds(now, now + TICK_WINDOW)
    label = _("First response") if key == "response" else _("Resolution")
    return ClockView(
        key=key,
        label=label,
        state=state,
        level=level,
        percent=min(100, round(state.fraction * 100)),
        left=span(state.remaining_s),
        used=span(state.elapsed_s),
        target=span(state.target_s),
        ticker=hms(state.remaining_s),
        tick_s=tick,
    )


def relevant_clock(request: ServiceRequest, now: datetime) -> ClockView:
    """The clock the owner races now: first response until answered, then resolution."""
    clocks = selectors.clocks(request, now)
    if request.first_response_at is None and request.is_open:
        return clock_view("response", clocks.response)
    return clock_view("resolution", clocks.resolution)


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
    user = _staff(request)
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
    if _is_htmx(request):
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


def _row_response(
    request: HttpRequest, request_id: int, *, notice: str = "", error: AppError | None = None
) -> HttpResponse:
    """A queue row's button answers with the row; without htmx, back to the queue."""
    if not _is_htmx(request):
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
    user = _staff(request)
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
                _scope_errors_pass(exc)
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
        if _is_htmx(request):  # the shop search as you type
            return render(
                request,
                "servicedesk/_console_shop_choices.html",
                _shop_choices_context(user, text, selected_id),
            )
        form = RequestNewForm(initial={"shop_q": text, "shop_id": selected_id}, request_types=types)
    context = {"form": form, **_shop_choices_context(user, text, selected_id)}
    status = 422 if request.method == "POST" else 200  # a refused form says so to clients too
    return render(request, "servicedesk/console_request_new.html", context, status=status)


# --- Detail -------------------------------------------------------------------------------------


def _audit_rows(user: User, sr: ServiceRequest) -> list[audit_selectors.AuditRow] | None:
    """The request's audit trail for those who may read it (None hides the panel)."""
    if not policy.has_perm(user, Perm.AUDIT_VIEW):
        return None
    return audit_selectors.audit_for(user=user, target=sr)


def _task_item(
    user: User, task: SupportTask, now: datetime, form: ConsoleForm | None
) -> dict[str, Any]:
    names = services.allowed_support_actions(user, task)
    return {
        "task": task,
        "actions": [(name, SUPPORT_LABELS[name]) for name in names],
        "takes_result": "done" in names or "cancel" in names,
        "can_finish": "done" in names,
        "form": form,  # the posted form, when this task's action failed
        "late": task.is_open and task.due_at < now,
    }


def _detail_context(
    request: HttpRequest,
    sr: ServiceRequest,
    *,
    forms: dict[str, ConsoleForm] | None = None,
    reopen: str = "",
    notice: str = "",
    failed_task: int | None = None,
) -> dict[str, Any]:
    """Everything the request page shows. ``forms`` are posted forms (with their errors) that
    replace the blank ones; ``reopen`` names the action dialog to show again."""
    user = request.user
    forms = forms or {}
    now = timezone.now()
    clocks = selectors.clocks(sr, now)
    can_manage = services.can_manage(user, sr)
    tasks = list(selectors.support_tasks(sr))
    for task in tasks:
        task.request = sr  # allowed_support_actions reads it; saves a query per task
    open_required = sum(1 for t in tasks if t.required and t.is_open)
    names = services.allowed_actions(user, sr)
    canned = selectors.canned_replies(user).filter(category__in=["", sr.request_type.category])
    support_form = forms.get("support") or SupportTaskForm(
        initial={"required": True},
        departments=Department.objects.filter(is_active=True),
    )
    return {
        "sr": sr,
        "type_label": type_label(sr.request_type),
        "now": now,
        "clocks": [
            clock_view("response", clocks.response, now=now),
            clock_view("resolution", clocks.resolution, now=now),
        ],
        "refresh_sla": sr.is_open,
        "notice": notice,
        "can_take": (
            sr.status == Status.NEW
            and sr.assignee_id is None
            and policy.has_perm(user, Perm.REQUEST_WORK)
        ),
        "actions": [
            {
                "name": name,
                "label": ACTION_LABELS[name],
                "needs_note": services.ACTIONS[name].needs_note,
                "hint": NOTE_HINTS.get(name, ""),
            }
            for name in names
        ],
        # The one move that takes the request forward is the highlighted button.
        "primary_action": next((n for n in PRIMARY_ORDER if n in names), ""),
        "action_form": forms.get("action") or ActionForm(),
        "reopen": reopen,
        "open_required": open_required,
        "may_override": policy.has_perm(user, Perm.REQUEST_OVERRIDE),
        "can_assign": can_manage and sr.is_open,
        "assign_form": forms.get("assign")
        or AssignForm(staff=selectors.assignable_staff(user).select_related("department")),
        "can_work": policy.has_perm(user, Perm.REQUEST_WORK),
        "comment_form": forms.get("comment") or CommentForm(),
        "canned_replies": list(canned),
        "timeline": selectors.timeline(user, sr),
        "tasks": [
            _task_item(user, task, now, forms.get("task") if failed_task == task.pk else None)
            for task in tasks
        ],
        "can_call_support": can_manage and sr.is_open,
        "support_form": support_form,
        "photos": list(sr.attachments.all()),
        "audit": _audit_rows(user, sr),
    }


@login_required
@require_GET
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request. ``?panel=sla`` answers the SLA panel alone (its minute refresh)."""
    user = _staff(request)
    sr = selectors.request_get(user, request_id)
    context = _detail_context(request, sr)
    if request.GET.get("panel") == "sla" and _is_htmx(request):
        return render(request, "servicedesk/_console_sla.html", context)
    return render(request, "servicedesk/console_request_detail.html", context)


def _respond(
    request: HttpRequest,
    request_id: int,
    *,
    notice: str,
    at: str,
    error: AppError | None = None,
    forms: dict[str, ConsoleForm] | None = None,
    reopen: str = "",
    failed_task: int | None = None,
) -> HttpResponse:
    """After a post on the request page: its main panel (htmx) or a redirect; on failure the
    page again with the message on the form that failed, and nothing changed."""
    user = request.user
    if error is None:
        try:
            sr = selectors.request_get(user, request_id)
        except NotFound:
            # Handed to someone outside the user's scope: nothing left to show here.
            messages.success(request, notice)
            return _redirect(request, reverse("console:requests"))
        if not _is_htmx(request):
            messages.success(request, notice)
            return redirect("console:request_detail", request_id=request_id)
        context = _detail_context(request, sr, notice=notice)
        return render(request, "servicedesk/_console_request.html", context)
    sr = selectors.request_get(user, request_id)
    context = _detail_context(request, sr, forms=forms, reopen=reopen, failed_task=failed_task)
    context |= {"error": error, "error_at": at}
    if _is_htmx(request):
        # 200, so htmx swaps the panel that shows the message.
        return render(request, "servicedesk/_console_request.html", context)
    return render(request, "servicedesk/console_request_detail.html", context, status=error.status)


def _invalid(form: ConsoleForm) -> Invalid:
    return Invalid(fields={k: [str(m) for m in v] for k, v in form.errors.items()})


def _submit(
    form: ConsoleForm, call: Callable[[dict[str, Any]], Any]
) -> tuple[Any, AppError | None]:
    """Validate ``form`` and hand its data to the service ``call``: (result, None), or
    (None, the error) shown next to the form; a refused call changed nothing."""
    if not form.is_valid():
        return None, _invalid(form)
    try:
        return call(form.cleaned_data), None
    except AppError as exc:
        _scope_errors_pass(exc)
        form.add_app_error(exc)
        return None, exc


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """start / ask_shop / resume / resolve / close / reopen, with a note where one is needed."""
    user = _staff(request)
    selectors.request_get(user, request_id)  # out of scope: 404
    form = ActionForm(request.POST)
    _done, error = _submit(
        form,
        lambda data: services.request_transition(
            actor=user,
            request_id=request_id,
            action=action,
            note=data["note"],
            override_reason=data["override_reason"],
        ),
    )
    notice = str(ACTION_DONE.get(action, ""))
    if request.POST.get("return") == "row":
        return _row_response(request, request_id, notice=notice, error=error)
    needs_dialog = action in services.ACTIONS and services.ACTIONS[action].needs_note
    return _respond(
        request,
        request_id,
        notice=notice,
        at="actions",
        error=error,
        forms={"action": form},
        reopen=action if needs_dialog else "",
    )


@login_required
@require_POST
def request_take(request: HttpRequest, request_id: int) -> HttpResponse:
    user = _staff(request)
    selectors.request_get(user, request_id)
    error = None
    try:
        services.request_take(actor=user, request_id=request_id)
    except AppError as exc:
        _scope_errors_pass(exc)
        error = exc
    notice = _("You own this request now.")
    if request.POST.get("return") == "row":
        return _row_response(request, request_id, notice=notice, error=error)
    return _respond(request, request_id, notice=notice, at="actions", error=error)


@login_required
@require_POST
def request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    """Hand the request to a colleague, with the reason (kept in the internal timeline)."""
    user = _staff(request)
    selectors.request_get(user, request_id)
    form = AssignForm(
        request.POST, staff=selectors.assignable_staff(user).select_related("department")
    )
    sr, error = _submit(
        form,
        lambda data: services.request_assign(
            actor=user,
            request_id=request_id,
            assignee_id=data["assignee_id"],
            reason=data["reason"],
        ),
    )
    notice = "" if error else _("Handed over to %(name)s.") % {"name": sr.assignee}
    return _respond(
        request, request_id, notice=notice, at="assign", error=error, forms={"assign": form}
    )


@login_required
@require_POST
def request_comment(request: HttpRequest, request_id: int) -> HttpResponse:
    """A reply to the shop, or an internal note for colleagues."""
    user = _staff(request)
    selectors.request_get(user, request_id)
    form = CommentForm(request.POST)
    _comment, error = _submit(
        form,
        lambda data: services.comment_add(
            actor=user, request_id=request_id, body=data["body"], internal=data["internal"]
        ),
    )
    internal = form.is_valid() and form.cleaned_data["internal"]
    notice = _("Internal note saved.") if internal else _("Reply sent to the shop.")
    return _respond(
        request, request_id, notice=notice, at="comment", error=error, forms={"comment": form}
    )


@login_required
@require_POST
def support_create(request: HttpRequest, request_id: int) -> HttpResponse:
    """Call another department for support (呼叫支援)."""
    user = _staff(request)
    selectors.request_get(user, request_id)
    form = SupportTaskForm(request.POST, departments=Department.objects.filter(is_active=True))
    task, error = _submit(
        form,
        lambda data: services.support_task_create(
            actor=user,
            request_id=request_id,
            department_id=data["department_id"],
            need=data["need"],
            required=data["required"],
            due_at=data["due_at"],
        ),
    )
    notice = (
        ""
        if error
        else _("%(department)s was called for support.") % {"department": task.department.name}
    )
    return _respond(
        request, request_id, notice=notice, at="support", error=error, forms={"support": form}
    )


@login_required
@require_POST
def support_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Start, finish (with the result) or cancel a support task."""
    user = _staff(request)
    task = policy.get_visible(user, SupportTask, task_id)  # out of scope: 404
    form = SupportActionForm(request.POST)
    _task, error = _submit(
        form,
        lambda data: services.support_task_update(
            actor=user, task_id=task_id, action=action, result=data["result"]
        ),
    )
    notice = {
        "start": _("Support task started."),
        "done": _("Support task done."),
        "cancel": _("Support task cancelled."),
    }.get(action, "")
    return _respond(
        request,
        task.request_id,
        notice=notice,
        at="task",
        error=error,
        forms={"task": form},
        failed_task=task_id,
    )


# --- Notifications ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first. POST marks them all read; ``?open=<id>`` marks
    one read and follows its link."""
    user = _staff(request)
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
