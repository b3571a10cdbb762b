"""The satisfaction dashboard: CSAT and NPS of a period against the one before, per week, by
class and by source, the latest low ratings' comments, the ratings behind each tile, scope,
filters and the download. Every number below is worked out by hand from the fixtures."""

import datetime
import io
import json
import re
from itertools import count

import openpyxl
import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.models import Shop
from customers.tests.factories import ShopFactory
from dashboards import satisfaction
from dashboards.satisfaction import DashboardFilters
from dashboards.tests.factories import SHANGHAI, hand_made
from flexserve.errors import Forbidden
from quality.models import Answer, CsatRating, Instrument, Invitation, Response, Wave
from servicedesk.models import RequestType

pytestmark = pytest.mark.django_db

PAGE, LIST = "/console/dashboards/satisfaction/", "/console/dashboards/satisfaction/ratings/"
# Two whole weeks, Monday 17 to Sunday 30 November 2025; the period before is 3 to 16 November.
PERIOD = DashboardFilters(since=datetime.date(2025, 11, 17), until=datetime.date(2025, 11, 30))
NOW = datetime.datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI)
_serial = count()


def at(day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, 11, day, hour, minute, tzinfo=SHANGHAI)


def rate(shop, invited_at, score=None, *, request=None, staff=None, reason="", comment=""):
    """A rating of ``shop`` invited at ``invited_at`` and rated two hours later (when scored)."""
    return CsatRating.objects.create(
        shop=shop,
        source=CsatRating.Source.REQUEST if request else CsatRating.Source.VISIT,
        request=request,
        staff=staff,
        contact_at=invited_at - datetime.timedelta(hours=1),
        invited_at=invited_at,
        expires_at=invited_at + datetime.timedelta(days=7),
        score=score,
        reason=reason,
        comment=comment,
        rated_at=invited_at + datetime.timedelta(hours=2) if score else None,
    )


def after_request(shop, when, score, *, request_type="order_problem", channel="portal", **extra):
    request = hand_made(
        shop,
        created_at=when - datetime.timedelta(days=1),
        request_type=request_type,
        channel=channel,
    )
    return rate(shop, when, score, request=request, **extra)


@pytest.fixture
def staff_li(db):
    return UserFactory(username="li", full_name="李四", role=Role.SERVICE_STAFF)


@pytest.fixture
def ratings(shop, account_manager, staff_li):
    """Ten ratings invited in the period in the account manager's grid (8 rated: 5 4 4 3 2 5 1
    4, after requests and visits), five the period before."""
    am, li = account_manager, staff_li
    made = {
        # 00:30 local on the 17th is the 16th in UTC: local days decide.
        "a": after_request(shop, at(17, 0, 30), 5, staff=am),
        "b": after_request(shop, at(18), 4, staff=am),
        "c": rate(shop, at(19), 4, staff=li),
        "d": rate(shop, at(20), 3, staff=li, reason="slow"),  # low, no comment
        "e": after_request(shop, at(21), 2, staff=am, reason="not_fixed", comment="还是订不了"),
        "f": after_request(shop, at(24), 5, request_type="complaint", channel="phone"),
        "g": rate(shop, at(25), 1, staff=li, reason="attitude", comment="态度很差"),
        "h": after_request(shop, at(26), 4),
        "unrated_request": after_request(shop, at(18, 15), None),
        "unrated_visit": rate(shop, at(22), None),
    }
    # The period before: 5 5 5 4 1, the last at 23:30 local on its last day.
    for day, score in ((10, 5), (11, 5), (12, 5), (13, 4)):
        rate(shop, at(day), score)
    made["late_before"] = rate(shop, at(16, 23, 30), 1, reason="slow", comment="上周的事")
    return made


@pytest.fixture
def nps_wave(service_manager):
    return Wave.objects.create(
        instrument=Instrument.objects.get(code="nps-shop"),
        name="2025 年推荐意愿调查",
        opens_at=at(1),
        closes_at=at(30),
        created_by=service_manager,
    )


