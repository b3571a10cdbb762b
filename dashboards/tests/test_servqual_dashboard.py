"""The SERVQUAL dashboard: its rollup gives the wave analysis's figures, filters and scope narrow
them, small groups stay hidden, waves compare with the wave before, the refresh keeps the cells
current, and the pages (dashboard, shops below expectation, XLSX) answer as they should."""

import datetime
import io
import json
import random
import re
import secrets

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.tests.factories import GridFactory, ShopFactory
from dashboards import servqual
from dashboards.models import ServqualCell
from dashboards.selectors import DashboardFilters
from dashboards.services import rollups
from dashboards.services.servqual_rollup import refresh_servqual
from flexserve.errors import Forbidden, NotFound
from quality import reports
from quality.models import Answer, Instrument, Invitation, Question, Response, Wave

pytestmark = pytest.mark.django_db

PAGE, SHOPS = "/console/dashboards/servqual/", "/console/dashboards/servqual/shops/"
ITEMS = {
    "tangibles": ["t1", "t2", "t3", "t4"],
    "reliability": ["r1", "r2", "r3", "r4", "r5"],
    "responsiveness": ["s1", "s2", "s3", "s4"],
    "assurance": ["a1", "a2", "a3", "a4"],
    "empathy": ["e1", "e2", "e3", "e4", "e5"],
}
DIMENSIONS = list(ITEMS)
ALL_ITEMS = [code for codes in ITEMS.values() for code in codes]
POINTS = [(10, 30, 30, 15, 15), (20, 20, 20, 20, 20), (5, 40, 35, 10, 10), (30, 25, 15, 20, 10)]
EXACT = 1e-9
ANY = DashboardFilters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 1, 31))


@pytest.fixture
def instrument(db):
    return Instrument.objects.get(code="servqual-shop-22")


def make_wave(instrument, name="2026 年第四季度", *, days_ago=10, anonymous=False) -> Wave:
    now = timezone.now()
    return Wave.objects.create(
        instrument=instrument,
        name=name,
        opens_at=now - datetime.timedelta(days=days_ago),
        closes_at=now + datetime.timedelta(days=5),
        anonymous=anonymous,
    )


def respond(wave, shop, pairs: dict, points=POINTS[0]) -> Response:
    """A submitted response of ``shop`` with ``pairs`` {item: (E, P)} and the points (None:
    skipped), recording the shop's groups as the survey service does."""
    now = timezone.now()
    invitation = Invitation.objects.create(
        wave=wave, shop=shop, token=secrets.token_urlsafe(32), invited_at=now
    )
    response = Response.objects.create(
        wave=wave,
        invitation=None if wave.anonymous else invitation,
        receipt=secrets.token_hex(32),
        state=Response.State.SUBMITTED,
        segment=shop.segment,
        grid_id=shop.grid_id,
        district_id=shop.grid.district_id,
        market_type=shop.market_type,
        account_manager_id=shop.account_manager_id,
        started_at=now,
        submitted_at=now,
    )
    questions = {q.code: q for q in wave.instrument.questions.all()}
    answers = [
        Answer(response=response, question=questions[code], expectation=e, perception=p)
        for code, (e, p) in pairs.items()
    ]
    if points is not None:
        given = dict(zip(DIMENSIONS, points, strict=True))
        answers.append(Answer(response=response, question=questions["points"], points=given))
    Answer.objects.bulk_create(answers)
    return response


def varied(seed: int) -> dict:
    rng = random.Random(seed)
    return {code: (rng.randint(3, 7), rng.randint(1, 7)) for code in ALL_ITEMS}


def uniform(e: int, p: int) -> dict:
    return dict.fromkeys(ALL_ITEMS, (e, p))


