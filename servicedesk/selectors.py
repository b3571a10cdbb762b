"""Reads of service requests; every query starts from ``policy.visible``."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.models import User
from flexserve import policy
from flexserve.errors import NotFound
from flexserve.policy import Perm
from servicedesk import clock
from servicedesk.models import (
    OPEN_STATUSES,
    CannedReply,
    Comment,
    EventKind,
    Notification,
    RequestEvent,
    RequestType,
    ServiceRequest,
    SupportTask,
    pk_of_number,
)

# "Breaching soon": due within this much wall-clock time (or already late).
BREACHING_WINDOW = timedelta(hours=4)
QUEUES = ("mine", "department", "breaching", "unassigned", "support", "all")
WORK_QUEUES = QUEUES[:5]  # each a filter; "all" is every request in scope


def _queue_q(user: User, queue: str) -> Q:
    """What puts a request in one of the work queues."""
    open_ = Q(status__in=OPEN_STATUSES)
    if queue == "mine":
        return open_ & Q(assignee=user)
    if queue == "department":
        return open_ & Q(department_id=user.department_id)
    if queue == "unassigned":
        return open_ & Q(assignee__isnull=True)
    if queue == "support":
        supported = SupportTask.objects.filter(
            Q(department_id=user.department_id) | Q(owner=user),
            state__in=(SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS),
        )
        return Q(pk__in=supported.values("request_id"))
    soon = timezone.now() + BREACHING_WINDOW  # breaching
    return open_ & (
        Q(resolution_due_at__lte=soon)
        | Q(first_response_at__isnull=True, response_due_at__lte=soon)
    )


def request_types() -> QuerySet[RequestType]:
    return RequestType.objects.filter(is_active=True).select_related("department")


def canned_replies(user: User) -> QuerySet[CannedReply]:
    return policy.visible(user, CannedReply.objects.filter(is_active=True))


@dataclass(frozen=True)
class RequestFilters:
    queue: str = ""
    status: str = ""
    request_type: str = ""
    shop_id: int | None = None
    q: str = ""
    open_only: bool = False


def _base(user: User) -> QuerySet[ServiceRequest]:
    policy.require(user, Perm.REQUEST_VIEW)
    return policy.visible(
        user,
        ServiceRequest.objects.select_related("shop", "request_type", "assignee", "department"),
    )


def request_list(user: User, filters: RequestFilters | None = None) -> QuerySet[ServiceRequest]:
    filters = filters or RequestFilters()
    qs = _base(user)
    queue = filters.queue
    if queue in WORK_QUEUES:
        qs = qs.filter(_queue_q(user, queue))
    if filters.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.request_type:
        qs = qs.filter(request_type__code=filters.request_type)
    if filters.shop_id:
        qs = qs.filter(shop_id=filters.shop_id)
    text = filters.q.strip()
    if text:
        pk = pk_of_number(text)
        match = Q(title__icontains=text) | Q(shop__name__icontains=text)
        qs = qs.filter(match | Q(pk=pk)) if pk else qs.filter(match)
    if queue in WORK_QUEUES:
        return qs.annotate(next_due=_NEXT_DUE).order_by(
            F("next_due").asc(nulls_last=True), "created_at"
        )
    return qs.order_by("-created_at")


# The clock that runs out first: first response until the shop is answered (or resolution, if
# that comes earlier), then resolution; none while the resolution clock is paused.
_NEXT_DUE = Case(
    When(
        first_response_at__isnull=True,
        then=Least("response_due_at", Coalesce("resolution_due_at", "response_due_at")),
    ),
    default=F("resolution_due_at"),
)


def request_get(user: User, request_id: int) -> ServiceRequest:
    try:
        return _base(user).prefetch_related("attachments").get(pk=request_id)
    except ServiceRequest.DoesNotExist:
        raise NotFound() from None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: Any
    text: str
    internal: bool
    event: RequestEvent | None = None
    comment: Comment | None = None


def timeline(user: User, request: ServiceRequest) -> list[TimelineEntry]:
    """Events and comments in time order; the shop sees the public ones only."""
    internal_ok = policy.sees_internal(user)
    events = request.events.select_related("actor", "from_assignee", "to_assignee")
    comments = request.comments.select_related("author")
    if not internal_ok:
        events = events.filter(public=True)
        comments = comments.filter(internal=False)
    entries = [
        TimelineEntry(e.at, e.kind, e.actor, e.note, not e.public, event=e)
        for e in events
        if e.kind != EventKind.COMMENT  # comments come in full from their own table
    ]
    said = {(c.created_at, c.body) for c in comments}
    # A note given with a move (ask the shop, resolve, reopen) is also the reply at that moment:
    # it shows once, as the comment.
    entries = [replace(e, text="") if (e.at, e.text) in said else e for e in entries]
    entries += [
        TimelineEntry(c.created_at, EventKind.COMMENT, c.author, c.body, c.internal, comment=c)
        for c in comments
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind != EventKind.CREATED))


def support_tasks(request: ServiceRequest) -> QuerySet[SupportTask]:
    return request.support_tasks.select_related("department", "owner")


@dataclass(frozen=True)
class Clocks:
    response: clock.ClockState
    resolution: clock.ClockState


def clocks(request: ServiceRequest, now: datetime | None = None) -> Clocks:
    now = now or timezone.now()
    calendar = clock.company_calendar()
    return Clocks(
        response=clock.response_clock(request, now, calendar),
        resolution=clock.resolution_clock(request, now, calendar),
    )


def notifications(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def assignable_staff(user: User) -> QuerySet[User]:
    """People a request can be handed to."""
    from servicedesk.routing import WORKING_ROLES

    return User.objects.filter(is_active=True, role__in=WORKING_ROLES).order_by(
        "department__code", "full_name"
    )


def queue_counts(user: User) -> dict[str, int]:
    """How many requests wait in each work queue, in one query."""
    counts = {name: Count("pk", filter=_queue_q(user, name)) for name in WORK_QUEUES}
    return _base(user).order_by().aggregate(**counts)