def respond(wave, value, when, *, grid, account_manager=None, invitation=None):
    """A submitted response (anonymous unless ``invitation``) with one NPS answer."""
    response = Response.objects.create(
        wave=wave,
        invitation=invitation,
        receipt=f"receipt-{next(_serial)}",
        state=Response.State.SUBMITTED,
        segment=Shop.objects.filter(grid=grid).values_list("segment", flat=True).first() or "",
        district_id=grid.district_id,
        grid=grid,
        account_manager=account_manager,
        started_at=when - datetime.timedelta(minutes=5),
        submitted_at=when,
    )
    question = wave.instrument.questions.get(kind="nps")
    Answer.objects.create(response=response, question=question, value=value)
    why = wave.instrument.questions.exclude(kind="nps").first()
    if why is not None:  # a free-text answer: not an NPS answer
        Answer.objects.create(response=response, question=why, text="送货准时")
    return response


def invite(wave, shop, when, *, answered: bool):
    return Invitation.objects.create(
        wave=wave,
        shop=shop,
        token=f"token-{next(_serial)}",
        invited_at=when,
        responded_at=when + datetime.timedelta(hours=3) if answered else None,
    )


@pytest.fixture
def surveys(nps_wave, grid):
    """Ten NPS answers in the period (10 9 9 9 8 7 6 3 10 10: NPS 40), six in its first week;
    twelve invitations of the period, ten answered; five answers and invitations before."""
    shops = ShopFactory.create_batch(17, grid=grid)
    values = [10, 9, 9, 9, 8, 7, 6, 3, 10, 10]
    days = [17, 18, 19, 20, 21, 22, 24, 25, 26, 27]
    for shop, value, day in zip(shops[:10], values, days, strict=True):
        invitation = invite(nps_wave, shop, at(17, 0, 30), answered=True)
        respond(nps_wave, value, at(day, 0, 30), grid=grid, invitation=invitation)
    for shop in shops[10:12]:
        invite(nps_wave, shop, at(18), answered=False)
    for shop, value in zip(shops[12:], [10, 10, 10, 0, 0], strict=True):
        invitation = invite(nps_wave, shop, at(5), answered=True)
        respond(nps_wave, value, at(12), grid=grid, invitation=invitation)
    return shops


def board_for(user, filters=PERIOD):
    return satisfaction.satisfaction_dashboard(user=user, filters=filters, now=NOW)


def filtered(**dimensions) -> DashboardFilters:
    return DashboardFilters(since=PERIOD.since, until=PERIOD.until, **dimensions)


# --- Figures -------------------------------------------------------------------------------------


def test_csat_is_the_share_of_four_and_five_with_its_wilson_interval_and_response_rate(
    ratings, service_manager
):
    csat = board_for(service_manager).current.csat

    assert (csat.invited, csat.rated, csat.satisfied, csat.low) == (10, 8, 5, 3)
    assert csat.csat == 0.625
    low, high = csat.interval
    assert (round(100 * low, 1), round(100 * high, 1)) == (30.6, 86.3)
    assert csat.response_rate == 0.8


def test_the_previous_period_has_its_own_figures(ratings, surveys, service_manager):
    before = board_for(service_manager).previous

    # 5 5 5 4 1, the 1 invited at 23:30 on the 16th (local): 4 of 5 satisfied, all rated.
    assert (before.csat.invited, before.csat.rated, before.csat.low) == (5, 5, 1)
    assert before.csat.csat == 0.8 and before.csat.response_rate == 1.0
    # 10 10 10 0 0: (3 − 2) / 5 = 20 points; five invited, five answered.
    assert (before.nps.answers, before.nps.nps, before.nps.response_rate) == (5, 20, 1.0)


def test_nps_is_promoters_minus_detractors_of_the_periods_nps_answers(surveys, service_manager):
    nps = board_for(service_manager).current.nps

    assert (nps.answers, nps.promoters, nps.detractors) == (10, 6, 2)
    assert nps.nps == pytest.approx(40)
    assert (nps.invited, nps.answered) == (12, 10)
    assert nps.response_rate == pytest.approx(10 / 12)


def test_nps_under_five_answers_is_not_shown(nps_wave, grid, service_manager):
    for value in (10, 10, 9, 0):
        respond(nps_wave, value, at(20), grid=grid)
    nps = board_for(service_manager).current.nps
    assert (nps.answers, nps.nps) == (4, None)