@pytest.fixture
def city(grid, instrument):
    """A wave answered by 17 shops: 8 in the account manager's grid (3 of them core), 6 in a
    second district, 3 in a third; varied answers, a reverse-scored item, a shop that skipped
    the points, one that answered only the expectation of an item, one that left out a
    dimension."""
    Question.objects.filter(instrument=instrument, code="t2").update(reverse=True)
    north, south = GridFactory(), GridFactory()
    shops = ShopFactory.create_batch(8, grid=grid)
    for shop in shops[:3]:
        shop.segment = "core"
        shop.save(update_fields=["segment"])
    shops += ShopFactory.create_batch(6, grid=north) + ShopFactory.create_batch(3, grid=south)
    wave = make_wave(instrument)
    for index, shop in enumerate(shops):
        pairs = varied(index)
        points = POINTS[index % len(POINTS)]
        if index == 4:
            points = None
        if index == 5:
            pairs["r2"] = (6, None)
        if index == 9:
            pairs = {code: pair for code, pair in pairs.items() if not code.startswith("e")}
        respond(wave, shop, pairs, points)
    rollups.refresh(full=True)
    return {"wave": wave, "shops": shops, "north": north, "south": south}


def close(ours, theirs) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return ours == pytest.approx(theirs, abs=EXACT)


def assert_interval(ours, theirs: dict) -> None:
    assert ours.n == theirs["n"]
    for name in ("mean", "sd", "low", "high"):
        assert close(getattr(ours, name), theirs[name]), name


def assert_same_as_report(figures: servqual.WaveFigures, report: dict) -> None:
    assert figures.respondents == report["respondents"]
    assert not figures.suppressed
    for theirs in report["dimensions"]:
        ours = figures.dimension(theirs["code"])
        assert ours.n == theirs["n"]
        for side in ("expectation", "perception", "gap"):
            assert_interval(getattr(ours, side), theirs[side])
        assert close(ours.below_share, theirs["below_share"])
        assert close(ours.importance, theirs["importance"])
        assert ours.quadrant == theirs["quadrant"]
    overall = report["overall"]
    assert figures.overall.n == overall["n"]
    assert_interval(figures.overall.gap, overall["gap"])
    assert_interval(figures.overall.weighted, overall["weighted"])
    assert close(figures.overall.perception_only.mean, overall["perception_only"])
    assert close(figures.overall.below_share, overall["below_share"])
    assert close(figures.ipa["importance_mean"], report["ipa"]["importance_mean"])
    assert close(figures.ipa["performance_mean"], report["ipa"]["performance_mean"])


# --- The rollup against the wave analysis -------------------------------------------------------


def test_the_rollup_gives_the_wave_analysis_figures(service_manager, city):
    board = servqual.servqual_dashboard(user=service_manager, filters=ANY)
    report = reports.servqual_report(user=service_manager, wave_id=city["wave"].pk)

    assert board.wave == city["wave"] and board.previous_wave is None
    assert_same_as_report(board.current, report)
    # the half-answered pair and the missing dimension count where the analysis counts them
    assert board.current.dimension("reliability").expectation.n == 17
    assert board.current.dimension("empathy").n == 16 and board.current.overall.n == 16


def test_the_gaps_by_district_are_the_analysis_breakdown_with_small_groups_hidden(
    service_manager, city
):
    board = servqual.servqual_dashboard(user=service_manager, filters=ANY)
    report = reports.servqual_report(user=service_manager, wave_id=city["wave"].pk, by="district")

    assert board.groups.by == "district"
    theirs = {row["key"]: row for row in report["groups"]["rows"]}
    for row in board.groups.rows:
        expected = theirs[row.key]
        assert row.respondents == expected["n"]
        if expected["suppressed"]:
            assert row.gaps == [None] * 5 and row.overall is None
            continue
        for code, gap in zip(DIMENSIONS, row.gaps, strict=True):
            assert close(gap, expected["gaps"][code])
        assert close(row.overall, expected["overall_gap"])
    south = next(row for row in board.groups.rows if row.key == city["south"].district_id)
    assert south.respondents == 3 and south.overall is None


