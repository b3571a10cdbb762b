"""Routine visits from the service plans: every active shop is visited as its class promises.

    result = generate_routine(manager, first_day=monday, weeks=4)
    result.created, result.kept, result.by_segment     # {"core": 120, "key": 40, …}

A class visited ``f`` times a month is visited every 30.4 / f days, rounded to whole weeks from a
week up (core 4 → weekly, key and potential 2 → every two weeks, ordinary 1 → every four weeks)
so a shop keeps its weekday. The next visit is due one interval after the last one (the latest
done routine job or visit report); a shop without history, or overdue, is spread over the first
interval by its rank in its class, so every working day gets a similar load. A job may move
``WorkRules.routine_slack_days`` either side of its due day (weekdays only, never before
``first_day``). Running it again creates nothing new: a due day already covered by an active
routine job of that shop is kept.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ServiceItem, ServicePlan, Shop
from dispatch.models import (
    ACTIVE_STATES,
    WEEKDAYS,
    Job,
    JobEvent,
    JobKind,
    JobState,
    VisitReport,
    WorkRules,
)
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm

DAYS_PER_MONTH = 30.4
ROUTINE_ITEM = "routine_visit"


@dataclass
class RoutineResult:
    created: int = 0
    kept: int = 0  # due days already covered by an active routine job
    by_segment: dict[str, int] = field(default_factory=dict)


def interval_days(visits_per_month: float) -> int:
    """Days between two routine visits of a class visited ``visits_per_month`` times a month."""
    raw = DAYS_PER_MONTH / visits_per_month
    return 7 * round(raw / 7) if raw >= 7 else max(1, round(raw))


def nearest_weekday(day: datetime.date) -> datetime.date:
    """Saturday → Friday, Sunday → Monday, a weekday stays."""
    if day.weekday() == 5:
        return day - datetime.timedelta(days=1)
    if day.weekday() == 6:
        return day + datetime.timedelta(days=1)
    return day


def _forward_to_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() not in WEEKDAYS:
        day += datetime.timedelta(days=1)
    return day


def _back_to_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() not in WEEKDAYS:
        day -= datetime.timedelta(days=1)
    return day


def due_days(
    *,
    last_visit: datetime.date | None,
    interval: int,
    rank: int,
    first_day: datetime.date,
    end_day: datetime.date,
) -> list[datetime.date]:
    """Working due days in first_day..end_day (inclusive) for one shop."""
    due = last_visit + datetime.timedelta(days=interval) if last_visit else None
    if due is None or due < first_day:
        # no history or overdue: the rank-th working day of the first interval (round robin)
        span = [first_day + datetime.timedelta(days=k) for k in range(max(interval, 1))]
        working = [d for d in span if d.weekday() in WEEKDAYS] or [_forward_to_weekday(first_day)]
        due = working[rank % len(working)]
    out = []
    while due <= end_day:
        day = nearest_weekday(due)
        if first_day <= day <= end_day:
            out.append(day)
        due += datetime.timedelta(days=interval)
    return out


def generate_routine(actor, *, first_day: datetime.date, weeks: int | None = None) -> RoutineResult:
    """Create the routine jobs due from ``first_day`` for ``weeks`` weeks (default: the rules')."""
    policy.require(actor, Perm.DISPATCH_PLAN)
    rules = WorkRules.current()
    weeks = rules.routine_horizon_weeks if weeks is None else weeks
    if not 1 <= weeks <= 12:
        raise Invalid(fields={"weeks": [_("Plan routine visits 1 to 12 weeks ahead.")]})
    end_day = first_day + datetime.timedelta(days=weeks * 7 - 1)
    slack = datetime.timedelta(days=rules.routine_slack_days)
    item = ServiceItem.objects.get(code=ROUTINE_ITEM)
    intervals = {
        p.segment: interval_days(float(p.visits_per_month))
        for p in ServicePlan.objects.all()
        if p.visits_per_month > 0
    }
    shop_qs = policy.visible(actor, Shop.objects.filter(status=Shop.Status.ACTIVE)).filter(
        segment__in=list(intervals)
    )
    shops = list(shop_qs.order_by("pk").values_list("pk", "segment"))
    shop_ids = shop_qs.values("pk")  # a subquery: no parameter per shop
    last_visit = _last_visits(shop_ids)
    covering: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for shop_id, earliest, latest in Job.objects.filter(
        kind=JobKind.ROUTINE,
        state__in=ACTIVE_STATES,
        shop_id__in=shop_ids,
        latest_on__gte=first_day,
        earliest_on__lte=end_day,
    ).values_list("shop_id", "earliest_on", "latest_on"):
        covering[shop_id].append((earliest, latest))

    result = RoutineResult(by_segment=dict.fromkeys(intervals, 0))
    rank_in_segment: dict[str, int] = defaultdict(int)
    new_jobs: list[Job] = []
    for shop_id, segment in shops:
        rank = rank_in_segment[segment]
        rank_in_segment[segment] += 1
        for due in due_days(
            last_visit=last_visit.get(shop_id),
            interval=intervals[segment],
            rank=rank,
            first_day=first_day,
            end_day=end_day,
        ):
            if any(lo <= due <= hi for lo, hi in covering[shop_id]):
                result.kept += 1
                continue
            earliest = max(first_day, _forward_to_weekday(due - slack))
            latest = _back_to_weekday(due + slack)
            new_jobs.append(
                Job(
                    shop_id=shop_id,
                    kind=JobKind.ROUTINE,
                    state=JobState.OPEN,
                    service_item=item,
                    duration_min=item.duration_min,
                    due_on=due,
                    earliest_on=min(earliest, due),
                    latest_on=max(latest, due),
                    created_by=actor,
                )
            )
            covering[shop_id].append((min(earliest, due), max(latest, due)))
            result.created += 1
            result.by_segment[segment] += 1
    with transaction.atomic():
        created = Job.objects.bulk_create(new_jobs, batch_size=1000)
        JobEvent.objects.bulk_create(
            [
                JobEvent(job=job, kind=JobEvent.Kind.CREATED, actor=actor, data={"routine": True})
                for job in created
            ],
            batch_size=1000,
        )
    return result


def _last_visits(shop_ids) -> dict[int, datetime.date]:
    """The day of each shop's last visit: its latest done routine job or visit report."""
    last: dict[int, datetime.date] = {}
    for shop_id, day in (
        Job.objects.filter(kind=JobKind.ROUTINE, state=JobState.DONE, shop_id__in=shop_ids)
        .values("shop_id")
        .annotate(day=Max("planned_day"))
        .values_list("shop_id", "day")
    ):
        if day is not None:
            last[shop_id] = day
    for shop_id, moment in (
        VisitReport.objects.filter(job__shop_id__in=shop_ids)
        .values("job__shop_id")
        .annotate(at=Max("checked_in_at"))
        .values_list("job__shop_id", "at")
    ):
        day = timezone.localtime(moment).date()
        if shop_id not in last or day > last[shop_id]:
            last[shop_id] = day
    return last
