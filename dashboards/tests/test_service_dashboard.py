"""The service dashboard's figures: a period against the period before, filters, scope, and the
open requests nobody touched for 5 days."""

import datetime

import pytest

from customers.models import Shop
from dashboards import selectors
from dashboards.histogram import MAX_RELATIVE_ERROR
from dashboards.models import CityDay, DistrictDay, RequestDay, StaffDay
from dashboards.selectors import DashboardFilters
from dashboards.services import rollups
from dashboards.tests.factories import SHANGHAI, hand_made, minutes
from flexserve.errors import Forbidden
from servicedesk.models import EventKind, RequestEvent, RequestType

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2025, 11, day, hour, 0, tzinfo=SHANGHAI)


NOW = at(24, 21)
WEEK = DashboardFilters(since=datetime.date(2025, 11, 18), until=datetime.date(2025, 11, 24))


@pytest.fixture
def city(shop, other_shop, account_manager):
    """Requests in the account manager's grid (``shop``) and in another district."""
    Shop.objects.filter(pk=other_shop.pk).update(segment="core")
    made = {
        # This week, in the manager's grid.
        "quick": hand_made(
            shop,
            created_at=at(24),
            responded_after=minutes(30),
            resolved_after=minutes(300),
            assignee=account_manager,
        ),
        "slow": hand_made(
            shop,
            created_at=at(20),
            responded_after=minutes(120),
            response_breached=True,
            resolved_after=minutes(3 * 24 * 60),
            resolution_breached=True,
            handovers=1,
        ),
        "open": hand_made(shop, created_at=at(22)),
        "reopened": hand_made(
            shop,
            created_at=at(19),
            responded_after=minutes(10),
            resolved_after=minutes(120),
            reopens=1,
        ),
        # This week, elsewhere.
        "elsewhere": hand_made(
            other_shop,
            created_at=at(21),
            responded_after=minutes(5),
            resolved_after=minutes(60),
            request_type="complaint",
            channel="phone",
        ),
        # The week before.
        "last_week": hand_made(
            shop, created_at=at(12), responded_after=minutes(10), resolved_after=minutes(60)
        ),
        "last_week_open": hand_made(shop, created_at=at(15)),
        "old_open_elsewhere": hand_made(other_shop, created_at=at(3)),
    }
    rollups.refresh(now=NOW, full=True)
    return made


def test_the_period_and_the_one_before_have_equal_length():
    assert WEEK.days == 7
    assert WEEK.previous() == DashboardFilters(
        since=datetime.date(2025, 11, 11), until=datetime.date(2025, 11, 17)
    )
    with pytest.raises(ValueError):
        DashboardFilters(since=datetime.date(2025, 11, 2), until=datetime.date(2025, 11, 1))


def test_a_manager_sees_the_citys_figures_for_the_period_and_the_one_before(city, service_manager):
    board = selectors.service_dashboard(user=service_manager, filters=WEEK, now=NOW)
    now, before = board.current, board.previous

    assert (now.created, now.resolved, now.backlog_growth) == (5, 4, 1)
    assert (before.created, before.resolved, before.backlog_growth) == (2, 1, 1)
    assert now.response_sla == 3 / 4  # "slow" answered late
    assert now.resolution_sla == 3 / 4  # "slow" resolved late
    assert now.first_contact_rate == 2 / 4  # "slow" was handed over, "reopened" reopened
    assert (now.reopen_rate, now.reassign_rate) == (1 / 4, 1 / 4)
    # First responses 5, 10, 30, 120 min: the median (2nd of 4) is 10 min, the p90 120 min.
    assert now.response_median_h * 60 == pytest.approx(10, rel=MAX_RELATIVE_ERROR)
    assert now.response_p90_h * 60 == pytest.approx(120, rel=MAX_RELATIVE_ERROR)
    # Resolutions 60, 120, 300 min and 3 days: the median (2nd) 120 min, the p90 3 days.
    assert now.resolution_median_h == pytest.approx(2, rel=MAX_RELATIVE_ERROR)
    assert now.resolution_p90_h == pytest.approx(72, rel=MAX_RELATIVE_ERROR)
    assert before.resolution_median_h == pytest.approx(1, rel=MAX_RELATIVE_ERROR)
    assert board.grain == "CityDay"
    assert board.refreshed_at == NOW


def test_the_series_has_every_day_of_the_period(city, service_manager):
    board = selectors.service_dashboard(user=service_manager, filters=WEEK, now=NOW)

    assert [p.day.day for p in board.series] == [18, 19, 20, 21, 22, 23, 24]
    assert [(p.created, p.resolved) for p in board.series] == [
        (0, 0),
        (1, 1),  # "reopened" created and resolved on the 19th
        (1, 0),
        (1, 1),
        (1, 0),
        (0, 1),  # "slow" resolved three days after the 20th
        (1, 1),
    ]