def test_filters_narrow_to_the_shops_they_name(service_manager, city, grid):
    report = reports.servqual_report(user=service_manager, wave_id=city["wave"].pk, by="segment")
    core = next(row for row in report["groups"]["rows"] if row["key"] == "core")
    # three core shops: under five, hidden
    only_core = DashboardFilters(since=ANY.since, until=ANY.until, segment="core")
    board = servqual.servqual_dashboard(user=service_manager, filters=only_core)
    assert board.current.respondents == core["n"] == 3
    assert board.current.suppressed and board.current.overall is None
    assert all(d.gap is None for d in board.current.dimensions)

    ordinary = DashboardFilters(since=ANY.since, until=ANY.until, segment="ordinary")
    board = servqual.servqual_dashboard(user=service_manager, filters=ordinary)
    expected = next(row for row in report["groups"]["rows"] if row["key"] == "ordinary")
    assert board.current.respondents == 14
    for code in DIMENSIONS:
        assert close(board.current.dimension(code).gap.mean, expected["gaps"][code])

    by_grid = DashboardFilters(since=ANY.since, until=ANY.until, district_id=grid.district_id)
    board = servqual.servqual_dashboard(user=service_manager, filters=by_grid)
    assert board.current.respondents == 8
    assert board.groups.by == "grid" and [row.key for row in board.groups.rows] == [grid.pk]


def test_a_territorial_user_sees_only_the_answers_of_the_own_grids(
    service_manager, account_manager, city
):
    board = servqual.servqual_dashboard(user=account_manager, filters=ANY)
    report = reports.servqual_report(user=account_manager, wave_id=city["wave"].pk)

    assert board.current.respondents == report["respondents"] == 8
    assert close(board.current.overall.gap.mean, report["overall"]["gap"]["mean"])
    for theirs in report["dimensions"]:
        assert_interval(board.current.dimension(theirs["code"]).gap, theirs["gap"])
    assert [row.key for row in board.groups.rows] == [city["shops"][0].grid.district_id]


def test_the_page_reads_the_rollup_only(client_for, service_manager, city):
    client = client_for(service_manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "quality_answer" in q or "quality_response" in q]
    # the default wave's check, its cells by dimension and district (no earlier wave here)
    assert len([q for q in sql if "dashboards_servqualcell" in q]) == 2
    assert len(sql) <= 25


# --- Comparison and refresh ---------------------------------------------------------------------


def test_each_wave_is_compared_with_the_wave_before_it(service_manager, instrument, client_for):
    shops = ShopFactory.create_batch(6)
    first = make_wave(instrument, "第一轮", days_ago=90)
    second = make_wave(instrument, "第二轮", days_ago=5)
    for shop in shops:
        respond(first, shop, uniform(6, 4))  # gap −2
        respond(second, shop, uniform(6, 5))  # gap −1
    rollups.refresh(full=True)

    board = servqual.servqual_dashboard(user=service_manager, filters=ANY)
    assert board.wave == second and board.previous_wave == first
    assert board.before.overall.gap.mean == pytest.approx(-2)
    assert board.current.overall.gap.sd == 0  # identical answers: no spread
    older = servqual.servqual_dashboard(user=service_manager, filters=ANY, wave_id=first.pk)
    assert older.previous_wave is None

    html = client_for(service_manager).get(PAGE).content.decode()
    gap_tile = re.search(r'data-tile="gap".*?</a>', html, re.S).group(0)
    assert "-1.00" in gap_tile and "-2.00" in gap_tile
    assert 'data-change="up"' in gap_tile and "change-good" in gap_tile
    assert "第一轮" in re.search(r"data-period>(.*?)</p>", html, re.S).group(1)
    row = re.search(r'<tr data-dimension="tangibles".*?</tr>', html, re.S).group(0)
    assert "▲ 1.00" in row


