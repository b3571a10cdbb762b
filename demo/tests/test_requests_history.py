"""The demo's service-request history: realistic volume and rhythm, rows the services agree with.

One city is seeded for the class of read-only checks (its transaction is rolled back at the end);
the determinism and reset checks seed their own.
"""

import datetime
import hashlib
import statistics
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import STAFF_ROLES, User
from customers.models import Shop
from demo.tests.helpers import UNTIL_DATE, seed
from servicedesk import clock, routing, services
from servicedesk.models import (
    OPEN_STATUSES,
    Comment,
    EventKind,
    RequestEvent,
    RequestTiming,
    RouteTo,
    ServiceRequest,
    SlaBreach,
    Status,
    SupportTask,
)

SHOPS, REQUEST_WEEKS = 300, 12
MONTHS = REQUEST_WEEKS * 7 / 30.44
TIMING_FIELDS = (
    "dispatch_wait_s", "handling_wait_s", "handling_work_s", "support_wait_s", "support_work_s",
    "confirm_wait_s", "shop_wait_s", "first_response_s", "resolution_s", "handovers",
    "first_contact_resolution",
)  # fmt: skip
# Every status change the services can make: ACTIONS, reopening without an owner, a hand-over
# (new/in progress → assigned), the shop's reply and the automatic close.
LEGAL = {(source, a.target) for a in services.ACTIONS.values() for source in a.sources} | {
    (Status.RESOLVED, Status.NEW),
    (Status.CLOSED, Status.NEW),
    (Status.NEW, Status.ASSIGNED),
    (Status.IN_PROGRESS, Status.ASSIGNED),
}


def _digest() -> str:
    """Everything the history wrote, by natural keys (no ids)."""
    by = ("request__created_at", "request__shop__licence_no", "pk")
    tables = [
        ServiceRequest.objects.order_by("created_at", "shop__licence_no").values_list(
            "shop__licence_no", "request_type__code", "channel", "title", "description",
            "priority", "status", "department__code", "assignee__username",
            "created_by__username", "created_at", "updated_at", "first_response_at",
            "resolved_at", "closed_at", "response_target_min", "resolution_target_min",
            "response_due_at", "resolution_due_at", "paused_at", "paused_seconds",
            "response_breached", "resolution_breached", "handover_count", "reopen_count",
        ),
        RequestEvent.objects.order_by(*by).values_list(
            "kind", "at", "actor__username", "from_status", "to_status",
            "from_assignee__username", "to_assignee__username", "note", "public",
        ),
        Comment.objects.order_by(*by).values_list("author__username", "body", "internal",
                                                  "created_at"),
        SupportTask.objects.order_by(*by).values_list(
            "department__code", "owner__username", "need", "required", "state", "due_at",
            "result", "created_at", "started_at", "finished_at",
        ),
        RequestTiming.objects.order_by("created_at", "request__shop__licence_no").values_list(
            *TIMING_FIELDS
        ),
        SlaBreach.objects.order_by(*by).values_list("clock", "due_at", "recorded_at"),
    ]  # fmt: skip
    digest = hashlib.sha256()
    for rows in tables:
        for row in rows:
            digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_history_and_reset_clears_it():
    seed(shops=60, staff=8, weeks=0, request_weeks=4)
    first = _digest()
    assert ServiceRequest.objects.exists()
    seed("--reset", shops=60, staff=8, weeks=0, request_weeks=4)
    assert _digest() == first
    seed("--reset", shops=60, staff=8, weeks=0, request_weeks=4, seed=7)
    assert _digest() != first
    seed("--reset", shops=20, staff=5, weeks=0, request_weeks=0)
    assert not ServiceRequest.objects.exists()
    assert not RequestEvent.objects.exists()


