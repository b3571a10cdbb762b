"""Deflection figures on a small hand-made history: every number checked by hand.

Two ISO weeks (2026-W45: Nov 2–8, W46: Nov 9–15), five conversations, seven questions:
W45  c1: answered + helpful (ordering), live answer · c2: suggestions (delivery), handed over
     c3 (Sunday 23:30 local): answered, not helpful (ordering)
W46  c4 (Monday 00:30 local, still Sunday in UTC): engine handed over, no request
     c5: two answers, both helpful (delivery, ordering)
One more conversation on Nov 16 lies outside the range.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge import curation
from knowledge.models import Conversation, Turn
from servicedesk.tests.factories import make_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
SINCE, UNTIL = datetime.date(2026, 11, 2), datetime.date(2026, 11, 15)
URL = "/console/knowledge/curation/deflection/"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def conversation(shop, moment, turns, handover_request=None):
    conv = Conversation.objects.create(
        shop=shop, started_at=moment, handover_request=handover_request
    )
    for n, fields in enumerate(turns):
        fields = {"decision": "answer", "kind": "faq", "category": ""} | fields
        Turn.objects.create(
            conversation=conv,
            shop=shop,
            asked_at=moment + datetime.timedelta(minutes=n),
            question=f"问题{n}",
            **fields,
        )
    return conv


@pytest.fixture
def history(shop, shop_owner):
    request = make_request(shop_owner, shop, channel="chat", at=at(4, 10, 5))
    conversation(shop, at(3), [
        {"category": "ordering", "feedback": "helpful"},
        {"kind": "live", "intent": "order_status"},
    ])  # fmt: skip
    conversation(shop, at(4), [{"decision": "suggest", "category": "delivery"}], request)
    conversation(shop, at(8, 23, 30), [{"category": "ordering", "feedback": "not_helpful"}])
    conversation(shop, at(9, 0, 30), [{"decision": "handover"}])
    conversation(shop, at(12), [
        {"category": "delivery", "feedback": "helpful"},
        {"category": "ordering", "feedback": "helpful"},
    ])  # fmt: skip
    conversation(shop, at(16), [{"decision": "handover"}])


def test_totals_over_the_range(service_manager, history):
    totals = curation.deflection_stats(user=service_manager, since=SINCE, until=UNTIL)["totals"]

    assert totals == {
        "conversations": 5,
        "handed_over": 1,
        "self_service_pct": 80.0,
        "handover_pct": 20.0,
        "questions": 7,
        "answered": 5,
        "live": 1,
        "suggested": 1,
        "handover_turns": 2,  # no answer found, or asked in a conversation passed to a person
        "rated": 4,
        "helpful": 3,
        "answered_pct": 71.4,
        "live_pct": 14.3,
        "helpful_pct": 75.0,
    }


def test_figures_per_iso_week_in_local_time(service_manager, history):
    weeks = curation.deflection_stats(user=service_manager, since=SINCE, until=UNTIL)["weeks"]

    picked = [
        {
            k: w[k]
            for k in (
                "week", "start", "conversations", "self_service_pct", "handover_pct",
                "questions", "answered_pct", "helpful_pct", "rated", "live_pct",
                "suggested", "handover_turns",
            )
        }
        for w in weeks
    ]  # fmt: skip
    assert picked == [
        {
            "week": "2026-W45", "start": "2026-11-02", "conversations": 3,
            "self_service_pct": 66.7, "handover_pct": 33.3, "questions": 4,
            "answered_pct": 75.0, "helpful_pct": 50.0, "rated": 2, "live_pct": 25.0,
            "suggested": 1, "handover_turns": 1,
        },
        {
            "week": "2026-W46", "start": "2026-11-09", "conversations": 2,
            "self_service_pct": 100.0, "handover_pct": 0.0, "questions": 3,
            "answered_pct": 66.7, "helpful_pct": 100.0, "rated": 2, "live_pct": 0.0,
            "suggested": 0, "handover_turns": 1,
        },
    ]  # fmt: skip


def test_figures_per_category(service_manager, history):
    categories = curation.deflection_stats(user=service_manager, since=SINCE, until=UNTIL)[
        "categories"
    ]

    assert [
        (
            c["category"],
            c["questions"],
            c["answered_pct"],
            c["helpful_pct"],
            c["handover_turns_pct"],
        )
        for c in categories
    ] == [
        ("ordering", 3, 100.0, 66.7, 0.0),
        ("delivery", 2, 50.0, 100.0, 50.0),
        # Without a category: two rows, not one mixing answered and handed-over questions.
        ("no_match", 1, 0.0, None, 100.0),
        ("own_records", 1, 100.0, None, None),
    ]


def test_weeks_without_conversations_are_shown_empty(service_manager, history):
    stats = curation.deflection_stats(
        user=service_manager, since=datetime.date(2026, 10, 26), until=datetime.date(2026, 11, 1)
    )

    assert [(w["week"], w["conversations"], w["answered_pct"]) for w in stats["weeks"]] == [
        ("2026-W44", 0, None)
    ]
    assert stats["totals"]["self_service_pct"] is None


@pytest.mark.parametrize("role", ["service_manager", "dispatcher"])
def test_page_shows_the_figures_and_chart_data(request, client_for, role, history):
    user = request.getfixturevalue(role)

    response = client_for(user).get(URL, {"since": "2026-11-02", "until": "2026-11-15"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="deflection-rates"' in body and 'data-chart="stacked-bar"' in body
    assert response.context["totals"]["handover_pct"] == 20.0
    assert [w["week"] for w in response.context["weeks"]] == ["2026-W45", "2026-W46"]
    rates = response.context["charts"]["rates"]
    assert rates["series"][0]["data"] == [66.7, 100.0]


def test_page_with_dates_the_wrong_way_round_shows_the_default_range(client_for, service_manager):
    response = client_for(service_manager).get(URL, {"since": "2026-11-15", "until": "2026-11-02"})

    assert response.status_code == 200
    assert "until" in response.context["form"].errors
    assert len(response.context["weeks"]) == curation.DEFLECTION_WEEKS


@pytest.mark.parametrize("role", ["account_manager", "shop_owner"])
def test_page_is_refused_without_analysis_or_knowledge_edit(request, client_for, role):
    assert client_for(request.getfixturevalue(role)).get(URL).status_code == 403


def test_page_shows_own_records_and_no_match_as_separate_rows(client_for, service_manager, history):
    response = client_for(service_manager).get(
        "/console/knowledge/curation/deflection/",
        {"since": SINCE.isoformat(), "until": UNTIL.isoformat()},
    )

    body = response.content.decode()
    own = body.split('data-category="own_records"')[1].split("</tr>")[0]
    no_match = body.split('data-category="no_match"')[1].split("</tr>")[0]
    assert "100.0" in own and "–" in own  # answered; hand-over not counted
    assert "100.0" in no_match and "0.0" in no_match  # none answered, all handed over
