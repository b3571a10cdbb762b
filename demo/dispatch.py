"""The demo city's field work: the staff roster, past visits, bookings and an optimised week.

- Every demo account manager and service staff member gets a field profile: the day starts and
  ends at the middle of their territory, Monday to Friday, 08:30–17:30; a few set other hours, a
  day of leave or a training day in the plan week.
- ``history_weeks`` weeks of routine visits before ``until`` (the first day of the plan: the demo's
  today, or the next working day) are done or missed, with check-in and check-out
  times, outcomes and notes (the shop pages show them; routine planning continues from them).
- Routine visits for the next ``routine_weeks`` weeks come from the class service plans
  (``dispatch.services.routine``), bookings for the next two weeks are reserved on a staff member
  whose day still fits (``dispatch.bridge.fit_day``); then ``plan_week`` optimises and publishes
  the five working days from ``until`` (stopping on iterations, not the clock), so the board shows
  a realistic day.

Everything is drawn from ``random.Random`` seeded with the options; nothing reads the clock.
"""

import datetime
import random
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.db.models import Avg
from django.utils import timezone

from accounts.models import Role, User
from customers.models import Grid, ServiceItem, ServicePlan, Shop
from dispatch import bridge
from dispatch.models import (
    Availability,
    Job,
    JobEvent,
    JobKind,
    JobState,
    Plan,
    StaffProfile,
    VisitOutcome,
    VisitReport,
    WorkRules,
)
from dispatch.roster import RosterDay, roster, serves
from dispatch.services import planning, routine
from servicedesk.clock import company_calendar

DEFAULT_HISTORY_WEEKS = 4
DEFAULT_ROUTINE_WEEKS = 4
# The demo week's search stops on iterations so the same seed gives the same routes at any load:
# 2,000 (split between the areas by their jobs) reach about the routes 20 s used to give here.
DEFAULT_PLAN_ITERATIONS = 2000
DEFAULT_PLAN_SECONDS = 120  # only a cap: a slower machine stops here, and its routes may differ
BOOKINGS_PER_DAY = 6
BOOKING_DAYS = 10  # working days from ``until``
DAY_START = datetime.time(8, 30)
DAY_END = datetime.time(17, 30)

WORK_DONE = (
    "检查卷烟陈列，按品类重新整理柜台，补齐价签。",
    "核对本周订货情况，提醒合理订货，讲解新品卖点。",
    "宣传最新政策法规，检查证照公示情况。",
    "查看订货终端使用情况，协助处理登录问题。",
    "了解近期经营情况，记录店主对货源的需求。",
    "检查明码标价和陈列规范，现场指导调整。",
)
# What the staff member tells the shop after each kind of work (the portal shows it; the work
# notes and coaching above stay internal). Keyed by the work done, so no extra random draw.
SHOP_SUMMARIES = dict(
    zip(
        WORK_DONE,
        (
            "柜台陈列已按品类整理，价签已补齐。",
            "一起核对了本周订货，新品介绍已发到您的订货系统。",
            "已送达最新政策说明，证照公示符合要求。",
            "订货终端登录问题已处理，如再出现请联系客户经理。",
            "已记录您对货源的需求，下次订货前会回复您。",
            "明码标价已按规范调整完毕。",
        ),
        strict=True,
    )
)
COACHING = (
    "建议把畅销品规放在视线高度，提升动销。",
    "讲解了会员营销和扫码支付的做法。",
    "指导店主查看订货系统里的经营分析报表。",
    "建议按周查看库存，避免断货。",
    "",
)
NOT_DONE_NOTES = {
    VisitOutcome.OWNER_ABSENT: "店主不在，已电话约下次拜访时间。",
    VisitOutcome.SHOP_CLOSED: "店铺临时关门，已留言。",
}

Progress = Callable[[str, int], None]


def first_plan_day(today: datetime.date) -> datetime.date:
    """Where the field plans start: ``today`` when it is a working day, else the next one."""
    return working_days(today, 1)[0]


