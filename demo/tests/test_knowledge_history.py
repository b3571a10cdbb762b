"""The demo's self-service Q&A history: the engine's own decisions, hand-overs tied to the chat
requests of the service-request history, clusters worth curating, a rising answered share.

One city is seeded for the class of read-only checks (rolled back at the end); the determinism
check seeds its own.
"""

import datetime
import hashlib
from collections import Counter

import pytest
from django.core.management import CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from customers.models import Shop
from demo.knowledge import OUT_OF_KB
from demo.tests.helpers import UNTIL_DATE, seed
from knowledge import curation, index
from knowledge.models import Conversation, CurationSnapshot, Turn
from knowledge.services.curation import curation_snapshot_run
from servicedesk.models import Channel, ServiceRequest

SHOPS, WEEKS = 300, 12


def _digest() -> str:
    """Everything the chat history wrote, by natural keys (no ids)."""
    rows = Turn.objects.order_by("asked_at", "shop__licence_no", "question").values_list(
        "shop__licence_no", "conversation__started_at", "asked_at", "question", "kind",
        "decision", "confidence", "entry__code", "category", "suggestions", "intent", "reply",
        "picked_entry__code", "feedback", "feedback_at", "curation",
        "conversation__handover_request__title", "conversation__user__username",
    )  # fmt: skip
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_chat_history():
    seed(shops=60, staff=8, weeks=0, request_weeks=4, chat_weeks=4)
    first = _digest()
    assert Turn.objects.exists()
    seed("--reset", shops=60, staff=8, weeks=0, request_weeks=4, chat_weeks=4)
    assert _digest() == first
    seed("--reset", shops=60, staff=8, weeks=0, request_weeks=4, chat_weeks=4, seed=7)
    assert _digest() != first
    seed("--reset", shops=20, staff=5, weeks=0, request_weeks=0, chat_weeks=0)
    assert not Conversation.objects.exists() and not Turn.objects.exists()


