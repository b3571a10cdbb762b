"""The shop's chat: answers from the knowledge base and from the shop's own records only,
suggestions, ratings, and the hand-over that opens a service request with the transcript."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from commerce.models import Delivery, Payment
from commerce.tests.factories import DeliveryFactory, OrderFactory, PaymentFactory
from engines.qa import Answer
from flexserve.errors import Forbidden, Invalid, NotFound
from knowledge import index
from knowledge.errors import NotAnswered, NotSuggested
from knowledge.models import Conversation, Entry, Turn
from knowledge.services import chat
from servicedesk.models import Channel, ServiceRequest

# A Wednesday, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _records(shop, *, number_prefix, amount, manager_name, phone):
    manager = UserFactory(
        username=f"am-{number_prefix}",
        role=Role.ACCOUNT_MANAGER,
        full_name=manager_name,
        phone=phone,
    )
    shop.account_manager = manager
    shop.save(update_fields=["account_manager"])
    orders = []
    for i, day in enumerate([dt.date(2026, 11, 17), dt.date(2026, 11, 24), dt.date(2026, 11, 25)]):
        order = OrderFactory(
            shop=shop,
            number=f"{number_prefix}{i}",
            ordered_on=day,
            total_quantity=10 + i,
            total_amount=Decimal(amount) + i,
        )
        delivered = day < dt.date(2026, 11, 25)
        DeliveryFactory(
            order=order,
            status=Delivery.Status.DELIVERED if delivered else Delivery.Status.PLANNED,
            planned_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1), dt.UTC),
            delivered_at=(
                dt.datetime.combine(day + dt.timedelta(days=1), dt.time(2), dt.UTC)
                if delivered
                else None
            ),
            driver_name=f"{manager_name}的司机",
        )
        PaymentFactory(
            order=order,
            amount=Decimal(amount) + i,
            status=Payment.Status.FAILED if i == 2 else Payment.Status.SUCCEEDED,
            paid_at=dt.datetime.combine(day, dt.time(8), dt.UTC),
            failure_reason="余额不足" if i == 2 else "",
        )
        orders.append(order)
    return orders


@pytest.fixture
def own(shop, shop_owner):
    return _records(
        shop, number_prefix="MINE", amount="1234.00", manager_name="王经理", phone="13800000001"
    )


@pytest.fixture
def theirs(other_shop, other_shop_owner):
    return _records(
        other_shop,
        number_prefix="THEIRS",
        amount="9876.00",
        manager_name="赵经理",
        phone="13900000009",
    )


LIVE_QUESTIONS = [
    "我的订单到哪了",
    "查一下我的订单",
    "昨天的订单状态",
    "我订的烟发了没",
    "订单怎么还没到",
    "这周订了多少",
    "上周订了几条",
    "本月订货量",
    "上个月订了多少钱的烟",
    "今年订了多少",
    "11月17日订了多少",
    "下次什么时候送货",
    "货什么时候到",
    "明天送货吗",
    "昨天的货送到了吗",
    "上次送货是什么时候",
    "送货员是谁",
    "上次扣款成功了吗",
    "扣款失败了吗",
    "这个月扣了多少钱",
    "我的货款扣了没",
    "付款记录",
    "上周扣款",
    "我的客户经理是谁",
    "客户经理电话",
    "怎么联系我的客户经理",
    "俺的订单到哪了",
    "我嘅訂單到哪了",
    "最近三天订了多少",
    "上周三订了多少",
]


def test_every_live_question_reads_only_the_askers_records(shop_owner, own, theirs):
    for question in LIVE_QUESTIONS:
        turn = chat.ask(actor=shop_owner, question=question)
        assert turn.kind == Turn.Kind.LIVE, question
        shown = turn.reply + " ".join(link["url"] + link["label"] for link in turn.links)
        for leak in ("THEIRS", "9876", "9877", "9878", "赵经理", "13900000009"):
            assert leak not in shown, (question, shown)
        for link in turn.links:
            if "/orders/" in link["url"] and link["url"] != reverse("portal:orders"):
                order_id = int(link["url"].rstrip("/").rsplit("/", 1)[1])
                assert order_id in {o.pk for o in own}, question


def test_live_answers_say_what_the_records_say(shop_owner, own):
    status = chat.ask(actor=shop_owner, question="我的订单到哪了")
    assert "MINE2" in status.reply  # the latest order
    assert status.links[0]["url"] == reverse("portal:order_detail", args=[own[2].pk])

    volume = chat.ask(actor=shop_owner, question="这周订了多少")  # 23–29 Nov: orders 1 and 2
    assert "2" in volume.reply and "23" in volume.reply and "1,235.00" not in volume.reply
    assert "¥2,471.00" in volume.reply  # 1235 + 1236

    last_week = chat.ask(actor=shop_owner, question="上周订了几条")  # 16–22 Nov: order 0 only
    assert "¥1,234.00" in last_week.reply and "10" in last_week.reply

    payment = chat.ask(actor=shop_owner, question="上次扣款成功了吗")
    assert "余额不足" in payment.reply  # the last payment failed

    manager = chat.ask(actor=shop_owner, question="我的客户经理是谁")
    assert "王经理" in manager.reply and "13800000001" in manager.reply

    delivery = chat.ask(actor=shop_owner, question="下次什么时候送货")
    assert "MINE2" in delivery.reply


def test_a_knowledge_question_is_answered_with_its_entry(shop_owner):
    entry = Entry.objects.get(code="kb-ordering-003")
    turn = chat.ask(actor=shop_owner, question=entry.phrasings[0])
    assert turn.kind == Turn.Kind.FAQ
    assert turn.decision == Turn.Decision.ANSWER
    assert turn.entry == entry
    assert turn.reply == entry.answer
    assert turn.curation == ""
    assert turn.engine_mode == "lexical"


def test_an_unknown_question_is_handed_over_and_opened_for_curation(shop_owner, monkeypatch):
    # In the domain but matching nothing well: a gap curation should see.
    monkeypatch.setattr(
        index, "search", lambda question, k=5: Answer(hits=[], confidence=0.01, decision="handover")
    )
    turn = chat.ask(actor=shop_owner, question="许可证的照片能换一张吗")
    assert turn.decision == Turn.Decision.HANDOVER
    assert turn.entry is None
    assert turn.reason == ""
    assert turn.curation == Turn.Curation.OPEN


def test_gibberish_is_handed_over_as_off_topic_without_curation(shop_owner):
    turn = chat.ask(actor=shop_owner, question="qwertyuiop")
    assert turn.decision == Turn.Decision.HANDOVER
    assert turn.reason == Turn.Reason.OFF_TOPIC
    assert turn.suggestions == []
    assert turn.curation == ""


def test_questions_continue_one_conversation(shop_owner):
    first = chat.ask(actor=shop_owner, question="怎么办理许可证延续")
    second = chat.ask(
        actor=shop_owner, question="要带什么材料", conversation_id=first.conversation_id
    )
    assert second.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 1


def test_bad_questions_are_refused_and_change_nothing(shop_owner):
    for question in ("", "   ", "问" * 301):
        with pytest.raises(Invalid):
            chat.ask(actor=shop_owner, question=question)
    assert not Turn.objects.exists() and not Conversation.objects.exists()


def test_staff_and_other_shops_cannot_use_a_shops_conversation(
    shop_owner, other_shop_owner, account_manager
):
    turn = chat.ask(actor=shop_owner, question="订货截止时间是几点")
    with pytest.raises(Forbidden):
        chat.ask(actor=account_manager, question="订货截止时间是几点")
    with pytest.raises(NotFound):
        chat.ask(actor=other_shop_owner, question="订货截止", conversation_id=turn.conversation_id)
    with pytest.raises(NotFound):
        chat.rate(actor=other_shop_owner, turn_id=turn.pk, helpful=False)
    with pytest.raises(NotFound):
        chat.hand_over(actor=other_shop_owner, conversation_id=turn.conversation_id)
    assert Turn.objects.count() == 1 and not ServiceRequest.objects.exists()


def _suggest_turn(shop_owner):
    index.engine()  # built
    for question in ("订货截止是几点", "许可证到期了咋办", "烟柜怎么摆", "怎么修改密码"):
        turn = chat.ask(actor=shop_owner, question=question)
        if turn.decision == Turn.Decision.SUGGEST:
            return turn
    pytest.fail("no question got suggestions")


def test_picking_a_suggestion_answers_it_and_remembers_the_choice(shop_owner):
    asked = _suggest_turn(shop_owner)
    assert len(asked.suggestions) == 3 and asked.curation == Turn.Curation.OPEN
    chosen = asked.suggestions[1]
    answered = chat.pick_suggestion(actor=shop_owner, turn_id=asked.pk, entry_id=chosen)
    assert answered.entry_id == chosen and answered.decision == Turn.Decision.ANSWER
    asked.refresh_from_db()
    assert asked.picked_entry_id == chosen
    not_offered = Entry.objects.exclude(pk__in=asked.suggestions).first()
    with pytest.raises(NotSuggested):
        chat.pick_suggestion(actor=shop_owner, turn_id=asked.pk, entry_id=not_offered.pk)


@pytest.mark.parametrize(
    "change",
    [
        {"status": Entry.Status.DRAFT},
        {"status": Entry.Status.ARCHIVED},
        {"valid_until": dt.date(2026, 11, 24)},  # expired yesterday
        {"valid_from": dt.date(2026, 11, 26)},  # not valid before tomorrow
    ],
    ids=["draft", "archived", "expired", "not-yet-valid"],
)
def test_a_suggestion_no_longer_live_is_not_answered(client_for, shop_owner, change):
    """Between the offer and the pick the entry went back to draft, was archived or ran out of
    validity: the shop gets a clear refusal, not the entry's text."""
    asked = _suggest_turn(shop_owner)
    chosen = asked.suggestions[0]
    Entry.objects.filter(pk=chosen).update(**change)
    turns = Turn.objects.count()
    for language in ("en", "zh-hans"):
        response = client_for(shop_owner).post(
            f"/api/knowledge/turns/{asked.pk}/pick",
            {"entry_id": chosen},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (409, "entry_unavailable")
        assert Entry.objects.get(pk=chosen).answer not in response.content.decode()
    asked.refresh_from_db()
    assert asked.picked_entry_id is None and Turn.objects.count() == turns


def test_rating_an_answer_and_changing_ones_mind(shop_owner):
    turn = chat.ask(actor=shop_owner, question=Entry.objects.get(code="kb-ordering-003").question)
    chat.rate(actor=shop_owner, turn_id=turn.pk, helpful=False)
    turn.refresh_from_db()
    assert turn.feedback == Turn.Feedback.NOT_HELPFUL and turn.curation == Turn.Curation.OPEN
    chat.rate(actor=shop_owner, turn_id=turn.pk, helpful=True)
    turn.refresh_from_db()
    assert turn.feedback == Turn.Feedback.HELPFUL and turn.curation == ""
    unknown = chat.ask(actor=shop_owner, question="qwertyuiop")
    with pytest.raises(NotAnswered):
        chat.rate(actor=shop_owner, turn_id=unknown.pk, helpful=True)


def test_hand_over_opens_one_request_with_the_transcript(shop_owner, shop):
    first = chat.ask(actor=shop_owner, question="qwertyuiop")
    chat.ask(actor=shop_owner, question="订货截止时间是几点", conversation_id=first.conversation_id)
    request = chat.hand_over(
        actor=shop_owner, conversation_id=first.conversation_id, note="请回电话"
    )
    assert request.shop == shop and request.channel == Channel.CHAT
    assert request.request_type.code == chat.HANDOVER_TYPE
    assert "qwertyuiop" in request.title
    for part in ("请回电话", "qwertyuiop", "订货截止时间是几点", first.reply):
        assert part in request.description
    again = chat.hand_over(actor=shop_owner, conversation_id=first.conversation_id)
    assert again.pk == request.pk and ServiceRequest.objects.count() == 1
    # The next question starts a new conversation.
    later = chat.ask(
        actor=shop_owner, question="订货截止时间是几点", conversation_id=first.conversation_id
    )
    assert later.conversation_id != first.conversation_id


def test_an_archived_entry_is_no_longer_answered(shop_owner, service_manager):
    from knowledge.services.entries import entry_update, snapshot_of

    entry = Entry.objects.get(code="kb-ordering-003")
    assert chat.ask(actor=shop_owner, question=entry.question).entry == entry
    data = snapshot_of(entry) | {"status": Entry.Status.ARCHIVED}
    entry_update(actor=service_manager, entry_id=entry.pk, data=data)
    index.changed()
    turn = chat.ask(actor=shop_owner, question=entry.question)
    assert turn.entry != entry


# --- Pages and API ------------------------------------------------------------------------------


def test_chat_page_asks_and_shows_the_answer(client_for, shop_owner, own):
    client = client_for(shop_owner)
    page = client.get(reverse("portal:ask"))
    assert page.status_code == 200 and "ask-form" in page.content.decode()
    answer = client.post(
        reverse("portal:ask"), {"question": "我的订单到哪了"}, HTTP_HX_REQUEST="true"
    )
    body = answer.content.decode()
    assert answer.status_code == 200 and "MINE2" in body and 'id="ask-conversation"' in body
    refused = client.post(reverse("portal:ask"), {"question": " "}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and refused["HX-Retarget"] == "#ask-error"
    assert Turn.objects.count() == 1


def test_chat_page_hand_over_without_javascript_goes_to_the_request(client_for, shop_owner):
    client = client_for(shop_owner)
    client.post(reverse("portal:ask"), {"question": "qwertyuiop"})
    conversation = Conversation.objects.get()
    response = client.post(reverse("portal:ask_handover", args=[conversation.pk]), {"note": ""})
    conversation.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:request_detail", args=[conversation.handover_request_id]
    )


def test_api_ask_rate_and_hand_over(client_for, shop_owner, own):
    client = client_for(shop_owner)
    asked = client.post(
        "/api/knowledge/ask", {"question": "订货截止时间是几点"}, content_type="application/json"
    )
    assert asked.status_code == 200, asked.content
    body = asked.json()
    assert body["kind"] == "faq" and body["decision"] in ("answer", "suggest", "handover")
    live = client.post(
        "/api/knowledge/ask",
        {"question": "我的订单到哪了", "conversation_id": body["conversation_id"]},
        content_type="application/json",
    ).json()
    assert live["kind"] == "live" and live["links"][0]["url"].endswith(f"/{own[2].pk}/")
    rated = client.post(
        f"/api/knowledge/turns/{live['id']}/rate",
        {"helpful": True},
        content_type="application/json",
    )
    assert rated.json()["feedback"] == "helpful"
    handed = client.post(
        f"/api/knowledge/conversations/{body['conversation_id']}/handover",
        {"note": ""},
        content_type="application/json",
    )
    assert handed.status_code == 200 and handed.json()["number"].startswith("SR")
    transcript = client.get(f"/api/knowledge/conversations/{body['conversation_id']}").json()
    assert [t["question"] for t in transcript["turns"]] == ["订货截止时间是几点", "我的订单到哪了"]
    too_long = client.post(
        "/api/knowledge/ask", {"question": "问" * 301}, content_type="application/json"
    )
    assert too_long.status_code == 422