def working_days(first: datetime.date, count: int) -> list[datetime.date]:
    """The first ``count`` working days from ``first`` (the company calendar, Monday to Friday
    as the field profiles work), within a week of it."""
    calendar = company_calendar()
    days, day = [], first
    while len(days) < count and (day - first).days < 14:
        if day.weekday() < 5 and calendar.is_workday(day):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days or [first]


def build(
    *,
    seed: int,
    until: datetime.date,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    routine_weeks: int = DEFAULT_ROUTINE_WEEKS,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the roster, past visits, routine visits and bookings; returns the rows per kind."""
    rng = random.Random(f"{seed}:dispatch")
    admin = _admin()
    counts: dict[str, int] = {}

    def stage(name: str, count: int) -> None:
        counts[name] = count
        if progress:
            progress(name, count)

    with transaction.atomic():
        profiles = _profiles()
        stage("field staff profiles", len(profiles))
        if not profiles or admin is None:
            return counts
        stage("set days (hours, leave)", _availability(rng, profiles, until))
        visits = _history(rng, until, history_weeks)
        stage("past visits with reports", visits)
        result = routine.generate_routine(admin, first_day=until, weeks=routine_weeks)
        stage("routine visits planned ahead", result.created)
        stage("bookings", _bookings(rng, until, admin))
    return counts


def plan_week(
    *,
    until: datetime.date,
    iterations: int = DEFAULT_PLAN_ITERATIONS,
    seconds: int = DEFAULT_PLAN_SECONDS,
    progress: Progress | None = None,
) -> Plan | None:
    """Optimise and publish five working days from ``until`` (at most a week); None when there
    is no field staff.

    The search stops after ``iterations`` (the same routes on every machine); ``seconds`` only
    caps it on a very slow one."""
    admin = _admin()
    if admin is None or not StaffProfile.objects.exists():
        return None
    days = [d for d in working_days(until, 5) if (d - until).days < planning.MAX_PERIOD_DAYS]
    plan = planning.start_plan(
        admin,
        first_day=until,
        last_day=days[-1],
        seconds=seconds,
        max_iterations=iterations,
    )
    # The plan was queued on commit; run it here unless a worker (or the sync mode) took it.
    planning.run_plan(plan.pk)
    plan = _finished(plan, wait_s=seconds * 3 + 60)
    if plan.state == plan.State.READY:
        planning.publish_plan(admin, plan.pk)
        plan.refresh_from_db()
    if progress:
        progress("jobs placed in the optimised week", plan.stats.get("placed", 0))
    return plan


def _admin() -> User | None:
    return User.objects.filter(role=Role.ADMIN).order_by("pk").first()


def _finished(plan: Plan, *, wait_s: float) -> Plan:
    """The plan once it is no longer queued or running (a worker may be optimising it)."""
    deadline = time.monotonic() + wait_s
    plan.refresh_from_db()
    while plan.state in (Plan.State.QUEUED, Plan.State.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.5)
        plan.refresh_from_db()
    return plan


def _profiles() -> list[StaffProfile]:
    """A field profile for every account manager and service staff member without one."""
    staff = User.objects.filter(
        role__in=(Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF), is_active=True
    ).exclude(field_profile__isnull=False)
    rows = []
    for user in staff.order_by("pk"):
        centre = Shop.objects.filter(grid__staff=user).aggregate(
            lat=Avg("latitude"), lng=Avg("longitude")
        )
        if centre["lat"] is None:
            continue
        rows.append(
            StaffProfile(
                user=user,
                home_latitude=Decimal(centre["lat"]).quantize(Decimal("0.000001")),
                home_longitude=Decimal(centre["lng"]).quantize(Decimal("0.000001")),
                home_label="片区服务站",
                day_start=DAY_START,
                day_end=DAY_END,
                work_weekdays=[0, 1, 2, 3, 4],
            )
        )
    return StaffProfile.objects.bulk_create(rows)


def _availability(rng: random.Random, profiles: list[StaffProfile], until: datetime.date) -> int:
    """Flexible hours, a day of leave and a training day in the plan week."""
    if len(profiles) < 3:
        return 0
    early, leave, training = rng.sample(profiles, 3)
    days = working_days(until, 5)
    days += [days[-1]] * (5 - len(days))
    rows = [
        Availability(
            user=early.user,
            day=days[offset],
            kind=Availability.Kind.WORK,
            start=datetime.time(7, 30),
            end=datetime.time(16, 30),
            note="弹性工作：早出早归",
        )
        for offset in (1, 2, 3)
    ]
    rows.append(
        Availability(
            user=leave.user,
            day=days[2],
            kind=Availability.Kind.LEAVE,
            note="年休假",
        )
    )
    rows.append(
        Availability(
            user=training.user,
            day=days[4],
            kind=Availability.Kind.TRAINING,
            note="参加市局业务培训",
        )
    )
    Availability.objects.bulk_create(rows)
    return len(rows)


def _history(rng: random.Random, until: datetime.date, weeks: int) -> int:
    """Done routine visits of the ``weeks`` weeks before ``until``, one staff member's day at a
    time, with reports."""
    if weeks <= 0:
        return 0
    item = ServiceItem.objects.get(code=routine.ROUTINE_ITEM)
    per_month = {plan.segment: float(plan.visits_per_month) for plan in ServicePlan.objects.all()}
    first = until - datetime.timedelta(weeks=weeks)
    shops = Shop.objects.filter(status=Shop.Status.ACTIVE).select_related("grid")
    field = dict(StaffProfile.objects.filter(is_field=True).values_list("user_id", "user__role"))
    grid_staff = defaultdict(list)
    for grid_id, user_id in Grid.staff.through.objects.values_list("grid_id", "user_id"):
        if user_id in field:
            grid_staff[grid_id].append(user_id)
    by_staff_day: dict[tuple[int, datetime.date], list[Shop]] = defaultdict(list)
    for shop in shops:
        f = per_month.get(shop.segment, 0)
        staff = (
            shop.account_manager_id
            if shop.account_manager_id in field
            else (grid_staff.get(shop.grid_id) or [None])[0]
        )
        if f <= 0 or staff is None:
            continue
        interval = max(1, round(30.4 / f))
        day = first + datetime.timedelta(days=shop.pk % interval)
        while day < until:
            worked = _weekday(day)
            if first <= worked < until:
                by_staff_day[(staff, worked)].append(shop)
            day += datetime.timedelta(days=interval)
    jobs, reports, events = [], [], []
    for (staff, day), day_shops in sorted(
        by_staff_day.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        clock = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
        for shop in day_shops:
            if clock.time() >= datetime.time(11, 50) and clock.time() < datetime.time(13, 0):
                clock = clock.replace(hour=13, minute=0)
            outcome = rng.choices(
                (VisitOutcome.DONE, VisitOutcome.OWNER_ABSENT, VisitOutcome.SHOP_CLOSED),
                weights=(92, 5, 3),
            )[0]
            stay = datetime.timedelta(minutes=item.duration_min + rng.randint(-5, 15))
            job = Job(
                shop=shop,
                kind=JobKind.ROUTINE,
                state=JobState.DONE if outcome == VisitOutcome.DONE else JobState.MISSED,
                service_item=item,
                duration_min=item.duration_min,
                due_on=day,
                earliest_on=day,
                latest_on=day,
                assignee_id=staff,
                planned_day=day,
                planned_start=clock,
            )
            jobs.append(job)
            done = outcome == VisitOutcome.DONE
            reports.append(
                VisitReport(
                    job=job,
                    staff_id=staff,
                    checked_in_at=clock,
                    in_latitude=shop.latitude,
                    in_longitude=shop.longitude,
                    checked_out_at=clock + stay,
                    out_latitude=shop.latitude,
                    out_longitude=shop.longitude,
                    outcome=outcome,
                    work_done=(work := rng.choice(WORK_DONE) if done else NOT_DONE_NOTES[outcome]),
                    coaching=rng.choice(COACHING) if done else "",
                    shop_summary=SHOP_SUMMARIES.get(work, ""),
                )
            )
            clock += stay + datetime.timedelta(minutes=rng.randint(10, 30))
    Job.objects.bulk_create(jobs, batch_size=2000)
    for report in reports:
        report.job_id = report.job.pk
    VisitReport.objects.bulk_create(reports, batch_size=2000)
    for job, report in zip(jobs, reports, strict=True):
        events.append(
            JobEvent(
                job_id=job.pk,
                kind=JobEvent.Kind.CHECKED_OUT,
                actor_id=report.staff_id,
                data={"outcome": report.outcome},
            )
        )
    JobEvent.objects.bulk_create(events, batch_size=2000)
    # auto_now_add stamps the seeding moment; the history reads better at the visit's time.
    return len(jobs)


def _weekday(day: datetime.date) -> datetime.date:
    """Saturday → Friday, Sunday → Monday."""
    if day.weekday() == 5:
        return day - datetime.timedelta(days=1)
    if day.weekday() == 6:
        return day + datetime.timedelta(days=1)
    return day


def _bookings(rng: random.Random, until: datetime.date, actor: User) -> int:
    """A few bookings a day over the next two weeks, each reserved on a staff member whose day
    still fits it (the same check the booking page uses)."""
    days = [until + datetime.timedelta(days=i) for i in range(BOOKING_DAYS * 7 // 5 + 2)]
    days = [d for d in days if d.weekday() < 5][:BOOKING_DAYS]
    notes = ("", "", "下午店里人少，方便交流", "想了解新品陈列")
    return reserve_bookings(rng, days, BOOKINGS_PER_DAY, _SLOTS, notes)


def reserve_bookings(
    rng: random.Random,
    days: list[datetime.date],
    per_day: int,
    slots: tuple[datetime.time, ...],
    notes: tuple[str, ...] = (),
) -> int:
    """``per_day`` bookings on each of ``days`` (the demo's and the city-week bench's): a random
    active shop, a service of its plan other than the routine visit, a random slot; each
    reserved on the first staff day that serves the shop (its account manager's first) and
    still fits it (``bridge.fit_day``, the booking page's check). Returns how many were made."""
    rules = WorkRules.current()
    by_day: dict[datetime.date, list[RosterDay]] = defaultdict(list)
    for rd in roster(days[0], days[-1]):
        by_day[rd.day].append(rd)
    items = {
        plan.segment: [
            i for i in plan.service_items.select_related("skill") if i.code != "routine_visit"
        ]
        for plan in ServicePlan.objects.prefetch_related("service_items")
    }
    shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk"))
    if not shops:
        return 0
    reserved: dict[tuple[int, datetime.date], list[Job]] = defaultdict(list)
    window = datetime.timedelta(minutes=rules.window_minutes)
    made = []
    for day in days:
        for _ in range(per_day):
            shop = rng.choice(shops)
            choices = items.get(shop.segment) or []
            if not choices:
                continue
            item = rng.choice(choices)
            start = timezone.make_aware(datetime.datetime.combine(day, rng.choice(slots)))
            job = Job(
                shop=shop,
                kind=JobKind.BOOKING,
                service_item=item,
                duration_min=item.duration_min,
                window_start=start,
                window_end=start + window,
                note=rng.choice(notes) if notes else "",
                created_by_id=shop.owner_account_id,
            )
            job.pk = -(len(made) + 1)  # fit_day names jobs by id; the real ids come on insert
            for rd in sorted(
                by_day[day], key=lambda r: (r.user_id != shop.account_manager_id, r.user_id)
            ):
                if not serves(rd, shop):
                    continue
                if item.skill and item.skill.code not in rd.skills:
                    continue
                if bridge.fit_day(rd, [*reserved[(rd.user_id, day)], job]).ok:
                    job.assignee_id = rd.user_id
                    job.planned_day = day
                    reserved[(rd.user_id, day)].append(job)
                    made.append(job)
                    break
    for job in made:
        job.pk = None
    Job.objects.bulk_create(made, batch_size=1000)
    JobEvent.objects.bulk_create(
        (
            JobEvent(job_id=job.pk, kind=JobEvent.Kind.CREATED, actor_id=job.created_by_id)
            for job in made
        ),
        batch_size=1000,
    )
    return len(made)


_SLOTS = (datetime.time(8, 30), datetime.time(10, 30), datetime.time(13, 30), datetime.time(15, 30))
