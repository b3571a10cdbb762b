"""The chat's two newer engine decisions: a question outside our service is declined with the
转人工 offer and nothing else, and two near-twin entries are asked back (您问的是「A」还是「B」？)
with the shop's pick answered and remembered for curation.

The engine is replaced by crafted answers (``knowledge.index.search``, the one seam the chat
searches through), so these tests hold whatever the engine's model decides for a wording.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from engines.qa import Answer, Hit
from knowledge import chat_selectors, curation, index, placeholders
from knowledge.models import CurationSnapshot, Entry, Turn
from knowledge.services import chat
from knowledge.services.curation import curation_snapshot_run
from servicedesk.models import ServiceRequest

NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Shanghai
WEATHER = "明天下雨吗"
ORDER_OR_DELIVERY_DAY = "哪天的货"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _answer(decision: str, entries: list[Entry], *, reason: str = "", confidence=0.5) -> Answer:
    """What the engine returns; ``reason`` is set after construction while the engine's Answer
    may not have the field yet."""
    hits = [
        Hit(entry_id=str(e.pk), score=1.0 - n / 10, matched=e.question)
        for n, e in enumerate(entries)
    ]
    answer = Answer(hits=hits, confidence=confidence, decision=decision)
    answer.reason = reason
    return answer


@pytest.fixture
def engine_says(monkeypatch):
    """Make the next searches return ``answer``, whatever the question."""

    def say(answer: Answer) -> None:
        monkeypatch.setattr(index, "search", lambda question, k=5: answer)

    return say


@pytest.fixture
def twins():
    """Ordering day and delivery day, with short first tags: the labels are the tags."""
    pair = [Entry.objects.get(code="kb-ordering-001"), Entry.objects.get(code="kb-delivery-001")]
    for entry, tag in zip(pair, ("订货日", "配送日"), strict=True):
        entry.tags = [tag, "订货周期"]
        entry.save(update_fields=["tags"])
    return pair


@pytest.fixture
def off_topic(engine_says):
    # The nearest entries of a weather question: a gateless engine would offer these.
    nearest = list(Entry.objects.filter(category="delivery").order_by("code")[:3])
    engine_says(_answer("handover", nearest, reason="off_topic", confidence=0.01))
    return nearest


# --- off-topic ---------------------------------------------------------------------------------


def test_an_off_topic_question_is_declined_with_no_suggestions_and_not_curated(
    shop_owner, off_topic
):
    turn = chat.ask(actor=shop_owner, question=WEATHER)

    turn.refresh_from_db()
    assert (turn.decision, turn.reason) == (Turn.Decision.HANDOVER, Turn.Reason.OFF_TOPIC)
    assert turn.suggestions == [] and turn.entry is None and turn.category == ""
    assert "转人工" in turn.reply
    assert turn.curation == Turn.Curation.NONE


def test_the_chat_page_offers_a_person_at_once_for_an_off_topic_question(
    client_for, shop_owner, off_topic
):
    response = client_for(shop_owner).post(
        reverse("portal:ask"), {"question": WEATHER}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    bot = html[html.index('class="bubble bot') : html.index("</li>")]
    assert "bot-off_topic" in bot
    assert re.search(r'class="button primary" data-open-handover', bot)
    assert "ask_pick" not in bot and 'class="chip"' not in bot
    for entry in off_topic:
        assert entry.question not in bot


def test_handing_over_after_an_off_topic_question_files_it_without_opening_curation(
    shop_owner, off_topic
):
    turn = chat.ask(actor=shop_owner, question=WEATHER)

    request = chat.hand_over(actor=shop_owner, conversation_id=turn.conversation_id)

    turn.refresh_from_db()
    assert ServiceRequest.objects.get() == request and WEATHER in request.description
    assert turn.curation == Turn.Curation.NONE


def test_an_ordinary_handover_is_still_opened_for_curation(shop_owner, engine_says):
    engine_says(_answer("handover", [], confidence=0.01))

    turn = chat.ask(actor=shop_owner, question="qwertyuiop")

    assert (turn.decision, turn.reason, turn.curation) == ("handover", "", "open")


def test_an_unknown_reason_from_the_engine_is_not_stored(shop_owner, engine_says):
    engine_says(_answer("handover", [], reason="something_new", confidence=0.01))

    turn = chat.ask(actor=shop_owner, question="qwertyuiop")

    turn.refresh_from_db()
    assert (turn.reason, turn.curation) == ("", "open")


def test_curation_leaves_out_off_topic_questions_even_when_open(
    shop, shop_owner, service_manager, engine_says, twins
):
    engine_says(_answer("suggest", twins))
    suggested = chat.ask(actor=shop_owner, question="订货那天送不送")
    engine_says(_answer("handover", [], reason="off_topic", confidence=0.01))
    weather = chat.ask(actor=shop_owner, question=WEATHER)
    # A turn opened some other way (an older chat, an admin): still never a phrasing to add.
    Turn.objects.filter(pk=weather.pk).update(curation=Turn.Curation.OPEN)

    assert curation_snapshot_run(CurationSnapshot.objects.create().pk)
    queue = curation.curation_queue(user=service_manager)
    texts = [text for c in queue.clusters for text, _n in c.questions]
    assert texts == [suggested.question]
    assert queue.open_turns == 1
    snapshot = curation.snapshot_latest()
    assert [g["texts"] for g in snapshot.groups["groups"]] == [[suggested.question]]
    picked = curation.curation_cluster(user=service_manager, turn_ids=[weather.pk, suggested.pk])
    assert picked.turn_ids == [suggested.pk]


# --- clarify -----------------------------------------------------------------------------------


def test_near_twins_are_asked_back_with_their_topic_labels(shop_owner, engine_says, twins):
    engine_says(_answer("clarify", [*twins, Entry.objects.get(code="kb-ordering-002")]))

    turn = chat.ask(actor=shop_owner, question=ORDER_OR_DELIVERY_DAY)

    turn.refresh_from_db()
    assert turn.decision == Turn.Decision.CLARIFY
    assert turn.suggestions == [twins[0].pk, twins[1].pk]  # the two candidates only
    assert turn.category == twins[0].category and turn.entry is None
    assert turn.curation == Turn.Curation.OPEN
    with translation.override("zh-hans"):
        assert turn.reply == _("Do you mean “%(first)s” or “%(second)s”?") % {
            "first": "订货日",
            "second": "配送日",
        }


def test_twins_whose_tags_do_not_tell_them_apart_are_named_by_their_questions(db):
    when = Entry(question="许可证什么时候办延续？", tags=["延续", "续期"])
    what = Entry(question="许可证延续需要准备什么？", tags=["延续", "材料"])
    long_tag = Entry(question="店铺搬家了许可证怎么办？", tags=["经营地址变更与许可证换发"])

    assert chat_selectors.topic_labels([when, what]) == [when.question, what.question]
    assert chat_selectors.topic_labels([when, long_tag]) == ["延续", long_tag.question]


def test_the_chat_page_shows_both_labels_and_a_way_out(client_for, shop_owner, engine_says, twins):
    engine_says(_answer("clarify", twins))

    response = client_for(shop_owner).post(
        reverse("portal:ask"), {"question": ORDER_OR_DELIVERY_DAY}, HTTP_HX_REQUEST="true"
    )

    turn = Turn.objects.get()
    html = response.content.decode()
    bot = html[html.index('class="bubble bot') : html.index("</li>")]
    assert "bot-clarify" in bot
    buttons = re.findall(r'<button type="submit" class="chip"[^>]*>([^<]+)</button>', bot)
    assert buttons == ["订货日", "配送日"]
    for entry in twins:
        assert reverse("portal:ask_pick", args=[turn.pk, entry.pk]) in bot
    assert "data-open-handover" in bot  # 都不是 / 转人工


def test_picking_one_twin_answers_it_and_curation_learns_the_choice(shop_owner, engine_says, twins):
    engine_says(_answer("clarify", twins))
    asked = chat.ask(actor=shop_owner, question=ORDER_OR_DELIVERY_DAY)

    answered = chat.pick_suggestion(actor=shop_owner, turn_id=asked.pk, entry_id=twins[1].pk)

    assert (answered.decision, answered.entry) == (Turn.Decision.ANSWER, twins[1])
    assert answered.reply == placeholders.render_text(twins[1].answer).text
    assert answered.conversation_id == asked.conversation_id
    asked.refresh_from_db()
    assert asked.picked_entry == twins[1]


def test_a_clarify_turn_counts_like_suggestions_in_curation(
    shop_owner, service_manager, engine_says, twins
):
    engine_says(_answer("clarify", twins))
    chat.ask(actor=shop_owner, question=ORDER_OR_DELIVERY_DAY)

    assert curation_snapshot_run(CurationSnapshot.objects.create().pk)
    queue = curation.curation_queue(user=service_manager, reason="suggest")
    assert queue.reasons["suggest"] == 1 and queue.open_turns == 1
    assert [c.reasons for c in queue.clusters] == [{"handover": 0, "suggest": 1, "not_helpful": 0}]
    today = NOW.date()
    stats = curation.deflection_stats(user=service_manager, since=today, until=today)
    assert stats["totals"]["suggested"] == 1 and stats["totals"]["handover_turns"] == 0


def test_a_twin_gone_since_the_index_was_built_leaves_a_plain_suggestion(
    shop_owner, engine_says, twins
):
    twins[1].status = Entry.Status.ARCHIVED
    twins[1].save(update_fields=["status"])
    engine_says(_answer("clarify", twins))

    turn = chat.ask(actor=shop_owner, question=ORDER_OR_DELIVERY_DAY)

    assert (turn.decision, turn.suggestions) == (Turn.Decision.SUGGEST, [twins[0].pk])


# --- API and console ---------------------------------------------------------------------------


def test_api_reports_decision_reason_and_labels(client_for, shop_owner, engine_says, twins):
    client = client_for(shop_owner)
    engine_says(_answer("clarify", twins))
    clarify = client.post(
        "/api/knowledge/ask", {"question": ORDER_OR_DELIVERY_DAY}, content_type="application/json"
    ).json()
    engine_says(_answer("handover", twins, reason="off_topic", confidence=0.01))
    weather = client.post(
        "/api/knowledge/ask", {"question": WEATHER}, content_type="application/json"
    ).json()

    assert (clarify["decision"], clarify["reason"]) == ("clarify", "")
    assert [s["id"] for s in clarify["suggestions"]] == [e.pk for e in twins]
    assert clarify["labels"] == ["订货日", "配送日"]
    assert (weather["decision"], weather["reason"]) == ("handover", "off_topic")
    assert weather["suggestions"] == [] and weather["labels"] == []
    picked = client.post(
        f"/api/knowledge/turns/{clarify['id']}/pick",
        {"entry_id": twins[0].pk},
        content_type="application/json",
    ).json()
    assert (picked["decision"], picked["entry"]["id"]) == ("answer", twins[0].pk)


@pytest.mark.parametrize(
    ("decision", "reason", "explanation"),
    [
        (
            "clarify",
            "",
            "The first two entries are near-twins: the shop is asked which of the two it means, "
            "with a way out to a person.",
        ),
        (
            "handover",
            "off_topic",
            "Not about our service: the shop is told this is outside what the Q&A answers and "
            "is offered a person at once, with no suggestions.",
        ),
        ("handover", "", "The shop is offered a person to talk to."),
    ],
)
def test_the_console_try_box_explains_the_decision(
    client_for, service_manager, engine_says, twins, decision, reason, explanation
):
    engine_says(_answer(decision, twins, reason=reason))

    response = client_for(service_manager).get(
        reverse("console:knowledge_try"), {"q": WEATHER}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert f'data-decision="{decision}"' in html
    with translation.override("zh-hans"):
        assert _(explanation) in html
        assert str(Turn.Decision(decision).label) in html
