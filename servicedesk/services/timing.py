"""Where a request's time went, stored for the process-analysis page (``servicedesk.timing``
computes it; this stores it)."""

from datetime import datetime

from servicedesk import clock
from servicedesk.models import EventKind, RequestTiming, ServiceRequest, SupportTask
from servicedesk.timing import Handover, StatusChange, SupportSpan, compute_timing


def timing_refresh(request: ServiceRequest, *, until: datetime) -> RequestTiming:
    """Recompute where the request's time went (stored for the process-analysis page)."""
    events = list(request.events.filter(kind__in=(EventKind.STATUS, EventKind.ASSIGNED)))
    computed = compute_timing(
        created_at=request.created_at,
        status_changes=[StatusChange(e.at, e.to_status) for e in events if e.to_status],
        assignments=[
            Handover(e.at, e.from_assignee_id, e.to_assignee_id)
            for e in events
            if e.kind == EventKind.ASSIGNED
        ],
        support=[
            SupportSpan(t.created_at, t.started_at, t.finished_at)
            for t in request.support_tasks.exclude(state=SupportTask.State.CANCELLED)
        ],
        first_response_at=request.first_response_at,
        until=until,
        business_seconds=clock.company_calendar().business_seconds,
    )
    timing, _created = RequestTiming.objects.update_or_create(
        request=request,
        defaults={
            "request_type_id": request.request_type_id,
            "created_at": request.created_at,
            **computed.as_dict(),
        },
    )
    return timing
