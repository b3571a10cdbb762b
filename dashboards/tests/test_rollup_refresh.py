"""Rolling the requests up per local day: what each row counts, and what a refresh redoes.

Hand-made requests fix every fact the rollups read (times, breach flags, hand-overs, reopens);
one test drives a request through the real services to see a reopening leave its old day.
"""

import datetime

import pytest
from django.db.models import Sum

from customers.tests.factories import GridFactory, ShopFactory
from dashboards import histogram
from dashboards.models import (
    GRAINS,
    MEASURES,
    RESOLUTION_BUCKETS,
    RESPONSE_BUCKETS,
    CityDay,
    DistrictDay,
    RefreshState,
    RequestDay,
    StaffDay,
)
from dashboards.services import rollups
from dashboards.tests.factories import MONDAY_9, SHANGHAI, hand_made, minutes
from servicedesk import services
from servicedesk.models import RequestType
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

MONDAY = MONDAY_9.date()
TUESDAY = MONDAY + datetime.timedelta(days=1)
EVENING = MONDAY_9.replace(hour=20)


def day_totals(day: datetime.date, model=RequestDay) -> dict[str, int]:
    sums = model.objects.filter(day=day).aggregate(**{m: Sum(m) for m in MEASURES})
    return {name: value or 0 for name, value in sums.items()}


def counts(day: datetime.date, model=RequestDay) -> dict[str, int]:
    totals = day_totals(day, model)
    return {
        name: totals[name]
        for name in MEASURES
        if not name.startswith(("response_h", "resolution_h")) and totals[name]
    }


def response_histogram(day: datetime.date) -> list[int]:
    totals = day_totals(day)
    return [totals[name] for name in RESPONSE_BUCKETS]


def resolution_histogram(day: datetime.date) -> list[int]:
    totals = day_totals(day)
    return [totals[name] for name in RESOLUTION_BUCKETS]


def test_each_figure_counts_on_the_day_it_happened(shop, account_manager):
    # Created Monday 9:00, answered after 30 min, resolved Tuesday 9:00 (24 h) in time.
    hand_made(
        shop, responded_after=minutes(30), resolved_after=minutes(24 * 60), assignee=account_manager
    )
    # Created Monday, answered late on Tuesday (25 h), still open.
    hand_made(shop, responded_after=minutes(25 * 60), response_breached=True)
    rollups.refresh(now=EVENING + datetime.timedelta(days=1), full=True)

    assert counts(MONDAY) == {"created": 2, "responded": 1, "responded_in_sla": 1}
    assert counts(TUESDAY) == {
        "responded": 1,
        "resolved": 1,
        "resolved_in_sla": 1,
        "first_contact_resolved": 1,
    }
    assert response_histogram(MONDAY) == histogram.histogram([30])
    assert response_histogram(TUESDAY) == histogram.histogram([25 * 60])
    assert resolution_histogram(TUESDAY) == histogram.histogram([24 * 60])
    assert not any(resolution_histogram(MONDAY))


def test_late_reopened_and_handed_over_requests_are_counted_among_the_resolved(shop):
    hand_made(shop, responded_after=minutes(5), resolved_after=minutes(60))
    hand_made(shop, responded_after=minutes(5), resolved_after=minutes(90), handovers=2)
    hand_made(
        shop, responded_after=minutes(5), resolved_after=minutes(600), resolution_breached=True
    )
    hand_made(
        shop,
        responded_after=minutes(70),
        resolved_after=minutes(120),
        reopens=1,
        response_breached=True,
    )
    rollups.refresh(now=EVENING, full=True)

    assert counts(MONDAY) == {
        "created": 4,
        "responded": 4,
        "responded_in_sla": 3,
        "resolved": 4,
        "resolved_in_sla": 3,
        "first_contact_resolved": 2,  # the one with hand-overs and the reopened one are not
        "reopened": 1,
        "reassigned": 1,
    }
    assert resolution_histogram(MONDAY) == histogram.histogram([60, 90, 600, 120])
    assert response_histogram(MONDAY) == histogram.histogram([5, 5, 5, 70])


