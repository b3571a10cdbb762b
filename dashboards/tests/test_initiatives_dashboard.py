"""The initiatives and class-moves dashboard: initiatives running in the period with their survey
funnels (against the funnel survey before), event funnels and goals; shops moving between
classes as tiles and a from → to matrix, with the list behind each figure."""

import datetime
import io
import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.utils import timezone

from customers.models import SegmentChange, SegmentRuleSet, ServiceItem
from customers.tests.factories import ShopFactory
from dashboards import initiatives
from dashboards.selectors import DashboardFilters
from dashboards.tests.factories import SHANGHAI
from quality.models import Answer, Question, Response
from quality.services import initiatives as initiative_services
from quality.tests.test_initiatives import funnel_wave, make_initiative

pytestmark = pytest.mark.django_db

PAGE, MOVES = "/console/dashboards/initiatives/", "/console/dashboards/class-moves/"
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
# The default period (the last 30 days) and the 30 days before it.
PERIOD = DashboardFilters(since=TODAY - 29 * DAY, until=TODAY)
# A fixed week for the class moves, and the week before it.
WEEK = DashboardFilters(since=datetime.date(2025, 11, 18), until=datetime.date(2025, 11, 24))
WEEK_QUERY = {"since": "2025-11-18", "until": "2025-11-24"}


def respond(wave, *, surveyed: int, aware: int, interested: int, tried: int, good: int) -> None:
    """``surveyed`` submitted answers to a funnel survey, written directly (hundreds of shops
    through the answering service would take minutes): the first ``aware`` are aware, of those
    the first ``interested`` interested and the first ``tried`` tried it, the first ``good`` of
    whom rated it 5 (the others 2). The questions' conditions hold as the form would apply them."""
    now = timezone.now()
    questions = {q.code: q for q in Question.objects.filter(instrument=wave.instrument)}
    responses = Response.objects.bulk_create(
        Response(
            wave=wave,
            receipt=secrets.token_hex(32),
            state=Response.State.SUBMITTED,
            started_at=now,
            submitted_at=now,
        )
        for _ in range(surveyed)
    )
    yes, no = 0, 1
    answers = []
    for index, response in enumerate(responses):
        answers.append(
            Answer(
                response=response, question=questions["aware"], value=yes if index < aware else no
            )
        )
        if index >= aware:
            continue
        answers.append(
            Answer(
                response=response,
                question=questions["interested"],
                value=yes if index < interested else no,
            )
        )
        answers.append(
            Answer(
                response=response, question=questions["tried"], value=yes if index < tried else no
            )
        )
        if index < tried:
            answers.append(
                Answer(
                    response=response, question=questions["rating"], value=5 if index < good else 2
                )
            )
    Answer.objects.bulk_create(answers)


def goal(manager, initiative, metric, baseline, target, deadline, starts_on=TODAY - 30 * DAY):
    return initiative_services.goal_set(
        actor=manager,
        initiative_id=initiative.pk,
        metric=metric,
        baseline=baseline,
        target=target,
        starts_on=starts_on,
        deadline=deadline,
        owner_id=manager.pk,
    )


@pytest.fixture
def app_launch(service_manager, shop):
    """A standard initiative of this period: a first funnel survey (10 respondents, half aware),
    then the hand-computed one (400 / 240 / 120 / 90 / 63); goals met, on track, at risk, missed."""
    initiative = make_initiative(
        service_manager, starts_on=TODAY - 10 * DAY, ends_on=TODAY + 60 * DAY
    )
    first = funnel_wave(service_manager, initiative, "第一轮")
    respond(first, surveyed=10, aware=5, interested=2, tried=2, good=1)
    second = funnel_wave(service_manager, initiative, "第二轮")
    respond(second, surveyed=400, aware=240, interested=120, tried=90, good=63)
    soon = TODAY + 30 * DAY
    goal(service_manager, initiative, "awareness", 0.5, 0.55, soon)  # 60 % ≥ 55 %: met
    goal(service_manager, initiative, "interest", 0.1, 0.55, TODAY + 300 * DAY)  # on track
    goal(service_manager, initiative, "experience", 0.3, 0.9, soon)  # 37.5 %, half-way: at risk
    goal(service_manager, initiative, "perception", 0.5, 0.9, TODAY - DAY)  # past: missed
    return initiative


def tile_value(html: str, key: str) -> str:
    return re.search(rf'data-tile="{key}".*?data-value>([^<]*)<', html, re.S).group(1).strip()


def tile_link(html: str, key: str) -> str:
    link = re.search(rf'<a class="kpi" href="([^"]+)" data-tile="{key}"', html).group(1)
    return link.replace("&amp;", "&")


