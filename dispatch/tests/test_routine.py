"""Routine visits from the service plans: spacing per class, spreading, slack, idempotence."""

import datetime
from collections import Counter

import pytest

from customers.tests.factories import ShopFactory
from dispatch.models import Job, JobKind, JobState
from dispatch.services.routine import generate_routine, interval_days
from dispatch.tests.factories import RoutineJobFactory
from flexserve.errors import Forbidden

MONDAY = datetime.date(2030, 6, 3)

pytestmark = pytest.mark.django_db


def test_intervals_per_class():
    assert [interval_days(f) for f in (4, 2, 1)] == [7, 14, 28]


def test_each_class_is_visited_as_often_as_its_plan_says(dispatcher):
    shops = {seg: ShopFactory(segment=seg) for seg in ("core", "key", "ordinary")}
    result = generate_routine(dispatcher, first_day=MONDAY, weeks=4)
    assert result.by_segment["core"] == 4
    assert result.by_segment["key"] == 2
    assert result.by_segment["ordinary"] == 1
    assert result.created == 7 and result.kept == 0
    core = list(Job.objects.filter(shop=shops["core"]).order_by("due_on"))
    gaps = {(b.due_on - a.due_on).days for a, b in zip(core, core[1:], strict=False)}
    assert gaps == {7}
    for job in Job.objects.all():
        assert job.kind == JobKind.ROUTINE and job.state == JobState.OPEN
        assert job.service_item.code == "routine_visit"
        assert job.due_on.weekday() < 5
        assert job.earliest_on.weekday() < 5 and job.latest_on.weekday() < 5
        assert MONDAY <= job.earliest_on <= job.due_on <= job.latest_on
        assert (job.latest_on - job.due_on).days <= 4  # two days' slack, weekends skipped


def test_running_twice_creates_nothing_new(dispatcher):
    ShopFactory(segment="core")
    ShopFactory(segment="key")
    first = generate_routine(dispatcher, first_day=MONDAY, weeks=2)
    second = generate_routine(dispatcher, first_day=MONDAY, weeks=2)
    assert second.created == 0 and second.kept == first.created
    assert Job.objects.count() == first.created


def test_shops_without_history_are_spread_over_the_working_days(dispatcher):
    for _ in range(10):
        ShopFactory(segment="core")
    generate_routine(dispatcher, first_day=MONDAY, weeks=1)
    per_day = Counter(Job.objects.values_list("due_on", flat=True))
    assert sorted(per_day.values()) == [2, 2, 2, 2, 2]


def test_the_next_visit_follows_the_last_one(dispatcher):
    shop = ShopFactory(segment="core")
    last = MONDAY - datetime.timedelta(days=5)  # the Wednesday before
    RoutineJobFactory(
        shop=shop,
        state=JobState.DONE,
        planned_day=last,
        due_on=last,
        earliest_on=last,
        latest_on=last,
    )
    generate_routine(dispatcher, first_day=MONDAY, weeks=1)
    (job,) = Job.objects.filter(shop=shop, state=JobState.OPEN)
    assert job.due_on == last + datetime.timedelta(days=7)


def test_closed_shops_get_no_routine_visits(dispatcher):
    ShopFactory(segment="core", status="closed", closed_on=MONDAY)
    assert generate_routine(dispatcher, first_day=MONDAY, weeks=1).created == 0


def test_only_planners_generate(account_manager):
    ShopFactory(segment="core")
    with pytest.raises(Forbidden):
        generate_routine(account_manager, first_day=MONDAY)
    assert not Job.objects.exists()
