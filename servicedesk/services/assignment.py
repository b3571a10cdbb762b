"""Assignment: hand a request over, take it from a queue, change its priority."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.services import snapshot
from flexserve import policy
from flexserve.errors import Forbidden, Invalid
from flexserve.policy import Perm
from servicedesk import routing
from servicedesk.errors import AlreadyOwned, RequestNotOpen
from servicedesk.models import PRIORITY_RANK, EventKind, Priority, ServiceRequest, Status
from servicedesk.services.common import (
    AUDITED_FIELDS,
    _clean_text,
    _locked,
    can_manage,
    record_change,
)
from servicedesk.services.notifications import _notify_assignee


def handed_over(request, assignee_id: int, department_id: int | None) -> None:
    """The fields a hand-over changes (fields only; ``reassign`` saves and records it)."""
    if request.assignee_id is not None:
        request.handover_count += 1
    request.assignee_id = assignee_id
    if department_id and department_id != request.department_id:
        request.department_id = department_id
    if request.status in (Status.NEW, Status.IN_PROGRESS):
        request.status = Status.ASSIGNED  # the new owner has not started yet


@transaction.atomic
def request_assign(
    *,
    actor: User,
    request_id: int,
    assignee_id: int,
    reason: str,
    at: datetime | None = None,
) -> ServiceRequest:
    """Hand a request to someone else (a dispatcher or manager, or its owner passing it on)."""
    request = _locked(actor, request_id)
    if not can_manage(actor, request):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    reason = _clean_text(reason, "reason", required=True, max_length=300)
    assignee = User.objects.filter(
        pk=assignee_id, is_active=True, role__in=routing.WORKING_ROLES + (Role.DISPATCHER,)
    ).first()
    if assignee is None:
        raise Invalid(fields={"assignee_id": [_("Choose an active staff member.")]})
    if assignee.pk == request.assignee_id:
        raise Invalid(fields={"assignee_id": [_("The request is already theirs.")]})
    reassign(request, assignee, actor=actor, note=reason, at=at or timezone.now())
    return request


@transaction.atomic
def request_take(*, actor: User, request_id: int, at: datetime | None = None) -> ServiceRequest:
    """A staff member takes an unassigned request from a queue they can see; a dispatcher or
    manager may also take over one that someone else owns."""
    request = _locked(actor, request_id)
    policy.require(actor, Perm.REQUEST_WORK)
    if not request.is_open:
        raise RequestNotOpen()
    if request.assignee_id == actor.pk or (
        request.assignee_id and not policy.has_perm(actor, Perm.REQUEST_ASSIGN)
    ):
        raise AlreadyOwned()
    reassign(request, actor, actor=actor, note=_("Taken from the queue"), at=at or timezone.now())
    return request


def reassign(
    request: ServiceRequest, assignee: User, *, actor: User | None, note: str, at: datetime
) -> None:
    before = snapshot(request, AUDITED_FIELDS)
    previous, source = request.assignee, request.status
    handed_over(request, assignee.pk, assignee.department_id)
    request.assignee = assignee
    request.save()
    record_change(
        request,
        action="request.assigned",
        actor=actor,
        at=at,
        kind=EventKind.ASSIGNED,
        note=note,
        public=False,
        before=before,
        from_status=source if source != request.status else "",
        to_status=request.status if source != request.status else "",
        from_assignee=previous,
        to_assignee=assignee,
    )
    if actor is None or assignee.pk != actor.pk:  # nobody needs telling that they took it
        _notify_assignee(request, assignee)


@transaction.atomic
def request_set_priority(
    *, actor: User | None, request: ServiceRequest, priority: str, note: str, at: datetime
) -> None:
    """Change the priority (escalation raises it); the caller holds the row."""
    if priority == request.priority:
        return
    before = snapshot(request, AUDITED_FIELDS)
    old = request.priority
    request.priority = priority
    request.save(update_fields=["priority", "updated_at"])
    record_change(
        request,
        action="request.priority",
        actor=actor,
        at=at,
        kind=EventKind.PRIORITY,
        note=f"{Priority(old).label} → {Priority(priority).label}. {note}".strip(),
        public=False,
        before=before,
        audit_note=note,
    )


def raised(priority: str) -> str:
    rank = min(PRIORITY_RANK[Priority(priority)] + 1, len(PRIORITY_RANK) - 1)
    return next(p for p, r in PRIORITY_RANK.items() if r == rank)
