"""The service-initiative console pages: the list by type, one initiative's report, and the
managers' forms (new initiative, type change, goal, funnel survey).

Managers read and write; account managers read without forms; shop owners are refused. Every
refused form answers 422 and writes nothing.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from customers.models import ServiceItem
from customers.tests.factories import ShopFactory
from quality.models import Goal, Initiative, InitiativeTypeChange, Wave
from quality.services import initiatives
from quality.tests.test_console_pages import json_blob, local_input
from quality.tests.test_initiatives import answer, funnel_wave, make_initiative
from quality.tests.test_reports import shops_with_owners

LIST = "/console/quality/initiatives/"
NEW = "/console/quality/initiatives/new/"
TODAY = date.today()


def page(initiative: Initiative, action: str = "") -> str:
    return f"/console/quality/initiatives/{initiative.pk}/{action}"


def card(html: str, initiative: Initiative) -> str:
    match = re.search(
        rf'<article [^>]*data-initiative="{initiative.pk}">(.*?)</article>', html, re.S
    )
    assert match, f"no card for initiative {initiative.pk}"
    return match.group(1)


def row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr [^>]*{attribute}="{value}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


def text(fragment: str) -> str:
    """The fragment's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def goal(manager, initiative, metric, baseline, target, days_left=30) -> Goal:
    return initiatives.goal_set(
        actor=manager,
        initiative_id=initiative.pk,
        metric=metric,
        baseline=baseline,
        target=target,
        starts_on=TODAY - timedelta(days=30),
        deadline=TODAY + timedelta(days=days_left),
        owner_id=manager.pk,
    )


@pytest.fixture
def surveyed(service_manager):
    """An initiative whose one funnel survey ten shops answered: 6 aware, 3 interested, 2 tried,
    1 rated well (awareness 60 %, interest 50 %, experience 33.3 %, perception 50 %)."""
    shops = shops_with_owners(10)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    answer(wave, shops[0], aware=True, interested=True, tried=True, rating=5)
    answer(wave, shops[1], aware=True, interested=True, tried=True, rating=2)
    answer(wave, shops[2], aware=True, interested=True)
    for shop in shops[3:6]:
        answer(wave, shop, aware=True)
    for shop in shops[6:]:
        answer(wave, shop)
    return initiative


def initiative_form(manager, **changes) -> dict:
    data = {
        "code": "festival-care",
        "name": "节日问候与经营提醒",
        "type": "emotional",
        "description": "春节、中秋前的问候和备货提醒",
        "channels": ["wechat", "sms"],
        "service_item_id": "",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + timedelta(days=90)).isoformat(),
        "owner_id": str(manager.pk),
        "segments": ["core", "key"],
    }
    return data | changes


# --- List --------------------------------------------------------------------------------------


def test_the_list_groups_by_the_four_types_with_funnel_shares_and_goal_statuses(
    client_for, service_manager, surveyed
):
    goal(service_manager, surveyed, "awareness", 0.4, 0.55)  # 60 % reached: met
    goal(service_manager, surveyed, "experience", 0.1, 0.9)  # 33 %, halfway through: at risk
    basic = make_initiative(service_manager, code="on-time", name="按时足量送达", type="basic")

    response = client_for(service_manager).get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.status_code == 200
    sections = re.findall(r'data-type-section="(\w+)"', html)
    assert sections == ["basic", "standard", "extended", "emotional"]
    for name in ("Basic", "Standard", "Extended", "Emotional"):
        assert f">{name}</span>" in html
    assert "Must never fail: watched through failures and complaints." in html
    assert "High-value shops: the most value for the least cost." in html
    standard = card(html, surveyed)
    shares = re.findall(
        r'data-stage="(\w+)"><span class="stage-name">[^<]*</span>'
        r'<span class="stage-share">(\d+)<small>',
        standard,
    )
    assert shares == [
        ("awareness", "60"),
        ("interest", "50"),
        ("experience", "33"),
        ("perception", "50"),
    ]
    statuses = re.findall(r'data-goal-status="(\w+)"[^>]*>([^<]+)<', standard)
    assert statuses == [("met", "Awareness · Met"), ("at_risk", "Experience · At risk")]
    assert "No funnel survey yet." in card(html, basic)
    assert "data-new-initiative" in html and "data-initiative-form" in html


def test_a_survey_with_fewer_than_five_respondents_shows_no_figures_in_the_list(
    client_for, service_manager
):
    shops = shops_with_owners(4)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    for shop in shops:
        answer(wave, shop, aware=True)
    html = client_for(service_manager).get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    listed = card(html, initiative)
    assert "Fewer than 5 respondents so far: no figures." in listed
    assert "data-mini-funnel" not in listed


