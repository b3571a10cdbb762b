"""Stage timing of one request from its events (pure Python: no Django, no database).

Each status a request passes through is a stage of waiting or of work, counted in business time:

- new: waiting in the dispatch queue for an owner (dispatch_wait);
- assigned: waiting in the owner's stack, not yet started (handling_wait);
- in progress: being worked (handling_work);
- waiting on shop: the shop's time, not the staff's (shop_wait);
- resolved: waiting for the shop to confirm (confirm_wait).

Support tasks of other departments run beside the main line: waiting from the call until someone
starts, working from then until done. The staff's resolution time is the request's own
dispatch + handling time, which excludes the shop's waiting and the confirmation.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

BusinessSeconds = Callable[[datetime, datetime], int]

_STAGE_OF_STATUS = {
    "new": "dispatch_wait_s",
    "assigned": "handling_wait_s",
    "in_progress": "handling_work_s",
    "waiting_on_shop": "shop_wait_s",
    "resolved": "confirm_wait_s",
}


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    to_status: str


@dataclass(frozen=True)
class Handover:
    at: datetime
    from_assignee: int | None
    to_assignee: int | None


@dataclass(frozen=True)
class SupportSpan:
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass
class Timing:
    dispatch_wait_s: int = 0
    handling_wait_s: int = 0
    handling_work_s: int = 0
    support_wait_s: int = 0
    support_work_s: int = 0
    confirm_wait_s: int = 0
    shop_wait_s: int = 0
    first_response_s: int | None = None
    resolution_s: int | None = None
    handovers: int = 0
    first_contact_resolution: bool = False

    def as_dict(self) -> dict[str, int | bool | None]:
        return dict(self.__dict__)


def compute_timing(
    *,
    created_at: datetime,
    status_changes: Sequence[StatusChange],
    assignments: Iterable[Handover],
    support: Iterable[SupportSpan],
    first_response_at: datetime | None,
    until: datetime,
    business_seconds: BusinessSeconds,
) -> Timing:
    """Timing of a request created at ``created_at``; open intervals end at ``until``."""
    timing = Timing()
    status, since = "new", created_at
    reached_resolved = waited_on_shop = False
    reopened = 0
    for change in sorted(status_changes, key=lambda c: c.at):
        _add(timing, status, business_seconds(since, change.at))
        if status in ("resolved", "closed") and change.to_status not in ("resolved", "closed"):
            reopened += 1
        waited_on_shop |= change.to_status == "waiting_on_shop"
        reached_resolved |= change.to_status in ("resolved", "closed")
        status, since = change.to_status, change.at
    _add(timing, status, business_seconds(since, until) if until > since else 0)

    timing.handovers = sum(
        1 for h in assignments if h.from_assignee is not None and h.from_assignee != h.to_assignee
    )
    spans = list(support)
    for span in spans:
        start = span.started_at or span.finished_at or until
        timing.support_wait_s += business_seconds(span.created_at, start)
        if span.started_at is not None:
            timing.support_work_s += business_seconds(span.started_at, span.finished_at or until)
    if first_response_at is not None:
        timing.first_response_s = business_seconds(created_at, first_response_at)
    if reached_resolved and status in ("resolved", "closed"):
        timing.resolution_s = (
            timing.dispatch_wait_s + timing.handling_wait_s + timing.handling_work_s
        )
        timing.first_contact_resolution = (
            timing.handovers == 0 and reopened == 0 and not spans and not waited_on_shop
        )
    return timing


def _add(timing: Timing, status: str, seconds: int) -> None:
    field = _STAGE_OF_STATUS.get(status)
    if field is not None:
        setattr(timing, field, getattr(timing, field) + seconds)
