"""Requests made by hand with exact times and outcomes: the rollups count exactly these fields.

The intake and lifecycle services (servicedesk/tests/factories.py) are used where a test is about
what a real change does to the figures; these set the facts directly.
"""

import datetime
from zoneinfo import ZoneInfo

from customers.models import Shop
from servicedesk.models import Priority, RequestType, ServiceRequest, Status

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, at 9:00 in Shanghai.
MONDAY_9 = datetime.datetime(2025, 11, 24, 9, 0, tzinfo=SHANGHAI)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def hand_made(
    shop: Shop,
    *,
    created_at: datetime.datetime = MONDAY_9,
    responded_after: datetime.timedelta | None = None,
    resolved_after: datetime.timedelta | None = None,
    request_type: str = "order_problem",
    channel: str = "portal",
    assignee=None,
    response_breached: bool = False,
    resolution_breached: bool = False,
    handovers: int = 0,
    reopens: int = 0,
    status: str | None = None,
    updated_at: datetime.datetime | None = None,
) -> ServiceRequest:
    """A request of ``shop`` created at ``created_at``, first answered and resolved after the
    given durations (None: not yet); ``updated_at`` as given (default: its last moment)."""
    kind = RequestType.objects.get(code=request_type)
    responded_at = created_at + responded_after if responded_after is not None else None
    resolved_at = created_at + resolved_after if resolved_after is not None else None
    if status is None:
        status = Status.RESOLVED if resolved_at else Status.ASSIGNED if assignee else Status.NEW
    request = ServiceRequest.objects.create(
        shop=shop,
        request_type=kind,
        channel=channel,
        title="订单提交不了",
        priority=Priority.NORMAL,
        status=status,
        department=kind.department,
        assignee=assignee,
        created_at=created_at,
        first_response_at=responded_at,
        resolved_at=resolved_at,
        response_target_min=60,
        resolution_target_min=480,
        response_due_at=created_at + datetime.timedelta(hours=1),
        response_breached=response_breached,
        resolution_breached=resolution_breached,
        handover_count=handovers,
        reopen_count=reopens,
    )
    # updated_at is stamped with the real clock on save; set it to the request's own time.
    last = updated_at or max(m for m in (created_at, responded_at, resolved_at) if m)
    ServiceRequest.objects.filter(pk=request.pk).update(updated_at=last)
    request.updated_at = last
    return request