def test_answers_of_staff_waves_do_not_count_as_shops_recommendations(
    surveys, nps_wave, grid, service_manager
):
    staff_wave = Wave.objects.create(
        instrument=nps_wave.instrument,
        name="员工换位调查",
        audience=Wave.Audience.STAFF,
        opens_at=at(1),
        closes_at=at(30),
    )
    respond(staff_wave, 0, at(20), grid=grid)
    assert board_for(service_manager).current.nps.answers == 10


def test_weeks_start_on_monday_and_hide_figures_of_fewer_than_five_answers(
    ratings, surveys, service_manager
):
    weeks = board_for(service_manager).weeks

    assert [(w.monday, w.first_day, w.last_day) for w in weeks] == [
        (datetime.date(2025, 11, 17), datetime.date(2025, 11, 17), datetime.date(2025, 11, 23)),
        (datetime.date(2025, 11, 24), datetime.date(2025, 11, 24), datetime.date(2025, 11, 30)),
    ]
    first, second = weeks
    # Week 1: a b c d e rated (5 4 4 3 2) and two not rated; the 00:30 rating is in it.
    assert (first.csat.invited, first.csat.rated, first.csat.csat) == (7, 5, 0.6)
    assert first.response_rate == pytest.approx(5 / 7)
    # Week 2: f g h (5 1 4): three ratings, three invited, no CSAT and no rate shown.
    assert (second.csat.rated, second.csat.csat, second.response_rate) == (3, None, None)
    # NPS: 10 9 9 9 8 7 in week 1 (4 promoters, no detractor), four answers in week 2.
    assert first.nps.answers == 6 and first.nps.nps == pytest.approx(100 * 4 / 6)
    assert (second.nps.answers, second.nps.nps) == (4, None)


def test_a_period_starting_midweek_has_a_partial_first_week(ratings, service_manager):
    midweek = DashboardFilters(since=datetime.date(2025, 11, 19), until=datetime.date(2025, 11, 25))
    weeks = board_for(service_manager, midweek).weeks
    assert [(w.monday.day, w.first_day.day, w.last_day.day) for w in weeks] == [
        (17, 19, 23),
        (24, 24, 25),
    ]
    assert [w.csat.rated for w in weeks] == [3, 2]  # c d e, then f g


def test_csat_by_source_and_by_class_hides_groups_under_five_ratings(ratings, service_manager):
    board = board_for(service_manager)
    by_source = {row.key: row for row in board.by_source}

    # After requests: a b e f h = 5 4 2 5 4 (4 of 5), one more invited; visits: c d g, hidden.
    assert (by_source["request"].current.rated, by_source["request"].current.csat) == (5, 0.8)
    assert by_source["request"].current.invited == 6
    assert (by_source["visit"].current.rated, by_source["visit"].current.csat) == (3, None)
    assert by_source["visit"].previous.csat == 0.8  # the period before: all visits
    assert [(row.key, row.current.rated) for row in board.by_segment] == [("ordinary", 8)]


def test_the_latest_comments_are_low_ratings_with_a_comment_newest_first(ratings, service_manager):
    board = board_for(service_manager)
    assert board.comments == [ratings["g"], ratings["e"]]


def test_every_figure_comes_from_a_handful_of_queries(
    ratings, surveys, service_manager, django_assert_num_queries
):
    # Ratings by class and source (both periods), ratings by week, NPS answers (both periods),
    # NPS answers by week, invitations (both periods), the latest comments.
    with django_assert_num_queries(6):
        board_for(service_manager)


# --- Scope and filters ---------------------------------------------------------------------------


def test_an_account_manager_sees_only_the_ratings_and_answers_of_their_grids(
    ratings, surveys, nps_wave, other_shop, account_manager, service_manager
):
    rate(other_shop, at(20), 1, reason="slow", comment="别处的")
    respond(nps_wave, 0, at(20), grid=other_shop.grid)
    # A shop of theirs outside their grids: its rating is not in their grids' figures.
    assigned = ShopFactory(account_manager=account_manager)
    rate(assigned, at(20), 5)

    mine, everyone = board_for(account_manager), board_for(service_manager)

    assert (mine.current.csat.rated, mine.current.csat.csat) == (8, 0.625)
    assert everyone.current.csat.rated == 10
    assert mine.current.nps.answers == 10 and everyone.current.nps.answers == 11
    assert other_shop.pk not in {r.shop_id for r in mine.comments}
    listed = satisfaction.rating_list(user=account_manager, filters=PERIOD, which="rated")
    assert {r.shop_id for r in listed} == {ratings["a"].shop_id}