def test_the_refresh_picks_up_new_answers_and_a_full_rebuild_redoes_every_wave(
    service_manager, instrument
):
    shops = ShopFactory.create_batch(7)
    quiet, busy = make_wave(instrument, "旧", days_ago=60), make_wave(instrument, "新")
    for shop in shops[:5]:
        respond(quiet, shop, uniform(6, 5))
        respond(busy, shop, uniform(6, 5))
    long_ago = timezone.now() - datetime.timedelta(days=50)
    Response.objects.filter(wave=quiet).update(submitted_at=long_ago)
    rollups.refresh(full=True)
    # damage the quiet wave's cells: only a full rebuild (not the 15-minute one) redoes them
    ServqualCell.objects.filter(wave=quiet).update(sum_gap=99.0)

    respond(busy, shops[5], uniform(5, 5))
    respond(busy, shops[6], uniform(5, 5))
    rollups.refresh()

    board = servqual.servqual_dashboard(user=service_manager, filters=ANY, wave_id=busy.pk)
    assert board.current.respondents == 7
    assert board.current.overall.gap.mean == pytest.approx(-5 / 7)
    assert board.before.overall.gap.mean > 1  # still the damaged sums

    rollups.refresh(full=True)
    board = servqual.servqual_dashboard(user=service_manager, filters=ANY, wave_id=busy.pk)
    assert board.before.overall.gap.mean == pytest.approx(-1)
    assert refresh_servqual(since=timezone.now()) == 0  # nothing submitted since


# --- Pages --------------------------------------------------------------------------------------


