"""One request: the detail page and every action taken on it."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Department, User
from audit import selectors as audit_selectors
from flexserve import policy
from flexserve.errors import AppError, Invalid, NotFound
from flexserve.forms import ConsoleForm
from flexserve.policy import Perm
from flexserve.web import is_htmx, safe_redirect, scope_errors_pass
from servicedesk import selectors, services
from servicedesk.forms_console import (
    ActionForm,
    AssignForm,
    CommentForm,
    SupportActionForm,
    SupportTaskForm,
    type_label,
)
from servicedesk.models import ServiceRequest, Status, SupportTask
from servicedesk.views_console.common import (
    ACTION_DONE,
    ACTION_LABELS,
    NOTE_HINTS,
    PRIMARY_ORDER,
    SUPPORT_LABELS,
    clock_view,
    staff_of,
)
from servicedesk.views_console.queue import row_response

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
        "can_reply": services.can_reply(user, sr),  # else the form writes internal notes only
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
    """One request. ``?panel=sla`` answers the SLA panel alone (its minute refresh). Opening the
    page marks the user's notifications about the request read."""
    user = staff_of(request)
    sr = selectors.request_get(user, request_id)
    if request.GET.get("panel") == "sla" and is_htmx(request):
        return render(request, "servicedesk/_console_sla.html", _detail_context(request, sr))
    # Opened: the bell (rendered below, in the header) stops announcing this request.
    services.notifications_read(user, sr)
    return render(request, "servicedesk/console_request_detail.html", _detail_context(request, sr))


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
            return safe_redirect(request, reverse("console:requests"))
        if not is_htmx(request):
            messages.success(request, notice)
            return redirect("console:request_detail", request_id=request_id)
        context = _detail_context(request, sr, notice=notice)
        return render(request, "servicedesk/_console_request.html", context)
    sr = selectors.request_get(user, request_id)
    context = _detail_context(request, sr, forms=forms, reopen=reopen, failed_task=failed_task)
    context |= {"error": error, "error_at": at}
    if is_htmx(request):
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
        scope_errors_pass(exc)
        form.add_app_error(exc)
        return None, exc


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """start / ask_shop / resume / resolve / close / reopen, with a note where one is needed."""
    user = staff_of(request)
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
        return row_response(request, request_id, notice=notice, error=error)
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
    user = staff_of(request)
    selectors.request_get(user, request_id)
    error = None
    try:
        services.request_take(actor=user, request_id=request_id)
    except AppError as exc:
        scope_errors_pass(exc)
        error = exc
    notice = _("You own this request now.")
    if request.POST.get("return") == "row":
        return row_response(request, request_id, notice=notice, error=error)
    return _respond(request, request_id, notice=notice, at="actions", error=error)


@login_required
@require_POST
def request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    """Hand the request to a colleague, with the reason (kept in the internal timeline)."""
    user = staff_of(request)
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
    """A reply to the shop (its owner, a dispatcher or a manager), or an internal note."""
    user = staff_of(request)
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
    user = staff_of(request)
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
    user = staff_of(request)
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