# --- One initiative ----------------------------------------------------------------------------


def test_the_page_shows_the_latest_funnel_with_its_bases_and_intervals(
    client_for, service_manager, surveyed
):
    response = client_for(service_manager).get(page(surveyed), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Standard" in re.search(r'data-type="standard">([^<]+)<', html).group(1)
    expected = {
        "awareness": ("60.0", "6 / 10", "aware / surveyed"),
        "interest": ("50.0", "3 / 6", "interested / aware"),
        "experience": ("33.3", "2 / 6", "tried / aware"),
        "perception": ("50.0", "1 / 2", "rated 4–5 / tried"),
    }
    stage_table = re.search(r"data-stage-table>(.*?)</table>", html, re.S).group(1)
    for stage, (share, counts, base) in expected.items():
        cells = row(stage_table, "data-stage", stage)
        assert f"<strong data-share>{share}</strong>" in cells
        assert counts in cells and base in cells

    data = json_blob(html, "initiative-data")
    assert [s["share"] for s in data["stages"]] == [60.0, 50.0, 33.3, 50.0]
    assert [s["base_label"] for s in data["stages"]][0] == "aware / surveyed"
    awareness = data["stages"][0]
    assert awareness["low"] < 60 < awareness["high"] and awareness["base"] == 10
    assert "js/initiatives.js" in html and "echarts.min.js" in html

    wave = Wave.objects.get(initiative=surveyed)
    listed = text(row(html, "data-funnel-wave", str(wave.pk)))
    assert "10 60.0 50.0 33.3 50.0" in listed
    assert "data-no-comparison" in html  # one survey: nothing to compare with
    assert "data-no-events" in html  # no service item: no event funnel


def test_the_event_funnel_names_its_sources_and_stays_out_of_the_survey_chart(
    client_for, service_manager
):
    shops = shops_with_owners(6)
    item = ServiceItem.objects.create(code="display-coaching", name="陈列指导")
    initiative = make_initiative(service_manager, service_item_id=item.pk)
    wave = funnel_wave(service_manager, initiative)
    for shop in shops:
        answer(wave, shop, aware=True, interested=True)

    html = client_for(service_manager).get(page(initiative), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()

    events = re.search(r"data-event-funnel>(.*?)</section>", html, re.S).group(1)
    assert "No message of a campaign for this initiative has been read yet" in text(
        row(events, "data-event-stage", "awareness")
    )
    interest = row(events, "data-event-stage", "interest")
    assert 'data-source="bookings">Bookings<' in interest and "0 / 6" in interest
    assert 'data-source="visits">Completed visits<' in events
    assert 'data-source="ratings">Ratings of those visits<' in events
    # The chart is the survey's alone: its awareness is 6 of 6 answers, no booking in it.
    data = json_blob(html, "initiative-data")
    assert [(s["count"], s["base"]) for s in data["stages"]][:2] == [(6, 6), (6, 6)]
    assert "bookings" not in str(data).lower()


def test_a_survey_with_fewer_than_five_respondents_shows_no_figures(client_for, service_manager):
    shops = shops_with_owners(3)
    initiative = make_initiative(service_manager)
    wave = funnel_wave(service_manager, initiative)
    for shop in shops:
        answer(wave, shop, aware=True)
    html = client_for(service_manager).get(page(initiative), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert "data-funnel-suppressed" in html
    assert "Fewer than 5 respondents: not shown" in text(
        row(html, "data-funnel-wave", str(wave.pk))
    )
    assert json_blob(html, "initiative-data") is None and "initiatives.js" not in html
    assert "data-stage-table" not in html


def test_before_and_after_marks_significant_changes_and_the_paired_mcnemar_test(
    client_for, service_manager
):
    shops = shops_with_owners(12)
    initiative = make_initiative(service_manager)
    first = funnel_wave(service_manager, initiative, "第一轮")
    second = funnel_wave(service_manager, initiative, "第二轮")
    for index, shop in enumerate(shops):
        answer(first, shop, aware=index < 3)
        answer(second, shop, aware=index < 9)

    html = client_for(service_manager).get(page(initiative), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()

    awareness = row(html, "data-change", "awareness")
    assert "25.0" in awareness and "75.0" in awareness and "+50.0" in awareness
    assert "data-significant" in awareness
    interest = row(html, "data-change", "interest")  # no one interested either time: no test
    assert "data-significant" not in interest
    paired = text(re.search(r"<p class=\"paired-line\" data-paired>(.*?)</p>", html, re.S).group(1))
    # six shops learnt of it and none forgot: exact McNemar p = 2 × 0.5⁶ = 0.031
    assert "25.0 % → 75.0 % (+50.0 points), exact McNemar test: p = 0.031" in paired


def test_goals_are_listed_with_baseline_target_current_and_status(
    client_for, service_manager, surveyed
):
    met = goal(service_manager, surveyed, "awareness", 0.4, 0.55)
    missed = goal(service_manager, surveyed, "perception", 0.2, 0.9, days_left=-1)
    html = client_for(service_manager).get(page(surveyed), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    cells = text(row(html, "data-goal", str(met.pk)))
    assert "Awareness (aware / surveyed) 40 → 55 60.0" in cells and cells.endswith("Met")
    assert 'data-goal-status="missed">Missed<' in row(html, "data-goal", str(missed.pk))


# --- New initiative ----------------------------------------------------------------------------


def test_a_manager_creates_an_initiative_and_lands_on_its_page(client_for, service_manager):
    client = client_for(service_manager)
    response = client.post(NEW, initiative_form(service_manager), HTTP_ACCEPT_LANGUAGE="en")
    initiative = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"] == page(initiative)
    assert (initiative.type, initiative.owner, initiative.channels) == (
        "emotional",
        service_manager,
        ["wechat", "sms"],
    )
    assert initiative.target == {"segments": ["core", "key"]}
    assert list(initiative.type_history.values_list("from_type", "to_type")) == [("", "emotional")]
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Initiative “节日问候与经营提醒” created." in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"ends_on": (TODAY - timedelta(days=1)).isoformat()},
            "ends_on",
            "The period ends before it starts.",
        ),
        ({"code": "有 空格"}, "code", "Use letters, digits and hyphens (at most 40)."),
        ({"type": "premium"}, "type", None),
        ({"channels": ["pigeon"]}, "channels", None),
        ({"name": ""}, "name", None),
    ],
)
def test_a_bad_initiative_is_refused_with_422_and_nothing_is_written(
    client_for, service_manager, changes, field, message
):
    data = initiative_form(service_manager, **changes)
    response = client_for(service_manager).post(NEW, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors and (message is None or errors[field] == [message])
    assert "data-form-error" in response.content.decode()
    assert not Initiative.objects.exists() and not InitiativeTypeChange.objects.exists()


def test_a_code_already_used_is_refused(client_for, service_manager):
    make_initiative(service_manager, code="festival-care")
    data = initiative_form(service_manager)
    response = client_for(service_manager).post(NEW, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.context["form"].errors["code"] == ["Another initiative already uses this code."]
    assert Initiative.objects.count() == 1


# --- Type, goals, funnel surveys ---------------------------------------------------------------


def test_changing_the_type_records_the_history_with_its_reason(client_for, service_manager):
    initiative = make_initiative(service_manager, type="extended")
    client = client_for(service_manager)
    response = client.post(
        page(initiative, "type/"), {"to_type": "standard", "reason": "同行都已提供，成为行业标配"}
    )
    assert response.status_code == 302 and response["Location"] == page(initiative)
    initiative.refresh_from_db()
    assert initiative.type == "standard"
    assert list(initiative.type_history.values_list("from_type", "to_type", "reason")) == [
        ("", "extended", ""),
        ("extended", "standard", "同行都已提供，成为行业标配"),
    ]
    html = client.get(page(initiative), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    history = re.search(r"data-type-history>(.*?)</ol>", html, re.S).group(1)
    assert text(history).count("Extended") == 2  # created as extended, then extended → standard
    assert "Extended → Standard 同行都已提供，成为行业标配" in text(history)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"to_type": "standard", "reason": ""}, "reason"),
        ({"to_type": "extended", "reason": "没有变化"}, "to_type"),  # already extended
    ],
)
def test_a_type_change_without_a_reason_or_to_the_same_type_is_refused(
    client_for, service_manager, data, field
):
    initiative = make_initiative(service_manager, type="extended")
    response = client_for(service_manager).post(page(initiative, "type/"), data)
    assert response.status_code == 422 and field in response.context["type_form"].errors
    assert "data-type-panel" in response.content.decode()
    initiative.refresh_from_db()
    assert initiative.type == "extended" and initiative.type_history.count() == 1


def goal_form(manager, **changes) -> dict:
    data = {
        "metric": "awareness",
        "baseline": "45",
        "target": "80.5",
        "starts_on": TODAY.isoformat(),
        "deadline": (TODAY + timedelta(days=60)).isoformat(),
        "owner_id": str(manager.pk),
    }
    return data | changes


def test_a_goal_is_entered_in_percent_and_stored_as_fractions(client_for, service_manager):
    initiative = make_initiative(service_manager)
    response = client_for(service_manager).post(
        page(initiative, "goals/"), goal_form(service_manager)
    )
    assert response.status_code == 302 and response["Location"] == page(initiative)
    stored = Goal.objects.get()
    assert (stored.metric, stored.owner) == ("awareness", service_manager)
    assert stored.baseline == pytest.approx(0.45) and stored.target == pytest.approx(0.805)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": "45"}, "target", "The target must differ from the baseline."),
        ({"baseline": "120"}, "baseline", None),
        ({"deadline": (TODAY - timedelta(days=1)).isoformat()}, "deadline", None),
    ],
)
def test_a_goal_that_is_not_smart_is_refused_with_422(
    client_for, service_manager, changes, field, message
):
    initiative = make_initiative(service_manager)
    response = client_for(service_manager).post(
        page(initiative, "goals/"), goal_form(service_manager, **changes), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    errors = response.context["goal_form"].errors
    assert field in errors and (message is None or errors[field] == [message])
    assert not Goal.objects.exists()


def test_a_manager_starts_a_funnel_survey_of_the_target_group(client_for, service_manager):
    core = [ShopFactory(segment="core") for _ in range(2)]
    ShopFactory(segment="ordinary")
    initiative = make_initiative(service_manager, target={"segments": ["core"]})
    opens = timezone.now() + timedelta(hours=1)
    data = {
        "name": "陈列指导回访调查",
        "opens_at": local_input(opens),
        "closes_at": local_input(opens + timedelta(days=14)),
    }
    client = client_for(service_manager)
    response = client.post(page(initiative, "waves/"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == page(initiative)
    wave = Wave.objects.get()
    assert wave.initiative == initiative and wave.invited == len(core)
    assert set(wave.invitations.values_list("shop_id", flat=True)) == {s.pk for s in core}


def test_a_funnel_survey_closing_before_it_opens_is_refused(client_for, service_manager):
    ShopFactory()
    initiative = make_initiative(service_manager)
    opens = timezone.now() + timedelta(days=2)
    data = {
        "name": "回访调查",
        "opens_at": local_input(opens),
        "closes_at": local_input(opens - timedelta(days=1)),
    }
    response = client_for(service_manager).post(
        page(initiative, "waves/"), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.context["wave_form"].errors["closes_at"] == [
        "The survey must close after it opens."
    ]
    assert not Wave.objects.exists()


# --- Who may do what ---------------------------------------------------------------------------


def test_an_account_manager_reads_without_forms_and_cannot_post(
    client_for, account_manager, service_manager, surveyed
):
    client = client_for(account_manager)
    listed = client.get(LIST).content.decode()
    shown = client.get(page(surveyed)).content.decode()
    assert f'data-initiative="{surveyed.pk}"' in listed and "data-type-history" in shown
    for html in (listed, shown):
        assert 'action="/console/quality/initiatives/' not in html
        for marker in (
            "data-initiative-form",
            "data-type-form",
            "data-goal-form",
            "data-wave-form",
            "data-new-initiative",
        ):
            assert marker not in html

    posts = [
        (NEW, initiative_form(account_manager, code="other")),
        (page(surveyed, "type/"), {"to_type": "basic", "reason": "试试"}),
        (page(surveyed, "goals/"), goal_form(account_manager)),
        (page(surveyed, "waves/"), {"name": "x", "opens_at": "", "closes_at": ""}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Initiative.objects.count() == 1 and not Goal.objects.exists()
    assert Wave.objects.count() == 1 and InitiativeTypeChange.objects.count() == 1


def test_shop_owners_are_refused_and_unknown_initiatives_are_not_found(
    client_for, shop_owner, service_manager
):
    initiative = make_initiative(service_manager)
    owner = client_for(shop_owner)
    assert owner.get(LIST).status_code == 403
    assert owner.get(page(initiative)).status_code == 403
    assert owner.post(NEW, initiative_form(service_manager, code="x")).status_code == 403
    assert owner.post(page(initiative, "goals/"), goal_form(service_manager)).status_code == 403
    assert Initiative.objects.count() == 1 and not Goal.objects.exists()
    missing = f"/console/quality/initiatives/{initiative.pk + 99}/"
    assert client_for(service_manager).get(missing).status_code == 404


def test_the_quality_overview_links_to_the_initiatives(client_for, service_manager):
    html = client_for(service_manager).get("/console/quality/").content.decode()
    assert f'<a href="{LIST}" data-initiatives-link>' in html