def test_the_day_is_the_local_day_in_shanghai(shop):
    # 23:30 and 00:30 in Shanghai are both 15:30 / 16:30 UTC on Monday.
    hand_made(shop, created_at=datetime.datetime(2025, 11, 24, 23, 30, tzinfo=SHANGHAI))
    hand_made(shop, created_at=datetime.datetime(2025, 11, 25, 0, 30, tzinfo=SHANGHAI))
    rollups.refresh(now=EVENING + datetime.timedelta(days=1), full=True)

    assert counts(MONDAY) == {"created": 1}
    assert counts(TUESDAY) == {"created": 1}


def test_one_row_per_day_and_combination_of_dimensions(shop, account_manager):
    other_grid = ShopFactory(grid=GridFactory(district=shop.grid.district), segment="core")
    for _ in range(3):
        hand_made(shop, assignee=account_manager)
    hand_made(shop, channel="phone", assignee=account_manager)
    hand_made(shop, request_type="complaint")
    hand_made(other_grid)
    rollups.refresh(now=EVENING, full=True)

    rows = {
        (r.grid_id, r.segment, r.request_type.code, r.channel, r.assignee_id): r.created
        for r in RequestDay.objects.select_related("request_type")
    }
    assert rows == {
        (shop.grid_id, "ordinary", "order_problem", "portal", account_manager.pk): 3,
        (shop.grid_id, "ordinary", "order_problem", "phone", account_manager.pk): 1,
        (shop.grid_id, "ordinary", "complaint", "portal", None): 1,
        (other_grid.grid_id, "core", "order_problem", "portal", None): 1,
    }
    assert set(RequestDay.objects.values_list("district_id", flat=True)) == {shop.grid.district_id}


def test_every_grain_sums_to_the_same_figures(shop, other_shop, account_manager):
    hand_made(
        shop, responded_after=minutes(12), resolved_after=minutes(300), assignee=account_manager
    )
    hand_made(other_shop, responded_after=minutes(2), request_type="complaint", channel="phone")
    hand_made(other_shop, resolved_after=minutes(3000), resolution_breached=True, handovers=1)
    rollups.refresh(now=EVENING + datetime.timedelta(days=3), full=True)

    reference = [day_totals(day) for day in (MONDAY, TUESDAY, MONDAY + datetime.timedelta(2))]
    for grain in GRAINS:
        days = [day_totals(day, grain) for day in (MONDAY, TUESDAY, MONDAY + datetime.timedelta(2))]
        assert days == reference, grain.__name__
    assert (
        CityDay.objects.filter(day=MONDAY).count() == 2
    )  # (order_problem, portal), (complaint, phone)
    assert set(StaffDay.objects.values_list("assignee_id", flat=True)) == {account_manager.pk, None}


def test_a_refresh_redoes_only_the_days_of_requests_saved_since_the_last_one(shop):
    earlier = MONDAY_9 - datetime.timedelta(days=10)
    old = hand_made(shop, created_at=earlier, responded_after=minutes(10))
    untouched = hand_made(shop, created_at=earlier - datetime.timedelta(days=1))
    first = MONDAY_9 - datetime.timedelta(hours=1)
    rollups.refresh(now=first, full=True)
    # Figures that a refresh must not redo (its day was not touched) and must redo.
    RequestDay.objects.filter(day=untouched.created_at.astimezone(SHANGHAI).date()).update(
        created=99
    )

    # Resolved now, 10 days after it was created: it is saved, so its days are redone.
    resolved_at = MONDAY_9 + minutes(10)
    type(old).objects.filter(pk=old.pk).update(
        resolved_at=resolved_at, status="resolved", updated_at=resolved_at
    )
    result = rollups.refresh(now=MONDAY_9 + minutes(15))

    assert not result.full
    assert result.days == 2  # the day it was created (and answered), and today (resolved)
    assert counts(MONDAY) == {"resolved": 1, "resolved_in_sla": 1, "first_contact_resolved": 1}
    assert counts(earlier.date()) == {"created": 1, "responded": 1, "responded_in_sla": 1}
    assert counts(untouched.created_at.astimezone(SHANGHAI).date()) == {"created": 99}
    assert RefreshState.objects.get().refreshed_at == MONDAY_9 + minutes(15)