def stage_share(html: str, initiative_pk: int, stage: str) -> str:
    card = html.split(f'data-initiative="{initiative_pk}"')[1].split("</article>")[0]
    return re.search(rf'data-stage="{stage}".*?data-share>([^<]*)<', card, re.S).group(1)


# --- Initiatives ---------------------------------------------------------------------------------


def test_the_latest_funnel_survey_gives_each_stage_on_its_base(
    client_for, service_manager, app_launch
):
    board = initiatives.initiatives_dashboard(user=service_manager, filters=PERIOD)
    (row,) = board.rows
    assert row.surveyed == 400 and row.wave.name == "第二轮"
    shares = {s.stage: s.share for s in row.stages}
    assert shares == {
        "awareness": pytest.approx(0.6),  # 240 / 400
        "interest": pytest.approx(0.5),  # 120 / 240
        "experience": pytest.approx(0.375),  # 90 / 240
        "perception": pytest.approx(0.7),  # 63 / 90
    }

    html = client_for(service_manager).get(PAGE).content.decode()
    assert [stage_share(html, app_launch.pk, s) for s in initiatives.STAGES] == [
        "60.0",
        "50.0",
        "37.5",
        "70.0",
    ]
    assert f'href="/console/quality/initiatives/{app_launch.pk}/"' in html  # the drill-down
    data = json.loads(re.search(r'id="initiatives-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["initiatives"][0]["shares"] == [60.0, 50.0, 37.5, 70.0]


def test_each_stage_changes_against_the_funnel_survey_before(service_manager, app_launch):
    (row,) = initiatives.initiatives_dashboard(user=service_manager, filters=PERIOD).rows
    assert row.previous_wave.name == "第一轮"
    changes = {s.stage: s.change for s in row.stages}
    # before: aware 5 / 10, interested 2 / 5, tried 2 / 5, rated well 1 / 2
    assert changes == {
        "awareness": pytest.approx(0.1),
        "interest": pytest.approx(0.1),
        "experience": pytest.approx(-0.025),
        "perception": pytest.approx(0.2),
    }


def test_goal_statuses_are_counted_against_the_initiatives_of_the_period_before(
    client_for, service_manager, app_launch
):
    # Ran only in the period before (60 to 31 days ago): a goal missed there.
    earlier = make_initiative(
        service_manager,
        code="old-campaign",
        name="春节送货保障",
        type="basic",
        starts_on=TODAY - 55 * DAY,
        ends_on=TODAY - 35 * DAY,
    )
    goal(service_manager, earlier, "awareness", 0.2, 0.8, TODAY - 35 * DAY, TODAY - 55 * DAY)

    board = initiatives.initiatives_dashboard(user=service_manager, filters=PERIOD)
    assert [row.initiative for row in board.rows] == [app_launch]
    assert board.goals == {"met": 1, "on_track": 1, "at_risk": 1, "missed": 1}
    assert (board.previous_running, board.previous_goals["missed"]) == (1, 1)

    html = client_for(service_manager).get(PAGE).content.decode()
    assert tile_value(html, "running") == "1"
    assert [tile_value(html, f"goals_{s}") for s in ("met", "at_risk", "missed")] == ["1", "1", "1"]
    card = html.split(f'data-initiative="{app_launch.pk}"')[1].split("</article>")[0]
    assert sorted(re.findall(r'data-goal-status="(\w+)"', card)) == [
        "at_risk",
        "met",
        "missed",
        "on_track",
    ]


def test_initiatives_outside_the_period_are_left_out(service_manager, app_launch):
    later = DashboardFilters(since=TODAY + 100 * DAY, until=TODAY + 120 * DAY)
    assert initiatives.initiatives_dashboard(user=service_manager, filters=later).rows == []


def test_the_event_funnel_is_shown_apart_from_the_survey(client_for, service_manager):
    ShopFactory.create_batch(5)
    item = ServiceItem.objects.create(code="display-coaching", name="陈列指导")
    initiative = make_initiative(service_manager, service_item_id=item.pk, type="extended")

    (row,) = initiatives.initiatives_dashboard(user=service_manager, filters=PERIOD).rows
    assert row.stages == [] and row.events["targeted"] == 5

    html = client_for(service_manager).get(PAGE).content.decode()
    card = html.split(f'data-initiative="{initiative.pk}"')[1].split("</article>")[0]
    assert "data-no-funnel" in card and "data-event-funnel" in card
    assert re.findall(r'data-event-stage="(\w+)"', card) == ["interest", "experience", "perception"]
    assert 'id="initiatives-data"' not in html  # no survey figures: no chart


# --- Class moves --------------------------------------------------------------------------------


def noon(day: int, month: int = 11, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def move(shop, before: str, after: str, at: datetime.datetime) -> SegmentChange:
    return SegmentChange.objects.create(
        shop=shop,
        from_segment=before,
        to_segment=after,
        rule_set=SegmentRuleSet.objects.order_by("pk").first(),
        changed_at=at,
    )


@pytest.fixture
def moves(shop, other_shop, account_manager):
    """This week: two up (one elsewhere), one down, one new; the week before: one up, two new."""
    shop.account_manager = account_manager
    shop.save(update_fields=["account_manager"])
    this_week = [
        move(shop, "ordinary", "core", noon(18, hour=0)),  # the first minute of the week
        move(other_shop, "ordinary", "core", noon(20)),
        move(shop, "key", "potential", noon(22)),
        move(shop, "", "key", noon(24, hour=23, minute=59)),  # the last minute
    ]
    before = [
        move(shop, "potential", "key", noon(12)),
        move(shop, "", "ordinary", noon(13)),
        move(other_shop, "", "ordinary", noon(17, hour=23, minute=59)),
    ]
    move(shop, "core", "ordinary", noon(25, hour=0))  # the day after: in neither
    return {"this_week": this_week, "before": before}


def test_class_moves_are_counted_from_to_and_against_the_week_before(service_manager, moves):
    board = initiatives.initiatives_dashboard(user=service_manager, filters=WEEK)
    assert board.moves.counts == {
        ("ordinary", "core"): 2,
        ("key", "potential"): 1,
        ("", "key"): 1,
    }
    assert (board.moves.up, board.moves.down, board.moves.new) == (2, 1, 1)
    assert (board.previous_moves.up, board.previous_moves.down, board.previous_moves.new) == (
        1,
        0,
        2,
    )


def test_the_matrix_and_tiles_open_the_moves_behind_them(client_for, service_manager, moves):
    client = client_for(service_manager)
    html = client.get(PAGE, WEEK_QUERY).content.decode()
    assert [tile_value(html, f"moves_{d}") for d in ("up", "down", "new")] == ["2", "1", "1"]
    assert re.search(r'data-cell="ordinary-core"><a href="[^"]+">2</a>', html)
    assert re.search(r"data-matrix-total>4<", html)

    cell = re.search(r'data-cell="new-key"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(cell).query)["direction"] == ["new"]
    listed = client.get(cell).content.decode()
    assert re.findall(r'data-move="(\d+)"', listed) == [str(moves["this_week"][3].pk)]

    up = client.get(tile_link(html, "moves_up")).content.decode()
    assert re.findall(r'data-move="(\d+)"', up) == [
        str(moves["this_week"][1].pk),  # newest first
        str(moves["this_week"][0].pk),
    ]


def test_the_list_filters_by_from_to_and_direction(client_for, service_manager, moves, shop):
    client = client_for(service_manager)

    def listed(**params) -> list[int]:
        html = client.get(MOVES, WEEK_QUERY | params).content.decode()
        return [int(pk) for pk in re.findall(r'data-move="(\d+)"', html)]

    week = moves["this_week"]
    assert listed(**{"from": "ordinary", "to": "core"}) == [week[1].pk, week[0].pk]
    assert listed(direction="down") == [week[2].pk]
    assert listed(direction="new") == [week[3].pk]
    assert listed(to="key") == [week[3].pk]
    assert listed() == [m.pk for m in reversed(week)]
    html = client.get(MOVES, WEEK_QUERY | {"direction": "down"}).content.decode()
    assert shop.name in html and shop.licence_no in html and str(shop.grid.name) in html


@pytest.mark.parametrize(
    "params", [{"from": "gold"}, {"to": "vip"}, {"direction": "sideways"}, {"from": "CORE"}]
)
def test_an_unknown_class_or_direction_is_not_found(client_for, service_manager, params):
    assert client_for(service_manager).get(MOVES, params).status_code == 404


def test_the_list_shows_fifty_a_page(client_for, service_manager, shop):
    rule_set = SegmentRuleSet.objects.order_by("pk").first()
    SegmentChange.objects.bulk_create(
        SegmentChange(
            shop=shop,
            from_segment="ordinary",
            to_segment="potential",
            rule_set=rule_set,
            changed_at=noon(20) + datetime.timedelta(minutes=n),
        )
        for n in range(51)
    )
    client = client_for(service_manager)
    first = client.get(MOVES, WEEK_QUERY).content.decode()
    second = client.get(MOVES, WEEK_QUERY | {"page": 2}).content.decode()
    assert len(re.findall(r'data-move="', first)) == 50
    assert len(re.findall(r'data-move="', second)) == 1


def test_district_and_staff_filters_narrow_the_moves(
    client_for, service_manager, account_manager, moves, other_shop
):
    client = client_for(service_manager)
    district = client.get(PAGE, WEEK_QUERY | {"district": other_shop.grid.district_id})
    html = district.content.decode()
    assert [tile_value(html, f"moves_{d}") for d in ("up", "down", "new")] == ["1", "0", "0"]

    staff = client.get(PAGE, WEEK_QUERY | {"staff": account_manager.pk}).content.decode()
    assert [tile_value(staff, f"moves_{d}") for d in ("up", "down", "new")] == ["1", "1", "1"]
    listed = client.get(MOVES, WEEK_QUERY | {"staff": account_manager.pk}).content.decode()
    assert len(re.findall(r'data-move="', listed)) == 3

    by_class = initiatives.initiatives_dashboard(
        user=service_manager,
        filters=DashboardFilters(since=WEEK.since, until=WEEK.until, segment="core"),
    )
    assert by_class.moves.counts == {("ordinary", "core"): 2}  # the class moved to


def test_an_account_manager_sees_the_moves_of_their_grids_only(
    client_for, account_manager, moves, other_shop
):
    client = client_for(account_manager)
    html = client.get(PAGE, WEEK_QUERY).content.decode()
    assert [tile_value(html, f"moves_{d}") for d in ("up", "down", "new")] == ["1", "1", "1"]
    listed = client.get(MOVES, WEEK_QUERY).content.decode()
    assert str(moves["this_week"][1].pk) not in re.findall(r'data-move="(\d+)"', listed)
    assert other_shop.name not in listed


def test_the_moves_are_counted_in_one_query_and_listed_in_one(
    service_manager, moves, django_assert_num_queries
):
    with django_assert_num_queries(1):
        initiatives.class_moves_of(user=service_manager, filters=WEEK)
    with django_assert_num_queries(1):
        rows = list(initiatives.class_move_list(user=service_manager, filters=WEEK))
        assert [str(m.shop.grid) for m in rows]  # grid, district, manager: joined, not fetched


def test_the_list_selector_refuses_unknown_values(service_manager):
    for bad in ({"from_segment": "gold"}, {"to_segment": "x"}, {"direction": "left"}):
        with pytest.raises(ValueError):
            initiatives.class_move_list(user=service_manager, filters=WEEK, **bad)


# --- Pages ---------------------------------------------------------------------------------------


def test_shop_owners_are_refused_and_visitors_sent_to_log_in(client_for, client, shop_owner):
    for url in (PAGE, MOVES, f"{PAGE}?format=xlsx", f"{MOVES}?direction=up"):
        assert client_for(shop_owner).get(url).status_code == 403
        assert client.get(url).status_code == 302


def test_the_page_renders_with_an_empty_database(client_for, service_manager):
    response = client_for(service_manager).get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-no-initiatives" in html
    assert tile_value(html, "running") == "0" and tile_value(html, "moves_up") == "0"
    assert re.search(r"data-matrix-total>0<", html)
    assert "data-live" in html and 'aria-current="page"' in html  # stamp and tab bar
    assert 'data-filter-note="initiatives"' in html and 'data-filter-note="moves"' in html
    assert client_for(service_manager).get(MOVES).status_code == 200


def test_the_download_has_the_initiatives_the_goals_and_the_matrix(
    client_for, service_manager, app_launch, moves
):
    response = client_for(service_manager).get(PAGE, {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    initiatives_sheet, goals_sheet, matrix_sheet = (book.worksheets[i] for i in range(3))
    header, row = list(initiatives_sheet.iter_rows(values_only=True))
    assert row[1] == app_launch.name and row[6] == 400
    assert list(row[7:11]) == [60.0, 50.0, 37.5, 70.0]
    assert goals_sheet.max_row == 5  # a header and four goals
    # The default period (the last 30 days) holds no class move of November 2025.
    matrix = list(matrix_sheet.iter_rows(values_only=True))
    assert len(matrix) == 1 + 5 + 1 and matrix[-1][-1] == 0

    week = client_for(service_manager).get(PAGE, WEEK_QUERY | {"format": "xlsx"})
    matrix = list(openpyxl.load_workbook(io.BytesIO(week.content)).worksheets[2].values)
    ordinary = matrix[5]  # rows: not classed before, core, key, potential, ordinary
    assert ordinary[1:6] == (2, 0, 0, 0, 2) and matrix[-1][-1] == 4