def test_a_territorial_viewer_counts_answers_of_the_shops_assigned_to_them(
    nps_wave, other_shop, account_manager
):
    for value in (10, 10, 10, 9, 9):
        respond(nps_wave, value, at(20), grid=other_shop.grid, account_manager=account_manager)
    assert board_for(account_manager).current.nps.nps == pytest.approx(100)


def test_a_shop_owner_is_refused(shop_owner):
    with pytest.raises(Forbidden):
        board_for(shop_owner)
    with pytest.raises(Forbidden):
        satisfaction.rating_list(user=shop_owner, filters=PERIOD, which="rated")


@pytest.mark.parametrize(
    ("dimensions", "invited", "rated", "low"),
    [
        (lambda r, am, other: {"district_id": other.grid.district_id}, 1, 1, 1),
        (lambda r, am, other: {"grid_id": r["a"].shop.grid_id}, 10, 8, 3),
        (lambda r, am, other: {"segment": "core"}, 1, 1, 1),
        (lambda r, am, other: {"assignee_id": am.pk}, 3, 3, 1),  # a b e
        # Requests of the order-problem type: a b e h and one not rated; visits drop out.
        (
            lambda r, am, other: {
                "request_type_id": RequestType.objects.get(code="order_problem").pk
            },
            5,
            4,
            1,
        ),
        (lambda r, am, other: {"channel": "phone"}, 1, 1, 0),  # f
    ],
)
def test_each_filter_narrows_the_ratings(
    ratings, other_shop, account_manager, service_manager, dimensions, invited, rated, low
):
    Shop.objects.filter(pk=other_shop.pk).update(segment="core")
    rate(other_shop, at(20), 1, reason="slow")
    filters = filtered(**dimensions(ratings, account_manager, other_shop))
    csat = board_for(service_manager, filters).current.csat
    assert (csat.invited, csat.rated, csat.low) == (invited, rated, low)


def test_request_filters_leave_nps_alone_and_the_staff_filter_reads_the_account_manager(
    surveys, nps_wave, grid, account_manager, service_manager
):
    respond(nps_wave, 0, at(20), grid=grid, account_manager=account_manager)
    by_channel = board_for(service_manager, filtered(channel="phone")).current.nps
    assert by_channel.answers == 11
    assert (
        board_for(service_manager, filtered(assignee_id=account_manager.pk)).current.nps.answers
        == 1
    )
    elsewhere = filtered(district_id=ShopFactory().grid.district_id)
    assert board_for(service_manager, elsewhere).current.nps.answers == 0


# --- The ratings behind the tiles ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("rated", ["h", "g", "f", "e", "d", "c", "b", "a"]),
        ("low", ["g", "e", "d"]),
        ("unrated", ["unrated_visit", "unrated_request"]),
        ("comments", ["g", "e"]),
    ],
)
def test_each_list_holds_what_its_tile_counts_newest_first(
    ratings, service_manager, which, expected
):
    listed = satisfaction.rating_list(user=service_manager, filters=PERIOD, which=which)
    assert list(listed) == [ratings[key] for key in expected]


def test_an_unknown_list_is_refused(service_manager):
    with pytest.raises(ValueError):
        satisfaction.rating_list(user=service_manager, filters=PERIOD, which="everything")


# --- Pages ---------------------------------------------------------------------------------------

QUERY = {"since": "2025-11-17", "until": "2025-11-30"}


def tile_value(html: str, key: str) -> str:
    match = re.search(rf'data-tile="{key}".*?data-value>([^<]*)<', html, re.S)
    return match.group(1).strip()


def tile_link(html: str, key: str) -> str:
    found = re.search(rf'<a class="kpi[^"]*" href="([^"]+)" data-tile="{key}"', html).group(1)
    return found.replace("&amp;", "&")