@pytest.mark.parametrize(
    ("filter_of", "created", "grain"),
    [
        (lambda c, am: {"district_id": c["elsewhere"].shop.grid.district_id}, 1, StaffDay),
        (lambda c, am: {"grid_id": c["quick"].shop.grid_id}, 4, RequestDay),
        (lambda c, am: {"segment": "core"}, 1, CityDay),
        (lambda c, am: {"channel": "phone"}, 1, CityDay),
        (
            lambda c, am: {"request_type_id": RequestType.objects.get(code="complaint").pk},
            1,
            CityDay,
        ),
        (lambda c, am: {"assignee_id": am.pk}, 1, StaffDay),
        (
            lambda c, am: {"district_id": c["quick"].shop.grid.district_id, "channel": "portal"},
            4,
            DistrictDay,
        ),
        (lambda c, am: {"assignee_id": am.pk, "channel": "portal"}, 1, RequestDay),
    ],
)
def test_each_filter_narrows_the_figures_and_reads_the_smallest_rollup_that_has_it(
    city, service_manager, account_manager, filter_of, created, grain
):
    filters = DashboardFilters(
        since=WEEK.since, until=WEEK.until, **filter_of(city, account_manager)
    )
    board = selectors.service_dashboard(user=service_manager, filters=filters, now=NOW)
    assert board.current.created == created
    assert board.grain == grain.__name__


def test_an_account_manager_sees_only_the_grids_of_their_territory(city, account_manager):
    board = selectors.service_dashboard(user=account_manager, filters=WEEK, now=NOW)
    assert (board.current.created, board.current.resolved) == (4, 3)
    assert board.grain == "RequestDay"
    # Asking for another district's figures gives nothing rather than its figures.
    elsewhere = DashboardFilters(
        since=WEEK.since, until=WEEK.until, district_id=city["elsewhere"].shop.grid.district_id
    )
    assert (
        selectors.service_dashboard(
            user=account_manager, filters=elsewhere, now=NOW
        ).current.created
        == 0
    )
    listed = selectors.request_list(user=account_manager, filters=WEEK, metric="created")
    assert set(listed) == {city["quick"], city["slow"], city["open"], city["reopened"]}


def test_untouched_counts_open_requests_with_no_event_for_five_days(
    city, service_manager, account_manager
):
    # "last_week_open" (the 15th) has no event: untouched. "old_open_elsewhere" (the 3rd) too.
    # "open" (the 22nd) is too young. A request from the 10th answered on the 23rd is touched.
    touched = hand_made(city["quick"].shop, created_at=at(10))
    RequestEvent.objects.create(request=touched, kind=EventKind.COMMENT, at=at(23))
    # An old request's old event does not count as a touch.
    RequestEvent.objects.create(request=city["last_week_open"], kind=EventKind.COMMENT, at=at(16))

    manager = selectors.untouched_requests(user=service_manager, filters=WEEK, now=NOW)
    assert list(manager) == [city["old_open_elsewhere"], city["last_week_open"]]
    board = selectors.service_dashboard(user=service_manager, filters=WEEK, now=NOW)
    assert board.untouched == 2
    mine = selectors.service_dashboard(user=account_manager, filters=WEEK, now=NOW)
    assert mine.untouched == 1
    core_only = DashboardFilters(since=WEEK.since, until=WEEK.until, segment="core")
    assert (
        selectors.untouched_requests(user=service_manager, filters=core_only, now=NOW).count() == 1
    )


def test_the_lists_behind_the_tiles_hold_what_the_tiles_count(city, service_manager):
    def listed(metric):
        return set(selectors.request_list(user=service_manager, filters=WEEK, metric=metric))

    board = selectors.service_dashboard(user=service_manager, filters=WEEK, now=NOW)
    assert len(listed("created")) == board.current.created
    assert len(listed("resolved")) == board.current.resolved
    assert listed("resolved_late") == {city["slow"]}
    assert listed("responded_late") == {city["slow"]}
    assert listed("reopened") == {city["reopened"]}
    assert listed("reassigned") == {city["slow"]}
    assert listed("first_contact") == {city["quick"], city["elsewhere"]}
    assert listed("open_created") == {city["open"]}
    slowest = list(selectors.request_list(user=service_manager, filters=WEEK, metric="resolved"))
    assert slowest[0] == city["slow"]


def test_shop_owners_have_no_dashboard(city, shop_owner):
    with pytest.raises(Forbidden):
        selectors.service_dashboard(user=shop_owner, filters=WEEK, now=NOW)


def test_before_the_first_refresh_the_figures_are_empty(shop, service_manager):
    hand_made(shop, created_at=at(20))
    board = selectors.service_dashboard(user=service_manager, filters=WEEK, now=NOW)
    assert board.current.created == 0
    assert board.refreshed_at is None
    assert board.current.response_median_h is None
