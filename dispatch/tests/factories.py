"""Factories for the dispatch app: field staff with a profile, jobs of each kind, a small city
to plan (its ``city`` fixture and the plan runner ``run`` are in conftest.py)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, Skill
from accounts.tests.factories import UserFactory
from customers.models import ServiceItem
from customers.tests.factories import GridFactory, ShopFactory
from dispatch.models import WEEKDAYS, Job, JobKind, JobState, StaffProfile


def item(code: str = "routine_visit") -> ServiceItem:
    """A seeded service item (customers migration 0002)."""
    return ServiceItem.objects.select_related("skill").get(code=code)


def skill(code: str) -> Skill:
    return Skill.objects.get(code=code)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware local datetime on ``day``."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory, role=Role.ACCOUNT_MANAGER)
    home_latitude = Decimal("31.820000")
    home_longitude = Decimal("117.230000")
    home_label = "营销部"
    day_start = datetime.time(8, 30)
    day_end = datetime.time(17, 30)
    work_weekdays = factory.LazyFunction(lambda: list(WEEKDAYS))


def field_staff(*, grids=(), skills=(), username=None, **profile) -> StaffProfile:
    """An account manager who visits shops of ``grids`` and holds ``skills`` (codes)."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(role=profile.pop("role", Role.ACCOUNT_MANAGER), **kwargs)
    for grid in grids:
        grid.staff.add(user)
    user.skills.set(Skill.objects.filter(code__in=skills))
    return StaffProfileFactory(user=user, **profile)


class BookingFactory(factory.django.DjangoModelFactory):
    """A booked visit tomorrow 10:00–12:00 (a hard window)."""

    class Meta:
        model = Job

    shop = factory.SubFactory(ShopFactory)
    kind = JobKind.BOOKING
    service_item = factory.LazyFunction(lambda: item("policy_briefing"))
    duration_min = factory.LazyAttribute(lambda o: o.service_item.duration_min)
    window_start = factory.LazyFunction(
        lambda: at(timezone.localdate() + datetime.timedelta(days=1), 10)
    )
    window_end = factory.LazyAttribute(lambda o: o.window_start + datetime.timedelta(hours=2))


class RoutineJobFactory(factory.django.DjangoModelFactory):
    """A routine visit due in three days, movable two days either side."""

    class Meta:
        model = Job

    shop = factory.SubFactory(ShopFactory)
    kind = JobKind.ROUTINE
    service_item = factory.LazyFunction(lambda: item("routine_visit"))
    duration_min = 20
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3))
    earliest_on = factory.LazyAttribute(lambda o: o.due_on - datetime.timedelta(days=2))
    latest_on = factory.LazyAttribute(lambda o: o.due_on + datetime.timedelta(days=2))


def planned_visit(shop, assignee, day: datetime.date, hour: int = 9, minute: int = 30) -> Job:
    """A routine visit due on ``day`` and planned then for ``assignee``, not visited yet."""
    return RoutineJobFactory(
        shop=shop,
        assignee=assignee,
        state=JobState.PLANNED,
        due_on=day,
        planned_day=day,
        planned_start=at(day, hour, minute),
    )


# The planning city's week (a Monday far ahead, so that nothing of it is over).
MONDAY = datetime.date(2030, 6, 3)
FRIDAY = MONDAY + datetime.timedelta(days=4)


def day(n: int) -> datetime.date:
    """The day ``n`` days after the planning week's Monday."""
    return MONDAY + datetime.timedelta(days=n)


class City:
    """Two grids: Ann serves the east, Bo the west, Cai both (and holds the equipment skill);
    a far grid nobody serves."""

    def __init__(self):
        self.east, self.west, self.far = GridFactory(), GridFactory(), GridFactory()
        self.ann = field_staff(grids=[self.east], username="ann").user
        self.bo = field_staff(
            grids=[self.west], username="bo", home_longitude=Decimal("117.200000")
        ).user
        self.cai = field_staff(
            grids=[self.east, self.west], skills=["equipment"], username="cai"
        ).user
        self.n = 0

    def shop(self, grid, **extra):
        self.n += 1
        lng = Decimal("117.250000") if grid == self.east else Decimal("117.205000")
        return ShopFactory(
            grid=grid,
            latitude=Decimal("31.810000") + Decimal("0.003") * self.n,
            longitude=lng + Decimal("0.002") * (self.n % 4),
            **extra,
        )

    def booking(self, grid, n, hour, *, code="policy_briefing", hours=2):
        return BookingFactory(
            shop=self.shop(grid),
            service_item=item(code),
            window_start=at(day(n), hour),
            window_end=at(day(n), hour + hours),
        )

    def routine(self, grid, earliest, latest, *, due=None):
        return RoutineJobFactory(
            shop=self.shop(grid),
            earliest_on=day(earliest),
            latest_on=day(latest),
            due_on=day(due if due is not None else earliest),
        )