def test_the_page_shows_the_tiles_the_weeks_the_breakdowns_and_the_comments(
    client_for, ratings, surveys, service_manager
):
    response = client_for(service_manager).get(PAGE, QUERY, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.status_code == 200
    assert tile_value(html, "csat") == "62.5"
    assert "30.6–86.3" in html
    assert (tile_value(html, "rated"), tile_value(html, "low")) == ("8", "3")
    assert tile_value(html, "csat_response_rate") == "80.0"
    assert (tile_value(html, "nps"), tile_value(html, "nps_answers")) == ("40.0", "10")
    assert tile_value(html, "nps_response_rate") == "83.3"
    assert "Live figures as of" in html
    data = json.loads(re.search(r'id="satisfaction-data"[^>]*>(.*?)</script>', html, re.S)[1])
    assert data["weeks"] == ["2025-11-17", "2025-11-24"]
    assert data["csat"] == [60.0, None] and data["nps"] == [pytest.approx(66.7), None]
    assert re.findall(r'data-rating="(\d+)"', html) == [str(ratings["g"].pk), str(ratings["e"].pk)]
    assert "data-csat-hidden" in html  # visits: three ratings
    assert "js/dashboards_satisfaction.js" in html and 'aria-current="page"' in html


def test_the_tiles_open_their_lists(client_for, ratings, service_manager):
    client = client_for(service_manager)
    html = client.get(PAGE, QUERY).content.decode()
    assert "which=low" in tile_link(html, "low")
    assert tile_link(html, "nps") == "/console/quality/"

    listed = client.get(tile_link(html, "low")).content.decode()
    expected = [str(ratings[key].pk) for key in ("g", "e", "d")]
    assert re.findall(r'data-rating="(\d+)"', listed) == expected
    unrated = client.get(LIST, {**QUERY, "which": "unrated"}).content.decode()
    assert len(re.findall(r'data-rating="(\d+)"', unrated)) == 2
    assert (
        ratings["e"].request.number
        in client.get(LIST, {**QUERY, "which": "comments"}).content.decode()
    )


def test_the_rating_list_pages_by_fifty(client_for, shop, service_manager):
    for minute in range(55):
        rate(shop, at(20, 8, minute), 5)
    client = client_for(service_manager)
    first = client.get(LIST, {**QUERY, "which": "rated"}).content.decode()
    second = client.get(LIST, {**QUERY, "which": "rated", "page": 2}).content.decode()
    assert len(re.findall(r'data-rating="', first)) == 50
    assert len(re.findall(r'data-rating="', second)) == 5
    assert 'data-count="55"' in first


def test_an_unknown_list_is_not_found(client_for, service_manager):
    assert client_for(service_manager).get(LIST, {"which": "everything"}).status_code == 404
    assert client_for(service_manager).get(LIST).status_code == 404


def test_shop_owners_are_refused_and_visitors_sent_to_log_in(client_for, client, shop_owner):
    for url in (PAGE, f"{LIST}?which=rated", f"{PAGE}?format=xlsx"):
        assert client_for(shop_owner).get(url).status_code == 403
        assert client.get(url).status_code == 302


def test_the_page_opens_on_an_empty_database(client_for, service_manager):
    response = client_for(service_manager).get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert tile_value(html, "csat") == "–" and tile_value(html, "nps") == "–"
    assert client_for(service_manager).get(LIST, {"which": "comments"}).status_code == 200


def test_a_bad_filter_falls_back_to_the_default_period(client_for, service_manager):
    response = client_for(service_manager).get(
        PAGE, {"since": "2025-11-30", "until": "2025-11-01", "grid": "abc"}
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()


def test_the_export_opens_and_holds_the_figures_the_weeks_and_the_comments(
    client_for, ratings, surveys, service_manager
):
    response = client_for(service_manager).get(
        PAGE, {**QUERY, "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    figures = {row[0]: row[2:] for row in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["CSAT (rated 4–5)"] == (62.5, 80.0)
    assert figures["Ratings given"] == (8, 5)
    assert figures["CSAT response rate"] == (80.0, 100.0)
    assert figures["NPS"] == (40.0, 20.0)
    assert figures["CSAT, 95 % interval, lower end"][0] == 30.6
    weeks = list(book["By week"].iter_rows(min_row=2, values_only=True))
    assert [(w[4], w[5], w[8]) for w in weeks] == [(5, 60.0, 66.7), (3, None, None)]
    comments = list(book["Comments"].iter_rows(min_row=2, values_only=True))
    assert [(c[4], c[6]) for c in comments] == [(1, "态度很差"), (2, "还是订不了")]
