"""The demo seeded on any day looks live: history up to that moment, plans from that day on,
open requests with plausible clocks, and a first escalation sweep that finds (almost) nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from demo.tests.helpers import seed
from demo.tests.test_requests_history import LEGAL
from dispatch.models import Job, JobState, Plan
from servicedesk import clock, escalation
from servicedesk.models import (
    OPEN_STATUSES,
    EventKind,
    OutboxMessage,
    RequestEvent,
    ServiceRequest,
    Status,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = {
    "sunday": datetime.datetime(2026, 12, 6, 15, 0, tzinfo=SHANGHAI),
    "wednesday": datetime.datetime(2026, 12, 9, 15, 30, tzinfo=SHANGHAI),
}
FIRST_PLAN_DAY = {"sunday": datetime.date(2026, 12, 7), "wednesday": datetime.date(2026, 12, 9)}
DONE_STATES = (JobState.DONE, JobState.MISSED)


@pytest.fixture(scope="module", params=sorted(DAYS))
def city(request, django_db_setup, django_db_blocker):
    """A small city seeded without --until on a faked day (rolled back afterwards)."""
    now = DAYS[request.param]
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(now, tick=False):
            seed(
                until=None, shops=300, staff=8, weeks=1, request_weeks=4, chat_weeks=0,
                visit_weeks=1, plan_iterations=50,
            )  # fmt: skip
        yield request.param, now
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_no_visit_is_planned_in_the_past_and_the_plan_starts_today(city):
    name, now = city
    first = FIRST_PLAN_DAY[name]
    past = Job.objects.filter(planned_day__lt=first).exclude(state__in=DONE_STATES)
    assert not past.exists(), list(past.values_list("planned_day", "state")[:5])
    assert Job.objects.filter(planned_day__lt=first, state__in=DONE_STATES).exists()
    assert not Job.objects.filter(planned_day__gte=first, state__in=DONE_STATES).exists()
    plan = Plan.objects.get(state=Plan.State.PUBLISHED)
    assert plan.first_day == first
    assert (plan.last_day - plan.first_day).days < 7


@pytest.mark.django_db
def test_nothing_happened_after_now(city):
    _name, now = city
    assert not RequestEvent.objects.filter(at__gt=now).exists()
    assert not ServiceRequest.objects.filter(created_at__gt=now).exists()
    latest = RequestEvent.objects.order_by("-at").values_list("at", flat=True).first()
    assert now - latest < datetime.timedelta(days=3)  # the history runs up to now


@pytest.mark.django_db
def test_open_requests_have_plausible_clocks(city):
    _name, now = city
    calendar = clock.company_calendar()
    open_requests = list(ServiceRequest.objects.filter(status__in=OPEN_STATUSES))
    assert len(open_requests) >= 3
    fractions = []
    for request in open_requests:
        for name, state in escalation.running_clocks(request, now, calendar).items():
            fractions.append(state.fraction)
            assert state.fraction < 12, (request.pk, name, state)  # never thousands of percent
            if state.breached:  # the sweep at the demo's now recorded it
                assert getattr(request, f"{name}_breached"), (request.pk, name)
    assert sum(f > 1 for f in fractions) < 0.5 * len(fractions)  # a few late, most not


@pytest.mark.django_db
def test_the_first_sweep_after_seeding_is_calm(city):
    _name, now = city
    messages = OutboxMessage.objects.count()
    events = RequestEvent.objects.count()
    with time_machine.travel(now + datetime.timedelta(minutes=2), tick=False):
        result = escalation.escalations_run()
    assert result.fired + result.breaches + result.closed <= 5
    assert OutboxMessage.objects.count() - messages <= 10  # a handful, not dozens
    assert RequestEvent.objects.count() - events <= 10


@pytest.mark.django_db
def test_request_histories_follow_the_state_machine(city):
    stories: dict[int, list[RequestEvent]] = {}
    for event in RequestEvent.objects.order_by("at", "pk"):
        stories.setdefault(event.request_id, []).append(event)
    for request in ServiceRequest.objects.all():
        story = stories[request.pk]
        assert story[0].kind == EventKind.CREATED
        status = Status.NEW
        for event in story[1:]:
            if event.to_status:
                assert event.from_status == status, (request.pk, event)
                assert (status, event.to_status) in LEGAL, (request.pk, event)
                status = event.to_status
        assert status == request.status
        escalated = [e.note for e in story if e.kind == EventKind.ESCALATED]
        assert all("预警" not in note or "%" in note for note in escalated)
