"""The request's lifecycle: the actions (start, ask the shop, resolve, close, reopen) and what
each changes, including the SLA clocks."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import User
from audit.services import snapshot
from flexserve import policy
from flexserve.errors import Forbidden, Invalid
from flexserve.policy import Perm
from servicedesk import clock
from servicedesk.errors import IllegalTransition, SupportStillOpen
from servicedesk.models import Clock, Comment, EventKind, ServiceRequest, SlaBreach, Status
from servicedesk.services.common import (
    AUDITED_FIELDS,
    _clean_text,
    _locked,
    can_manage,
    is_shop_of,
    record_change,
)
from servicedesk.services.notifications import _notify_transition
from servicedesk.services.timing import timing_refresh


@dataclass(frozen=True)
class Action:
    sources: frozenset[str]
    target: str
    label: Promise
    needs_note: bool = False


ACTIONS: dict[str, Action] = {
    "start": Action(frozenset({Status.ASSIGNED}), Status.IN_PROGRESS, gettext_lazy("Start work")),
    "ask_shop": Action(
        frozenset({Status.ASSIGNED, Status.IN_PROGRESS}),
        Status.WAITING_ON_SHOP,
        gettext_lazy("Ask the shop"),
        needs_note=True,
    ),
    "resume": Action(
        frozenset({Status.WAITING_ON_SHOP}), Status.IN_PROGRESS, gettext_lazy("Resume")
    ),
    "resolve": Action(
        frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_SHOP}),
        Status.RESOLVED,
        gettext_lazy("Resolve"),
        needs_note=True,
    ),
    "close": Action(frozenset({Status.RESOLVED}), Status.CLOSED, gettext_lazy("Confirm and close")),
    "reopen": Action(
        frozenset({Status.RESOLVED, Status.CLOSED}),
        Status.ASSIGNED,
        pgettext_lazy("request action", "Reopen"),
        needs_note=True,
    ),
}
SHOP_ACTIONS = frozenset({"close", "reopen"})


# The clock counts for the staff only in these states.
_PAUSED_STATES = (Status.WAITING_ON_SHOP, Status.RESOLVED, Status.CLOSED)


def apply_transition(request, action: str, now: datetime, *, by_shop: bool) -> tuple[str, str]:
    """The fields ``action`` changes (status, clock pause/resume, resolved/closed, first
    response), on the request alone: no checks, no save. Returns (source, target). The demo
    history replays its requests' lives through this too."""
    source, target = request.status, ACTIONS[action].target
    if action == "reopen":
        target = Status.ASSIGNED if request.assignee_id else Status.NEW
        request.reopen_count += 1
        request.resolved_at = request.closed_at = None
    request.status = target
    if target in _PAUSED_STATES and source not in _PAUSED_STATES:
        clock.pause(request, now)
    elif target not in _PAUSED_STATES and source in _PAUSED_STATES:
        clock.resume(request, now)
    if target == Status.RESOLVED:
        request.resolved_at = now
    if target == Status.CLOSED:
        request.closed_at = now
    if request.first_response_at is None and not by_shop:
        request.first_response_at = now  # any staff move answers the shop
    return source, target


def stopped_late(request, now: datetime, calendar=None) -> list[tuple[str, datetime]]:
    """The clocks that stopped late by ``now`` and are not yet flagged: flags them (fields only)
    and returns each with its due time."""
    calendar = calendar or clock.company_calendar()
    stopped = []
    if (
        request.first_response_at
        and not request.response_breached
        and clock.response_clock(request, now, calendar).breached
    ):
        request.response_breached = True
        stopped.append((Clock.RESPONSE, request.response_due_at))
    if (
        request.status == Status.RESOLVED
        and not request.resolution_breached
        and clock.resolution_clock(request, now, calendar).breached
    ):
        request.resolution_breached = True
        due = request.resolution_due_at or clock.resolution_due(request, calendar)
        stopped.append((Clock.RESOLUTION, due))
    return stopped


def shop_replied(request, now: datetime) -> bool:
    """A shop's reply to a request waiting on it: the clock runs again (fields only)."""
    if request.status != Status.WAITING_ON_SHOP:
        return False
    request.status = Status.IN_PROGRESS
    clock.resume(request, now)
    return True


def allowed_actions(actor: User, request: ServiceRequest) -> list[str]:
    """The transitions ``actor`` may make now (pages show these as buttons)."""
    names = []
    for name, action in ACTIONS.items():
        if request.status not in action.sources:
            continue
        if is_shop_of(actor, request):
            if name in SHOP_ACTIONS:
                names.append(name)
        elif name in ("close", "reopen"):
            if policy.has_perm(actor, Perm.REQUEST_WORK):
                names.append(name)
        elif can_manage(actor, request):
            names.append(name)
    return names


@transaction.atomic
def request_transition(
    *,
    actor: User,
    request_id: int,
    action: str,
    note: str = "",
    override_reason: str = "",
    at: datetime | None = None,
) -> ServiceRequest:
    request = _locked(actor, request_id)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Invalid(fields={"action": [_("Unknown action.")]})
    if action not in allowed_actions(actor, request):
        if request.status not in spec.sources:
            raise IllegalTransition(status=Status(request.status).label)
        raise Forbidden()
    note = _clean_text(note, "note", required=spec.needs_note, max_length=500)
    now = at or timezone.now()
    if action == "resolve":
        _check_support_done(actor, request, override_reason)

    before = snapshot(request, AUDITED_FIELDS)
    source, target = apply_transition(request, action, now, by_shop=is_shop_of(actor, request))
    _settle_clocks(request, now)
    request.save()

    # The override reason is internal: it goes to the audit trail, not the shop's timeline.
    record_change(
        request,
        action=f"request.{action}",
        actor=actor,
        at=now,
        kind=EventKind.STATUS,
        note=note,
        before=before,
        audit_note=override_reason,
        from_status=source,
        to_status=target,
    )
    if note and action in ("ask_shop", "resolve", "reopen"):
        Comment.objects.create(request=request, author=actor, body=note, created_at=now)
    if target in (Status.RESOLVED, Status.CLOSED) or action == "reopen":
        timing_refresh(request, until=now)
    _notify_transition(actor, request, action)
    return request


def _settle_clocks(request: ServiceRequest, now: datetime) -> None:
    """When a clock stops (first response, resolution), record whether it was late."""
    for name, due in stopped_late(request, now):
        SlaBreach.objects.get_or_create(
            request=request, clock=name, defaults={"due_at": due, "recorded_at": now}
        )


def _check_support_done(actor: User, request: ServiceRequest, override_reason: str) -> None:
    open_parts = [t for t in request.support_tasks.filter(required=True) if t.is_open]
    if not open_parts:
        return
    if not override_reason.strip():
        raise SupportStillOpen(n=len(open_parts))
    if not policy.has_perm(actor, Perm.REQUEST_OVERRIDE):
        raise Forbidden(message=_("Only a service manager can resolve with support still open."))