def test_the_page_shows_tiles_charts_tables_and_hides_small_groups(
    client_for, service_manager, city
):
    response = client_for(service_manager).get(PAGE)
    html = response.content.decode()

    assert response.status_code == 200
    assert "js/dashboards_servqual.js" in html and 'aria-current="page"' in html
    assert "data-refreshed-at=" in html
    data = json.loads(re.search(r'id="servqual-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert len(data["gaps"]) == 5 and len(data["ipa"]["points"]) == 5
    assert set(data["labels"]["quadrants"]) == set(servqual.QUADRANTS)
    assert re.search(r'data-tile="respondents".*?data-value>17<', html, re.S)
    assert "data-interval>" in html
    south = re.search(
        rf'<tr data-group="{city["south"].district_id}">(.*?)</tr>', html, re.S
    ).group(1)
    cells = re.findall(r'<td class="num heat[^"]*"[^>]*>(?:<strong>)?([^<]*)', south)
    assert cells == ["–"] * 6
    assert html.count("data-shops-link") == 5


def test_request_type_and_channel_are_said_not_to_apply(client_for, service_manager, city):
    html = client_for(service_manager).get(PAGE + "?channel=phone").content.decode()
    assert "data-ignored" in html
    assert 'name="channel" value="phone"' in html  # kept for the other tabs


def test_shop_owners_may_not_open_the_dashboard(client_for, shop_owner, city):
    assert client_for(shop_owner).get(PAGE).status_code == 403
    assert client_for(shop_owner).get(SHOPS).status_code == 403


def test_an_unknown_or_unseen_wave_is_not_found(client_for, service_manager, instrument, city):
    client = client_for(service_manager)
    assert client.get(PAGE + "?wave=999999").status_code == 404
    assert client.get(SHOPS + "?wave=999999&dimension=tangibles").status_code == 404
    assert client.get(SHOPS + f"?wave={city['wave'].pk}&dimension=nope").status_code == 404
    later = make_wave(instrument, "还没开始", days_ago=-3)
    assert client.get(PAGE + f"?wave={later.pk}").status_code == 404
    assert client.get(PAGE + "?wave=abc").status_code == 200  # falls back to the newest


def test_the_page_renders_without_any_wave(client_for, service_manager):
    response = client_for(service_manager).get(PAGE)
    assert response.status_code == 200 and "data-no-wave" in response.content.decode()
    assert client_for(service_manager).get(PAGE + "?format=xlsx").status_code == 200


def test_the_shops_below_expectation_are_listed_worst_first(client_for, service_manager, city):
    wave = city["wave"]
    rows = list(
        servqual.shops_below(
            user=service_manager, wave_id=wave.pk, dimension_code="tangibles", filters=ANY
        )
    )
    report = reports.servqual_report(user=service_manager, wave_id=wave.pk)
    tangibles = next(d for d in report["dimensions"] if d["code"] == "tangibles")
    assert len(rows) == round(tangibles["below_share"] * tangibles["n"])
    gaps = [row["gap"] for row in rows]
    assert gaps == sorted(gaps) and gaps[0] < 0
    # the reverse-scored item is turned round in SQL as in the analysis
    answers, meta = reports.load_wave(wave, Response.objects.filter(wave=wave))
    tangible_items = answers.item_dimension == 0
    for row in rows:
        index = [m["pk"] for m in meta].index(row["response_id"])
        expected = answers.perception[index, tangible_items].mean()
        expected -= answers.expectation[index, tangible_items].mean()
        assert row["gap"] == pytest.approx(expected, abs=EXACT)
    worst = servqual.responses_of(rows[:1])[rows[0]["response_id"]]

    html = (
        client_for(service_manager)
        .get(SHOPS + f"?wave={wave.pk}&dimension=tangibles")
        .content.decode()
    )
    assert f'data-count="{len(rows)}"' in html
    assert f'data-shop="{worst.invitation.shop_id}"' in html


def test_a_territorial_user_lists_only_the_shops_of_the_own_grids(account_manager, city, grid):
    rows = list(
        servqual.shops_below(
            user=account_manager, wave_id=city["wave"].pk, dimension_code="reliability", filters=ANY
        )
    )
    grids = {response.grid_id for response in servqual.responses_of(rows).values()}
    assert rows and grids == {grid.pk}


def test_an_anonymous_wave_cannot_list_shops(client_for, service_manager, instrument):
    wave = make_wave(instrument, anonymous=True)
    for shop in ShopFactory.create_batch(5):
        respond(wave, shop, uniform(6, 4))
    rollups.refresh(full=True)

    response = client_for(service_manager).get(SHOPS + f"?wave={wave.pk}&dimension=tangibles")
    assert response.status_code == 409
    assert 'data-refused="wave_anonymous"' in response.content.decode()
    with pytest.raises(servqual.AnonymousWave):
        servqual.shops_below(
            user=service_manager, wave_id=wave.pk, dimension_code="tangibles", filters=ANY
        )
    html = client_for(service_manager).get(PAGE).content.decode()
    assert "data-no-shops" in html and "data-shops-link" not in html


def test_the_xlsx_holds_the_dimensions_the_groups_and_what_they_are(
    client_for, service_manager, city
):
    response = client_for(service_manager).get(PAGE + "?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    dimensions, groups, about = book.worksheets
    rows = list(dimensions.iter_rows(values_only=True))
    assert len(rows) == 1 + 5 + 1  # headers, five dimensions, overall
    board = servqual.servqual_dashboard(user=service_manager, filters=ANY)
    assert rows[1][4] == round(board.current.dimensions[0].gap.mean, 2)
    group_rows = list(groups.iter_rows(values_only=True))[1:]
    south = next(row for row in group_rows if row[1] == 3)
    assert all(value is None for value in south[2:])  # under five: left empty
    assert any("第四季度" in str(row[1]) for row in about.iter_rows(values_only=True))


def test_selectors_refuse_unknown_waves_and_viewers_without_the_permission(
    service_manager, shop_owner, city
):
    with pytest.raises(NotFound):
        servqual.servqual_dashboard(user=service_manager, filters=ANY, wave_id=-1)
    with pytest.raises(Forbidden):
        servqual.servqual_dashboard(user=shop_owner, filters=ANY)