@pytest.fixture(scope="class")
def city(django_db_setup, django_db_blocker):
    """A 300-shop city with 12 weeks of requests and chats, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = seed(shops=SHOPS, staff=10, weeks=0, request_weeks=WEEKS, chat_weeks=WEEKS)
        yield out
        transaction.set_rollback(True)


def _week_of(moment: datetime.datetime) -> int:
    first = UNTIL_DATE - datetime.timedelta(weeks=WEEKS)
    return (timezone.localtime(moment).date() - first).days // 7


@pytest.mark.django_db
@pytest.mark.usefixtures("city")
class TestChatHistory:
    def test_progress_is_printed(self, city):
        assert "chat conversations" in city and "open for curation" in city

    def test_conversations_have_one_to_three_questions_in_the_window(self):
        sizes = Counter(Conversation.objects.annotate(n=Count("turns")).values_list("n", flat=True))
        assert set(sizes) <= {1, 2, 3, 4} and sizes[1] > sizes[2] > sizes[3]
        assert sum(sizes.values()) > 10 * WEEKS
        first = timezone.make_aware(
            datetime.datetime.combine(UNTIL_DATE - datetime.timedelta(weeks=WEEKS), datetime.time())
        )
        until = timezone.make_aware(datetime.datetime.combine(UNTIL_DATE, datetime.time(11)))
        moments = Turn.objects.values_list("asked_at", flat=True)
        assert first <= min(moments) and max(moments) < until + datetime.timedelta(minutes=10)

    def test_faq_decisions_are_the_engines(self):
        # Not the follow-ups of a picked suggestion: those answer the entry chosen, unsearched.
        turns = Turn.objects.filter(kind=Turn.Kind.FAQ).exclude(engine_mode="picked")[:300]
        assert Turn.objects.filter(engine_mode="picked").exists()
        for turn in turns:
            answer = index.search(turn.question, k=4)  # as knowledge.services.chat asks
            assert turn.decision == answer.decision, turn.question
            if turn.decision == Turn.Decision.ANSWER:
                assert str(turn.entry_id) == answer.hits[0].entry_id
            if turn.decision == Turn.Decision.SUGGEST:
                assert turn.suggestions == [int(h.entry_id) for h in answer.hits[:3]]

    def test_live_questions_carry_an_intent_and_a_reply(self):
        live = Turn.objects.filter(kind=Turn.Kind.LIVE)
        assert 0.08 < live.count() / Turn.objects.count() < 0.2
        assert not live.filter(intent="").exists() and not live.filter(reply="").exists()
        assert {"order_status", "payment_status"} <= set(live.values_list("intent", flat=True))

    def test_about_a_third_of_the_answers_are_rated_mostly_helpful(self):
        answered = Turn.objects.filter(decision=Turn.Decision.ANSWER)
        rated = answered.exclude(feedback="")
        assert 0.22 < rated.count() / answered.count() < 0.4
        assert rated.filter(feedback="helpful").count() / rated.count() > 0.7
        assert not Turn.objects.exclude(decision=Turn.Decision.ANSWER).exclude(feedback="").exists()

    def test_curation_queues_what_the_chat_would_queue(self):
        unsettled = Turn.objects.exclude(decision=Turn.Decision.ANSWER) | Turn.objects.filter(
            feedback=Turn.Feedback.NOT_HELPFUL
        )
        assert not unsettled.filter(curation="").exists()
        queued = Turn.objects.exclude(curation="")
        handed_over = queued.filter(conversation__handover_request__isnull=False)
        assert set(queued.values_list("pk", flat=True)) == set(
            unsettled.values_list("pk", flat=True)
        ) | set(handed_over.values_list("pk", flat=True))
        recent = timezone.now() - datetime.timedelta(weeks=5)
        assert not queued.filter(asked_at__gte=recent).exclude(curation="open").exists()
        assert {"added", "dismissed"} <= set(queued.values_list("curation", flat=True))

    def test_hand_overs_are_the_chat_requests_of_the_same_shop(self):
        handed = Conversation.objects.filter(handover_request__isnull=False).select_related(
            "handover_request"
        )
        chat_requests = ServiceRequest.objects.filter(
            channel=Channel.CHAT,
            created_at__gte=Conversation.objects.order_by("started_at").first().started_at,
        )
        assert handed.count() == chat_requests.count() > 0
        for conversation in handed:
            request = conversation.handover_request
            assert request.shop_id == conversation.shop_id
            assert conversation.started_at < request.created_at
        share = handed.count() / Conversation.objects.count()
        assert 0.04 < share < 0.14

    def test_the_answered_share_rises_over_the_weeks(self):
        by_week: dict[int, Counter] = {}
        for asked, decision in Turn.objects.values_list("asked_at", "decision"):
            by_week.setdefault(_week_of(asked), Counter())[decision] += 1

        def answered_share(weeks: range) -> float:
            counts = sum((by_week[w] for w in weeks), Counter())
            return counts[Turn.Decision.ANSWER] / sum(counts.values())

        assert answered_share(range(WEEKS - 4, WEEKS)) > answered_share(range(4)) + 0.05

    def test_questions_outside_the_knowledge_base_form_the_biggest_clusters(self):
        manager = User.objects.get(username="manager")
        curation_snapshot_run(CurationSnapshot.objects.create().pk)  # the background grouping
        queue = curation.curation_queue(user=manager, today=UNTIL_DATE)
        outside = {q for questions in OUT_OF_KB.values() for q in questions}
        top = queue.clusters[:5]
        assert top[0].count >= 4 and len(top[0].questions) >= 2
        assert sum(any(q in text for q in outside for text, _n in c.questions) for c in top) >= 3


@pytest.mark.django_db
def test_negative_chat_weeks_are_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="chat-weeks"):
        seed(shops=20, staff=5, weeks=0, request_weeks=0, chat_weeks=-1)
    assert not Shop.objects.exists()
