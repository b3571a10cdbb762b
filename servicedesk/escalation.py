"""Escalation: act before a breach, record breaches, close what shops forgot to confirm.

Runs on a schedule (Celery beat every minute in production; the embedded scheduler or
``manage.py run_scheduler`` otherwise). Idempotent however often it runs: a rule fires once per
request (``EscalationFiring`` is unique per request and rule, inserted before acting, in the same
transaction), a breach is recorded once per request and clock.
"""

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
    rules = list(EscalationRule.objects.filter(is_active=True).order_by("threshold_pct"))
    open_requests = list(
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES).select_related("request_type")
    )
    open_ids = [r.pk for r in open_requests]
    fired = set(
        EscalationFiring.objects.filter(request_id__in=open_ids).values_list(
            "request_id", "rule_id"
        )
    )
    for request in open_requests:
        states = {}
        if request.first_response_at is None:
            states[Clock.RESPONSE] = clock.response_clock(request, now, calendar)
        if request.paused_at is None:
            states[Clock.RESOLUTION] = clock.resolution_clock(request, now, calendar)
        for name, state in states.items():
            if state.breached and not getattr(request, f"{name}_breached"):
                result.breaches += record_breach(request.pk, name, now)
            for rule in rules:
                if rule.clock != name or (request.pk, rule.pk) in fired:
                    continue
                if rule.request_type_id not in (None, request.request_type_id):
                    continue
                if state.fraction * 100 >= rule.threshold_pct:
                    result.fired += fire(request.pk, rule, state, now)
    result.closed = auto_close(now)
    return result


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
    percent = round(state.fraction * 100)
    note = _("%(rule)s: %(clock)s at %(pct)s %% of the target") % {
        "rule": rule.name,
        "clock": Clock(rule.clock).label,
        "pct": percent,
    }
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
    horizon = calendar.seconds_per_day * AUTO_CLOSE_WORKING_DAYS
    closed = 0
    stale = ServiceRequest.objects.filter(
        status=Status.RESOLVED, resolved_at__lt=now - timedelta(days=AUTO_CLOSE_WORKING_DAYS)
    )
    for request in stale:
        if calendar.business_seconds(request.resolved_at, now) >= horizon:
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
