"""Escalation: act before a breach, record breaches, close what shops forgot to confirm.

Runs on a schedule (Celery beat every minute in production; the embedded scheduler or
``manage.py run_scheduler`` otherwise). Idempotent however often it runs: a rule fires once per
request (``EscalationFiring`` is unique per request and rule, inserted before acting, in the same
transaction), a breach is recorded once per request and clock.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.services import snapshot
from servicedesk import clock, routing, services
from servicedesk.models import (
    OPEN_STATUSES,
    Clock,
    EscalationFiring,
    EscalationRule,
    EventKind,
    RequestEvent,
    ServiceRequest,
    SlaBreach,
    Status,
)
from servicedesk.outbox import notify

# A resolved request the shop neither confirms nor reopens is closed after this many working days.
AUTO_CLOSE_WORKING_DAYS = 3


@dataclass
class EscalationResult:
    fired: int = 0
    breaches: int = 0
    closed: int = 0


def supervisors_of(request: ServiceRequest) -> list[User]:
    managers = User.objects.filter(role=Role.SERVICE_MANAGER, is_active=True)
    own = list(managers.filter(department_id=request.department_id).order_by("pk"))
    return own or list(managers.order_by("pk")[:3])


def escalations_run(now: datetime | None = None) -> EscalationResult:
    now = now or timezone.now()
    calendar = clock.company_calendar()
    result = EscalationResult()
    rules = active_rules()
    open_requests = list(
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES).select_related("request_type")
    )
    open_ids = [r.pk for r in open_requests]
    fired: dict[int, set[int]] = defaultdict(set)
    for request_id, rule_id in EscalationFiring.objects.filter(request_id__in=open_ids).values_list(
        "request_id", "rule_id"
    ):
        fired[request_id].add(rule_id)
    for request in open_requests:
        states = running_clocks(request, now, calendar)
        for name, rule in due_actions(request, states, rules, fired[request.pk]):
            if rule is None:
                result.breaches += record_breach(request.pk, name, now)
            else:
                result.fired += fire(request.pk, rule, states[name], now)
    result.closed = auto_close(now)
    return result


def active_rules() -> list[EscalationRule]:
    """The rules a sweep applies, in the order it applies them."""
    return list(EscalationRule.objects.filter(is_active=True).order_by("threshold_pct", "pk"))


def running_clocks(request, now: datetime, calendar=None) -> dict[str, clock.ClockState]:
    """The request's clocks that still run at ``now``: the response clock until the first
    answer, the resolution clock while not paused (pure: fields only)."""
    states = {}
    if request.first_response_at is None:
        states[Clock.RESPONSE] = clock.response_clock(request, now, calendar)
    if request.paused_at is None:
        states[Clock.RESOLUTION] = clock.resolution_clock(request, now, calendar)
    return states


def is_warning(rule: EscalationRule) -> bool:
    """A rule below 100 % warns before the deadline; past the deadline the breach applies."""
    return rule.threshold_pct < 100


def due_actions(
    request, states: dict[str, clock.ClockState], rules: list[EscalationRule], fired: set[int]
) -> list[tuple[str, EscalationRule | None]]:
    """What one sweep does to one request (pure): ``(clock, None)`` records that clock's breach,
    ``(clock, rule)`` fires the rule. ``fired`` holds the ids of the rules fired already.

    A warning (a rule below 100 %) is only sent while its clock is within the target: once the
    deadline has passed, the breach (recorded once) is what the staff hear about.
    """
    actions: list[tuple[str, EscalationRule | None]] = []
    for name, state in states.items():
        flagged = getattr(request, f"{name}_breached")
        if state.breached and not flagged:
            actions.append((name, None))
        for rule in rules:
            if rule.clock != name or rule.pk in fired:
                continue
            if rule.request_type_id not in (None, request.request_type_id):
                continue
            if is_warning(rule) and (state.breached or flagged):
                continue
            if state.fraction * 100 >= rule.threshold_pct:
                actions.append((name, rule))
    return actions


def next_due(
    request, rules: list[EscalationRule], fired: set[int], calendar=None
) -> list[datetime]:
    """When a sweep could next act on the request if nothing else changes (ascending, pure):
    the moments its running clocks reach a pending rule's threshold or run past the target.
    ``due_actions`` at each moment says what (if anything) is then due."""
    calendar = calendar or clock.company_calendar()
    needed: list[tuple[str, int]] = []
    for name in running_clocks(request, request.created_at, calendar):
        target = (
            request.response_target_min if name == Clock.RESPONSE else request.resolution_target_min
        ) * 60
        flagged = getattr(request, f"{name}_breached")
        if not flagged:
            needed.append((name, target + 1))  # breached: elapsed > target
        for rule in rules:
            if rule.clock != name or rule.pk in fired:
                continue
            if rule.request_type_id not in (None, request.request_type_id):
                continue
            if is_warning(rule) and flagged:
                continue
            needed.append((name, -(-target * rule.threshold_pct // 100)))
    return sorted(clock.reaches(request, name, seconds, calendar) for name, seconds in needed)


def escalation_note(rule: EscalationRule, state: clock.ClockState) -> str:
    return _("%(rule)s: %(clock)s at %(pct)s %% of the target") % {
        "rule": rule.name,
        "clock": Clock(rule.clock).label,
        "pct": round(state.fraction * 100),
    }


def closes_unconfirmed_at(resolved_at: datetime, calendar=None) -> datetime:
    """The first moment ``auto_close`` closes a request resolved at ``resolved_at``: after
    ``AUTO_CLOSE_WORKING_DAYS`` of working time and at least as many calendar days."""
    calendar = calendar or clock.company_calendar()
    horizon = calendar.seconds_per_day * AUTO_CLOSE_WORKING_DAYS
    return max(
        calendar.add_business_seconds(resolved_at, horizon),
        resolved_at + timedelta(days=AUTO_CLOSE_WORKING_DAYS, microseconds=1),
    )


@transaction.atomic
def record_breach(request_id: int, clock_name: str, now: datetime) -> int:
    request = ServiceRequest.objects.select_for_update().get(pk=request_id)
    due = request.response_due_at if clock_name == Clock.RESPONSE else request.resolution_due_at
    try:
        with transaction.atomic():
            SlaBreach.objects.create(
                request=request, clock=clock_name, due_at=due or now, recorded_at=now
            )
    except IntegrityError:
        return 0
    setattr(request, f"{clock_name}_breached", True)
    request.save(update_fields=[f"{clock_name}_breached", "updated_at"])
    RequestEvent.objects.create(
        request=request,
        kind=EventKind.BREACHED,
        at=now,
        note=str(Clock(clock_name).label),
        public=False,
    )
    for person in {request.assignee, *supervisors_of(request)} - {None}:
        notify(
            person,
            subject=_("%(number)s is late: %(clock)s target missed")
            % {"number": request.number, "clock": Clock(clock_name).label},
            url=services.console_url(request),
            request=request,
        )
    return 1


@transaction.atomic
def fire(request_id: int, rule: EscalationRule, state: clock.ClockState, now: datetime) -> int:
    """Apply ``rule`` to the request once; 0 when it had already fired (another run won)."""
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("shop__grid", "request_type", "assignee")
        .get(pk=request_id)
    )
    if request.status not in OPEN_STATUSES:
        return 0
    try:
        with transaction.atomic():
            EscalationFiring.objects.create(request=request, rule=rule, fired_at=now)
    except IntegrityError:
        return 0
    note = escalation_note(rule, state)
    services.record_change(
        request,
        action="request.escalated",
        actor=None,
        at=now,
        kind=EventKind.ESCALATED,
        note=note,
        public=False,
    )
    if rule.raise_priority:
        services.request_set_priority(
            actor=None,
            request=request,
            priority=services.raised(request.priority),
            note=rule.name,
            at=now,
        )
    if rule.reassign and request.status != Status.WAITING_ON_SHOP:
        colleague = routing.choose_assignee(
            request.request_type, request.shop, exclude=request.assignee
        )
        if colleague is not None:
            services.reassign(request, colleague, actor=None, note=note, at=now)
    if rule.notify_supervisor:
        for person in supervisors_of(request):
            notify(
                person,
                subject=_("Escalation %(number)s: %(title)s")
                % {"number": request.number, "title": request.title},
                body=note,
                url=services.console_url(request),
                request=request,
            )
    return 1


def auto_close(now: datetime) -> int:
    calendar = clock.company_calendar()
    closed = 0
    stale = ServiceRequest.objects.filter(
        status=Status.RESOLVED, resolved_at__lt=now - timedelta(days=AUTO_CLOSE_WORKING_DAYS)
    )
    for request in stale:
        if now >= closes_unconfirmed_at(request.resolved_at, calendar):
            closed += _close_unconfirmed(request.pk, now)
    return closed


@transaction.atomic
def _close_unconfirmed(request_id: int, now: datetime) -> int:
    request = ServiceRequest.objects.select_for_update().get(pk=request_id)
    if request.status != Status.RESOLVED:
        return 0
    before = snapshot(request, services.AUDITED_FIELDS)
    request.status = Status.CLOSED
    request.closed_at = now
    request.save(update_fields=["status", "closed_at", "updated_at"])
    services.record_change(
        request,
        action="request.close",
        actor=None,
        at=now,
        kind=EventKind.STATUS,
        note=_("Closed automatically: not confirmed within %(n)s working days")
        % {"n": AUTO_CLOSE_WORKING_DAYS},
        before=before,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
    )
    services.timing_refresh(request, until=now)
    return 1
