"""The staff dashboard: per assignee, what they resolved, how fast, how often in time, and their
CSAT from quality (hidden under 5 ratings), ranked."""

import datetime

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from dashboards import selectors
from dashboards.histogram import MAX_RELATIVE_ERROR
from dashboards.selectors import DashboardFilters
from dashboards.services import rollups
from dashboards.tests.factories import SHANGHAI, hand_made, minutes
from quality.models import CsatRating

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime.datetime(2025, 11, 24, 9, 0, tzinfo=SHANGHAI)
WEEK = DashboardFilters(since=datetime.date(2025, 11, 18), until=datetime.date(2025, 11, 24))


def rate(shop, staff, score, at=MONDAY_9):
    return CsatRating.objects.create(
        shop=shop,
        source=CsatRating.Source.REQUEST,
        staff=staff,
        contact_at=at,
        invited_at=at,
        expires_at=at + datetime.timedelta(days=7),
        score=score,
        rated_at=at,
    )


@pytest.fixture
def team(shop, other_shop, account_manager):
    """Wang resolves three (one late), Li one (in time), in the manager's grid and elsewhere."""
    wang = account_manager
    li = UserFactory(username="li", full_name="李四", role=Role.SERVICE_STAFF)
    for resolved_after, late in ((60, False), (120, False), (240, True)):
        hand_made(
            shop, resolved_after=minutes(resolved_after), assignee=wang, resolution_breached=late
        )
    hand_made(other_shop, resolved_after=minutes(30), assignee=li)
    hand_made(shop)  # unassigned: in nobody's row
    for score in (5, 5, 4, 3, 5):
        rate(shop, wang, score)
    for score in (5, 5):
        rate(other_shop, li, score)
    rollups.refresh(now=MONDAY_9 + datetime.timedelta(hours=12), full=True)
    return wang, li


def test_each_assignee_has_their_figures_and_csat_only_from_five_ratings(team, service_manager):
    wang, li = team
    board = selectors.staff_dashboard(user=service_manager, filters=WEEK)
    rows = {row.assignee_id: row for row in board.rows}

    assert set(rows) == {wang.pk, li.pk}
    assert (rows[wang.pk].resolved, rows[wang.pk].resolution_sla) == (3, 2 / 3)
    assert rows[wang.pk].resolution_median_h == pytest.approx(2, rel=MAX_RELATIVE_ERROR)
    assert rows[wang.pk].csat_shown == 4 / 5
    assert rows[li.pk].csat["rated"] == 2
    assert rows[li.pk].csat_shown is None  # two ratings: hidden
    assert rows[li.pk].name == "李四"


@pytest.mark.parametrize(
    ("sort", "first"),
    [("resolved", "wang"), ("sla", "li"), ("median", "li"), ("csat", "wang")],
)
def test_staff_are_ranked_by_the_chosen_figure(team, service_manager, sort, first):
    wang, li = team
    board = selectors.staff_dashboard(user=service_manager, filters=WEEK, sort=sort)
    expected = {"wang": wang, "li": li}[first]
    assert [row.rank for row in board.rows] == [1, 2]
    assert board.rows[0].assignee_id == expected.pk


def test_an_account_manager_ranks_only_the_work_done_in_their_grids(team, account_manager):
    wang, _ = team
    board = selectors.staff_dashboard(user=account_manager, filters=WEEK)
    assert [row.assignee_id for row in board.rows] == [wang.pk]


def test_a_staff_filter_keeps_one_row(team, service_manager):
    _, li = team
    filters = DashboardFilters(since=WEEK.since, until=WEEK.until, assignee_id=li.pk)
    board = selectors.staff_dashboard(user=service_manager, filters=filters)
    assert [(row.assignee_id, row.resolved) for row in board.rows] == [(li.pk, 1)]


def test_an_unknown_sort_is_refused(team, service_manager):
    with pytest.raises(ValueError):
        selectors.staff_dashboard(user=service_manager, filters=WEEK, sort="name")
