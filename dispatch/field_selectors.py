"""Reads for the field staff's phone pages: the day's route, and a shop's visit history."""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import User
from customers.models import Shop
from dispatch.models import Job, JobState, Plan, Route, VisitReport
from dispatch.services.visits import FAR_FROM_SHOP_M, check_in_refusal, distance_from_shop
from flexserve import policy
from flexserve.policy import Perm

CLOSED_STATES = (JobState.DONE, JobState.MISSED)


@dataclass(frozen=True)
class FieldStop:
    """One visit of the day as the phone shows it (``seq`` from 1, in route order)."""

    seq: int
    job: Job
    shop_name: str
    address: str
    lat: float
    lng: float
    masked_phone: str
    phone: str  # the full number, only for whom the policy lets call the shop; else ""
    kind: str
    kind_label: str
    service_item: str
    window_start: datetime.datetime | None
    window_end: datetime.datetime | None
    planned_start: datetime.datetime | None
    planned_end: datetime.datetime | None
    state: str
    state_label: str
    report: VisitReport | None
    check_in_distance_m: int | None  # from the shop, when a position was stamped
    can_check_in: bool  # the viewer may check in now (the rule check_in enforces)

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def far(self) -> bool:
        """Checked in more than 1 km from the shop (allowed, but flagged)."""
        return self.check_in_distance_m is not None and self.check_in_distance_m > FAR_FROM_SHOP_M


@dataclass(frozen=True)
class DaySummary:
    visits: int
    done: int
    missed: int
    next_stop: FieldStop | None


def _published_route(actor: User, day: datetime.date) -> Route | None:
    # The staff member's own route: Route is a dispatcher's model (view_perm), so it is read here
    # by its owner rather than through policy.visible. The newest published plan wins.
    return (
        Route.objects.filter(staff=actor, day=day, plan__state=Plan.State.PUBLISHED)
        .order_by("-plan__published_at", "-plan__pk")
        .first()
    )


def _stop(actor: User, seq: int, job: Job, start, end) -> FieldStop:
    shop = job.shop
    report = getattr(job, "report", None)
    distance = None
    if report is not None:
        distance = distance_from_shop(job, report.in_latitude, report.in_longitude)
    return FieldStop(
        seq=seq,
        job=job,
        shop_name=shop.name,
        address=shop.address,
        lat=float(shop.latitude),
        lng=float(shop.longitude),
        masked_phone=shop.masked_phone,
        phone=shop.phone if policy.can_call_for_visit(actor, shop, job.assignee_id) else "",
        kind=job.kind,
        kind_label=job.get_kind_display(),
        service_item=job.service_item.name,
        window_start=job.window_start,
        window_end=job.window_end,
        planned_start=start,
        planned_end=end,
        state=job.state,
        state_label=job.get_state_display(),
        report=report,
        check_in_distance_m=distance,
        can_check_in=check_in_refusal(actor, job) is None,
    )


def my_day(actor: User, day: datetime.date) -> list[FieldStop]:
    """The actor's visits of ``day`` in route order: the published route's stops first, then
    jobs assigned to them for that day since (a booking reserved after publishing), by time."""
    policy.require(actor, Perm.VISIT_WORK)
    jobs = policy.visible(actor, Job.objects.all()).select_related("shop", "service_item", "report")
    mine = jobs.filter(assignee=actor).exclude(state=JobState.CANCELLED)
    stops: list[tuple[Job, datetime.datetime | None, datetime.datetime | None]] = []
    seen: set[int] = set()
    route = _published_route(actor, day)
    if route is not None:
        by_id = {
            job.pk: job
            for job in mine.filter(stops__route=route)  # still the actor's, not cancelled
        }
        for stop in route.stops.order_by("seq"):
            job = by_id.get(stop.job_id)
            if job is not None and job.pk not in seen:
                seen.add(job.pk)
                stops.append((job, stop.start, stop.end))
    on_day = Q(planned_day=day) | Q(planned_day__isnull=True, window_start__date=day)
    rest = sorted(
        (job for job in mine.filter(on_day) if job.pk not in seen),
        key=lambda j: (j.planned_start or j.window_start or _midnight(day), j.pk),
    )
    for job in rest:
        start = job.planned_start
        end = start + datetime.timedelta(minutes=job.duration_min) if start else None
        stops.append((job, start, end))
    return [_stop(actor, i, job, start, end) for i, (job, start, end) in enumerate(stops, start=1)]


def _midnight(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def day_summary(stops: list[FieldStop]) -> DaySummary:
    """How many visits, how many closed, and the next one still to do."""
    return DaySummary(
        visits=len(stops),
        done=sum(1 for s in stops if s.state == JobState.DONE),
        missed=sum(1 for s in stops if s.state == JobState.MISSED),
        next_stop=next((s for s in stops if not s.closed), None),
    )


def field_job(actor: User, job_id: int) -> FieldStop:
    """One of the actor's visits (any day) for the outcome page; 404 out of scope."""
    policy.require(actor, Perm.VISIT_WORK)
    qs = Job.objects.select_related("shop", "service_item", "report")
    job = policy.get_visible(actor, Job, job_id, qs=qs)
    start = job.planned_start
    end = start + datetime.timedelta(minutes=job.duration_min) if start else None
    return _stop(actor, 1, job, start, end)


def shop_visits(actor: User, shop_id: int, *, limit: int = 50) -> list[VisitReport]:
    """The shop's visit reports, newest first, with staff, job and photos; 404 when the shop is
    not visible. Each report carries ``check_in_distance_m`` (None without a position)."""
    shop = policy.get_visible(actor, Shop, shop_id)
    reports = list(
        policy.visible(actor, VisitReport.objects.filter(job__shop=shop))
        .select_related("staff", "job", "job__shop", "job__service_item")
        .prefetch_related("photos")
        .order_by("-checked_in_at", "-pk")[:limit]
    )
    for report in reports:
        report.check_in_distance_m = distance_from_shop(
            report.job, report.in_latitude, report.in_longitude
        )
        report.far = (
            report.check_in_distance_m is not None and report.check_in_distance_m > FAR_FROM_SHOP_M
        )
    return reports
