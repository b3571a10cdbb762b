"""Support tasks (呼叫支援): another department called in on a request, and its work on it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from flexserve import policy
from flexserve.errors import Forbidden, Invalid
from flexserve.policy import Perm
from servicedesk import clock, routing
from servicedesk.errors import RequestNotOpen, SupportTaskFinished
from servicedesk.models import EventKind, SupportTask
from servicedesk.outbox import notify
from servicedesk.services.common import _clean_text, _locked, can_manage, record_change
from servicedesk.services.notifications import console_url


@transaction.atomic
def support_task_create(
    *,
    actor: User,
    request_id: int,
    department_id: int,
    need: str,
    required: bool = True,
    due_at: datetime | None = None,
    owner_id: int | None = None,
    at: datetime | None = None,
) -> SupportTask:
    """Call another department for support (呼叫支援) on an open request."""
    request = _locked(actor, request_id)
    if not can_manage(actor, request):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise Invalid(fields={"department_id": [_("Choose an active department.")]})
    need = _clean_text(need, "need", required=True, max_length=300)
    now = at or timezone.now()
    owner = None
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True, department=department).first()
        if owner is None:
            raise Invalid(fields={"owner_id": [_("Choose a member of that department.")]})
    if due_at is None:
        # One working day by default, never later than the request itself is due.
        due_at = clock.company_calendar().add_business_seconds(
            now, clock.company_calendar().seconds_per_day
        )
        if request.resolution_due_at and request.resolution_due_at > now:
            due_at = min(due_at, request.resolution_due_at)
    elif due_at <= now:
        raise Invalid(fields={"due_at": [_("Choose a time in the future.")]})
    task = SupportTask.objects.create(
        request=request,
        department=department,
        owner=owner,
        need=need,
        required=required,
        due_at=due_at,
        created_by=actor,
        created_at=now,
    )
    record_change(
        request,
        action="request.support_requested",
        actor=actor,
        at=now,
        kind=EventKind.SUPPORT,
        note=_("Support requested from %(department)s") % {"department": department.name},
        audit_note=f"{department.name}: {need}",
    )
    recipients = [owner] if owner else list(_department_workers(department))
    for person in recipients:
        notify(
            person,
            subject=_("%(number)s: support needed from %(department)s")
            % {"number": request.number, "department": department.name},
            body=need,
            url=console_url(request),
            request=request,
        )
    return task


SUPPORT_ACTIONS = {
    "start": ({SupportTask.State.OPEN}, SupportTask.State.IN_PROGRESS),
    "done": ({SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS}, SupportTask.State.DONE),
    "cancel": (
        {SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS},
        SupportTask.State.CANCELLED,
    ),
}


def can_work_support(actor: User, task: SupportTask) -> bool:
    if not policy.has_perm(actor, Perm.REQUEST_WORK):
        return False
    return (
        task.owner_id == actor.pk
        or (task.owner_id is None and actor.department_id == task.department_id)
        or policy.has_perm(actor, Perm.REQUEST_ASSIGN)
    )


def allowed_support_actions(actor: User, task: SupportTask) -> list[str]:
    names = []
    for name, (sources, _target) in SUPPORT_ACTIONS.items():
        if task.state not in sources:
            continue
        if name == "cancel":
            if can_manage(actor, task.request):
                names.append(name)
        elif can_work_support(actor, task):
            names.append(name)
    return names


@transaction.atomic
def support_task_update(
    *, actor: User, task_id: int, action: str, result: str = "", at: datetime | None = None
) -> SupportTask:
    policy.require(actor, Perm.REQUEST_WORK)
    task = policy.get_visible(
        actor,
        SupportTask,
        task_id,
        for_update=True,
        qs=SupportTask.objects.select_related("request", "department"),
    )
    if action not in SUPPORT_ACTIONS:
        raise Invalid(fields={"action": [_("Unknown action.")]})
    if action not in allowed_support_actions(actor, task):
        if task.state not in SUPPORT_ACTIONS[action][0]:
            raise SupportTaskFinished(state=SupportTask.State(task.state).label)
        raise Forbidden()
    result = _clean_text(result, "result", required=action == "done", max_length=500)
    now = at or timezone.now()
    task.state = SUPPORT_ACTIONS[action][1]
    if action == "start":
        task.started_at = now
        task.owner = task.owner or actor
    else:
        task.finished_at = now
        task.result = result
    task.save()
    request = task.request
    record_change(
        request,
        action=f"support.{action}",
        actor=actor,
        at=now,
        kind=EventKind.SUPPORT,
        note=f"{task.department.name}: {SupportTask.State(task.state).label}. {result}".strip(),
        public=False,
        audit_note=f"{task.department.name}: {result or task.need}",
    )
    if action == "done" and request.assignee and request.assignee_id != actor.pk:
        notify(
            request.assignee,
            subject=_("%(number)s: %(department)s finished their part")
            % {"number": request.number, "department": task.department.name},
            body=result,
            url=console_url(request),
            request=request,
            email=False,
        )
    return task


def _department_workers(department: Department):
    return User.objects.filter(
        department=department, is_active=True, role__in=routing.WORKING_ROLES
    ).order_by("pk")[:10]