@pytest.fixture(scope="class")
def city(django_db_setup, django_db_blocker):
    """A 300-shop city with 12 weeks of requests, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = seed(shops=SHOPS, staff=25, weeks=1, request_weeks=REQUEST_WEEKS)
        yield out
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("city")
class TestHistory:
    def test_progress_is_printed(self, city):
        assert "service requests" in city
        assert "request events" in city

    def test_volume_is_about_one_request_per_shop_every_one_or_two_months(self):
        per_shop_month = ServiceRequest.objects.count() / SHOPS / MONTHS
        assert 0.5 <= per_shop_month <= 1.0
        requests = Counter(ServiceRequest.objects.values_list("shop__segment", flat=True))
        shops = Counter(Shop.objects.values_list("segment", flat=True))
        assert requests["core"] / shops["core"] > 1.5 * requests["ordinary"] / shops["ordinary"]

    def test_the_mix_is_that_of_tobacco_retail(self):
        types = Counter(ServiceRequest.objects.values_list("request_type__code", flat=True))
        common = ("delivery_complaint", "payment_failed", "stock_replenish", "order_problem")
        rare = ("licence_change", "suggestion")
        assert min(types[c] for c in common) > 2 * max(types[c] for c in rare)
        channels = Counter(ServiceRequest.objects.values_list("channel", flat=True))
        assert (channels["portal"] + channels["phone"]) / sum(channels.values()) > 0.7

    def test_mondays_peak_days_off_are_quiet_and_mornings_busy(self):
        calendar = clock.company_calendar()
        per_day, hours = Counter(), Counter()
        for created in ServiceRequest.objects.values_list("created_at", flat=True):
            local = timezone.localtime(created)
            per_day[local.date()] += 1
            hours[local.hour] += 1
        first = UNTIL_DATE - datetime.timedelta(weeks=REQUEST_WEEKS)
        mondays, workdays, days_off = [], [], []
        for offset in range(REQUEST_WEEKS * 7):
            day = first + datetime.timedelta(days=offset)
            if not calendar.is_workday(day):
                days_off.append(per_day[day])
            elif day.weekday() == 0:
                mondays.append(per_day[day])
            elif calendar.is_workday(day - datetime.timedelta(days=1)):
                workdays.append(per_day[day])
        usual = statistics.mean(workdays)
        assert 1.3 < statistics.mean(mondays) / usual < 2.0
        assert statistics.mean(days_off) < 0.35 * usual
        assert hours[10] > 2 * hours[12] and hours[15] > 2 * hours[13]

    def test_events_tell_a_legal_story_in_working_hours(self):
        calendar = clock.company_calendar()
        staff = set(User.objects.filter(role__in=STAFF_ROLES).values_list("pk", flat=True))
        events = defaultdict(list)
        for event in RequestEvent.objects.order_by("request_id", "at", "pk"):
            events[event.request_id].append(event)
        for request in ServiceRequest.objects.all():
            story = events[request.pk]
            assert story[0].kind == EventKind.CREATED and story[0].at == request.created_at
            status, handovers, reopens = Status.NEW, 0, 0
            for before, event in zip(story, story[1:], strict=False):
                assert event.at >= before.at
            for event in story[1:]:
                if event.to_status:
                    assert event.from_status == status, (request.pk, event)
                    assert (status, event.to_status) in LEGAL, (request.pk, event)
                    reopens += event.to_status in (Status.NEW, Status.ASSIGNED) and status in (
                        Status.RESOLVED,
                        Status.CLOSED,
                    )
                    status = event.to_status
                if event.kind == EventKind.ASSIGNED and event.from_assignee_id:
                    handovers += 1
                if event.actor_id in staff:
                    assert calendar.is_working_time(event.at), (request.pk, event)
            assert status == request.status
            assert (handovers, reopens) == (request.handover_count, request.reopen_count)
            assignments = [e for e in story if e.kind == EventKind.ASSIGNED]
            if assignments:
                assert assignments[-1].to_assignee_id == request.assignee_id

    def test_sla_clocks_and_breaches_agree(self):
        calendar = clock.company_calendar()
        breaches = set(SlaBreach.objects.values_list("request_id", "clock"))
        late = 0
        for request in ServiceRequest.objects.all():
            due = calendar.add_business_seconds(
                request.created_at, request.response_target_min * 60
            )
            assert request.response_due_at == due
            if request.first_response_at:
                responded = clock.response_clock(request, request.first_response_at, calendar)
                assert responded.breached == request.response_breached, request.pk
            if request.status in (Status.RESOLVED, Status.CLOSED):
                assert request.resolution_due_at is None and request.paused_at is not None
                resolution = clock.resolution_clock(request, request.resolved_at, calendar)
                assert resolution.breached == request.resolution_breached, request.pk
            else:
                assert (request.resolution_due_at is None) == (request.paused_at is not None)
            for name in ("response", "resolution"):
                assert getattr(request, f"{name}_breached") == ((request.pk, name) in breaches)
            late += request.response_breached or request.resolution_breached
        assert 0.05 < late / ServiceRequest.objects.count() < 0.2

    def test_timing_is_what_timing_refresh_computes(self):
        finished = ServiceRequest.objects.filter(status__in=(Status.RESOLVED, Status.CLOSED))
        assert not finished.filter(timing__isnull=True).exists()
        sample = list(finished.filter(status=Status.CLOSED).order_by("pk")[::7])
        closed = finished.filter(status=Status.CLOSED)
        sample += list(closed.filter(support_tasks__isnull=False).distinct()[:10])
        sample += list(closed.filter(reopen_count__gt=0)[:5])
        for request in sample:
            stored = RequestTiming.objects.values_list(*TIMING_FIELDS).get(request=request)
            until = request.closed_at or request.resolved_at
            services.timing_refresh(request, until=until)
            fresh = RequestTiming.objects.values_list(*TIMING_FIELDS).get(request=request)
            assert fresh == stored, request.pk

    def test_rural_delivery_complaints_are_slower(self):
        rows = RequestTiming.objects.filter(
            request__request_type__code="delivery_complaint", request__status=Status.CLOSED
        ).values_list("request__shop__market_type", "resolution_s", "support_work_s")
        by_market = defaultdict(list)
        for market, resolution, support in rows:
            by_market[market].append(resolution + support)
        assert statistics.median(by_market["rural"]) > 1.3 * statistics.median(by_market["urban"])

    def test_recent_requests_are_open_and_old_ones_closed(self):
        now = timezone.make_aware(
            timezone.datetime.combine(UNTIL_DATE, timezone.datetime.min.time())
        )
        open_now = Counter(
            ServiceRequest.objects.filter(status__in=OPEN_STATUSES).values_list("status", flat=True)
        )
        assert open_now[Status.ASSIGNED] and open_now[Status.IN_PROGRESS]
        old = ServiceRequest.objects.filter(created_at__lt=now - datetime.timedelta(days=15))
        assert not old.exclude(status=Status.CLOSED).exists()

    def test_routing_follows_the_account_manager_and_the_department(self):
        routed = RequestEvent.objects.filter(
            kind=EventKind.ASSIGNED, from_status=Status.NEW, actor__isnull=True
        ).select_related("request__shop", "request__request_type", "to_assignee")
        checked = 0
        for event in routed:
            request, kind = event.request, event.request.request_type
            if event.at != request.created_at:
                continue  # an escalation, not the routing at intake
            needed = set(kind.skills.values_list("pk", flat=True))
            assignee = event.to_assignee
            assert assignee in routing.candidates(kind, request.shop)
            if kind.route_to == RouteTo.ACCOUNT_MANAGER:
                manager = request.shop.account_manager
                if manager and needed <= set(manager.skills.values_list("pk", flat=True)):
                    assert assignee == manager
                    checked += 1
            else:
                assert assignee.department_id == kind.department_id
                assert needed <= set(assignee.skills.values_list("pk", flat=True))
        assert checked > 50


@pytest.mark.django_db
def test_negative_request_weeks_are_refused():
    with pytest.raises(CommandError):
        seed(shops=20, staff=5, weeks=0, request_weeks=-1)
    assert not Shop.objects.exists()