def test_on_an_earlier_day_only_the_grids_of_saved_requests_are_redone(shop, other_shop):
    earlier = MONDAY_9 - datetime.timedelta(days=10)
    mine = hand_made(shop, created_at=earlier)
    hand_made(other_shop, created_at=earlier)
    rollups.refresh(now=MONDAY_9 - datetime.timedelta(hours=1), full=True)
    # Figures a refresh would put right if it redid them.
    RequestDay.objects.filter(day=earlier.date()).update(created=99)

    resolved_at = MONDAY_9 + minutes(10)
    type(mine).objects.filter(pk=mine.pk).update(resolved_at=resolved_at, updated_at=resolved_at)
    rollups.refresh(now=MONDAY_9 + minutes(15))

    created = dict(RequestDay.objects.filter(day=earlier.date()).values_list("grid_id", "created"))
    assert created == {shop.grid_id: 1, other_shop.grid_id: 99}
    districts = dict(
        DistrictDay.objects.filter(day=earlier.date()).values_list("district_id", "created")
    )
    assert districts == {shop.grid.district_id: 1, other_shop.grid.district_id: 1}


def test_a_save_that_committed_just_after_the_last_refresh_read_is_still_caught(shop):
    mark = MONDAY_9
    rollups.refresh(now=mark, full=True)
    # Stamped a minute before the mark, committed after the refresh read the table.
    hand_made(shop, created_at=mark - minutes(2), updated_at=mark - minutes(1))
    rollups.refresh(now=mark + minutes(15))
    assert counts(MONDAY) == {"created": 1}


def test_a_reopened_request_leaves_the_day_it_had_been_resolved_on(shop_owner, account_manager):
    request = make_request(shop_owner)
    services.request_transition(
        actor=account_manager,
        request_id=request.pk,
        action="resolve",
        note="已处理",
        at=MONDAY_9 + minutes(20),
    )
    rollups.refresh(full=True)
    assert counts(MONDAY)["resolved"] == 1

    services.request_transition(
        actor=shop_owner,
        request_id=request.pk,
        action="reopen",
        note="还是不行",
        at=MONDAY_9 + datetime.timedelta(days=2),
    )
    rollups.refresh()

    assert counts(MONDAY) == {"created": 1, "responded": 1, "responded_in_sla": 1}
    assert not any(resolution_histogram(MONDAY))


def test_requests_made_through_the_services_are_counted_by_their_real_times(
    shop_owner, account_manager
):
    request = make_request(shop_owner)
    services.request_transition(
        actor=account_manager, request_id=request.pk, action="start", at=MONDAY_9 + minutes(20)
    )
    services.request_transition(
        actor=account_manager,
        request_id=request.pk,
        action="resolve",
        note="已重新提交订单",
        at=MONDAY_9 + minutes(200),
    )
    rollups.refresh()

    row = RequestDay.objects.get()
    assert (row.day, row.assignee_id, row.grid_id) == (
        MONDAY,
        account_manager.pk,
        request.shop.grid_id,
    )
    assert row.request_type == RequestType.objects.get(code="order_problem")
    assert counts(MONDAY) == {
        "created": 1,
        "responded": 1,
        "responded_in_sla": 1,
        "resolved": 1,
        "resolved_in_sla": 1,
        "first_contact_resolved": 1,
    }
    assert row.response_histogram() == histogram.histogram([20])
    assert row.resolution_histogram() == histogram.histogram([200])


def test_refresh_due_waits_for_fifteen_minutes(shop):
    rollups.refresh(now=MONDAY_9, full=True)
    hand_made(shop, created_at=MONDAY_9 + minutes(1))

    assert rollups.refresh_due(now=MONDAY_9 + minutes(10)) == 0
    assert counts(MONDAY) == {}
    assert rollups.refresh_due(now=MONDAY_9 + minutes(15)) == 1
    assert counts(MONDAY) == {"created": 1}
    assert RefreshState.objects.get().refreshed_at == MONDAY_9 + minutes(15)


def test_the_first_refresh_ever_rebuilds_everything(shop):
    hand_made(shop, created_at=MONDAY_9 - datetime.timedelta(days=40))
    result = rollups.refresh(now=MONDAY_9)
    assert result.full
    assert counts(MONDAY - datetime.timedelta(days=40)) == {"created": 1}


def test_the_periodic_task_and_the_embedded_loop_run_the_same_refresh(shop):
    from dashboards.tasks import refresh_rollups_task
    from servicedesk import scheduler

    hand_made(shop)
    assert refresh_rollups_task.delay().get() >= 1
    assert RequestDay.objects.exists()
    # Just refreshed: the loop's turn does nothing.
    assert scheduler.run_periodic_once()["dashboard_days_refreshed"] == 0
