"""The curation queue: open questions of the last weeks, near-duplicates grouped and counted."""

import datetime
import re

import pytest
from django.utils import timezone

from knowledge import curation, index
from knowledge.models import Category, Conversation, CurationSnapshot, Entry, Turn
from knowledge.services.curation import curation_snapshot_run
from servicedesk.tests.factories import make_request

URL = "/console/knowledge/curation/"


def ask(shop, question, *, days_ago=1, decision="suggest", curation_state="open", **fields):
    """One turn of its own conversation, asked ``days_ago`` days before now."""
    at = timezone.now() - datetime.timedelta(days=days_ago)
    conversation = Conversation.objects.create(shop=shop, started_at=at)
    return Turn.objects.create(
        conversation=conversation,
        shop=shop,
        asked_at=at,
        question=question,
        decision=decision,
        curation=curation_state,
        **fields,
    )


def regroup():
    """Compute the clustering snapshot now (the beat task or the refresh button in production)."""
    assert curation_snapshot_run(CurationSnapshot.objects.create().pk)


def queue_now(**filters):
    regroup()
    return curation.curation_queue(**filters)


@pytest.fixture
def renewal_questions(shop):
    """Three ways to ask about renewing the licence (4 turns), and one unrelated question."""
    return {
        "renewal": [
            ask(shop, "烟草证怎么续期", decision="handover"),
            ask(shop, "烟草证怎么续期", days_ago=9),
            ask(shop, "烟草证如何续期", days_ago=2),
            ask(shop, "烟草许可证怎么续期", decision="answer", feedback="not_helpful"),
        ],
        "subsidy": [ask(shop, "新店开业有没有陈列补贴", days_ago=3)],
    }


def test_near_duplicate_questions_form_one_counted_cluster(service_manager, renewal_questions):
    queue = queue_now(user=service_manager)

    assert [c.count for c in queue.clusters] == [4, 1]
    renewal = queue.clusters[0]
    assert sorted(renewal.turn_ids) == sorted(t.pk for t in renewal_questions["renewal"])
    assert renewal.questions[0] == ("烟草证怎么续期", 2)  # the most asked first
    assert {text for text, _n in renewal.questions} == {
        "烟草证怎么续期",
        "烟草证如何续期",
        "烟草许可证怎么续期",
    }
    assert renewal.label == "烟草证怎么续期"
    assert renewal.reasons == {"handover": 1, "suggest": 2, "not_helpful": 1}
    assert sum(renewal.weekly) == 4 and len(renewal.weekly) == curation.DEFAULT_WEEKS
    assert renewal.first_asked < renewal.last_asked
    assert queue.open_turns == 5


def test_only_open_turns_of_the_window_are_queued(service_manager, shop):
    ask(shop, "烟草证怎么续期")
    ask(shop, "烟草证怎么续期", curation_state="added")
    ask(shop, "烟草证怎么续期", curation_state="dismissed")
    ask(shop, "烟草证怎么续期", decision="answer", curation_state="")
    ask(shop, "烟草证怎么续期", days_ago=7 * 10)  # before the default 8 weeks

    assert [c.count for c in queue_now(user=service_manager).clusters] == [1]
    longer = queue_now(user=service_manager, weeks=12)
    assert [c.count for c in longer.clusters] == [2]


def test_reason_filter_keeps_only_turns_open_for_that_reason(service_manager, renewal_questions):
    handed_over = queue_now(user=service_manager, reason="handover")
    not_helpful = queue_now(user=service_manager, reason="not_helpful")

    assert [(c.count, c.reasons["handover"]) for c in handed_over.clusters] == [(1, 1)]
    assert [c.questions for c in not_helpful.clusters] == [[("烟草许可证怎么续期", 1)]]


def test_candidate_is_the_suggestion_shops_picked_most(service_manager, shop):
    picked, other = Entry.objects.order_by("pk")[:2]
    ask(shop, "烟草证怎么续期", picked_entry=picked)
    ask(shop, "烟草证如何续期", picked_entry=picked)
    ask(shop, "烟草证怎么续期", picked_entry=other)

    (cluster,) = queue_now(user=service_manager).clusters

    assert (cluster.candidate, cluster.candidate_source) == (picked, "picked")
    assert cluster.category == picked.category


def test_a_confident_search_hit_is_proposed_as_the_candidate(service_manager, shop):
    entry = Entry.objects.get(code="kb-licence-001")
    ask(shop, entry.question)
    assert index.search(entry.question, k=1).decision == "answer"  # the engine is sure

    (cluster,) = queue_now(user=service_manager).clusters

    assert (cluster.candidate, cluster.candidate_source) == (entry, "search")


def test_an_unsure_search_hit_proposes_a_new_entry_instead(client_for, service_manager, shop):
    """The demo's top cluster: the engine's top hit is an unrelated entry, below its own answer
    threshold, so "add as similar phrasings" is not prefilled with it."""
    for days_ago in (1, 2, 3):
        ask(shop, "怎么开通数字人民币收款码", days_ago=days_ago)
    result = index.search("怎么开通数字人民币收款码", k=1)
    assert result.hits and result.decision != "answer"

    (cluster,) = queue_now(user=service_manager).clusters
    body = client_for(service_manager).get(URL).content.decode()

    assert (cluster.candidate, cluster.candidate_source) == (None, "")
    assert "data-no-candidate" in body
    prefilled = re.search(r'name="entry_code"[^>]*value="([^"]*)"', body).group(1)
    assert prefilled == ""


def test_a_few_picks_among_many_asks_do_not_make_a_candidate(service_manager, shop):
    picked = Entry.objects.get(code="kb-ordering-020")
    ask(shop, "怎么开通数字人民币收款码", picked_entry=picked)
    for days_ago in (2, 3, 4):
        ask(shop, "怎么开通数字人民币收款码", days_ago=days_ago)

    (cluster,) = queue_now(user=service_manager).clusters

    assert cluster.candidate is None


def test_category_filter_keeps_clusters_of_that_category(service_manager, shop):
    licence = Entry.objects.filter(category=Category.LICENCE).first()
    delivery = Entry.objects.filter(category=Category.DELIVERY).first()
    ask(shop, "烟草证怎么续期", picked_entry=licence)
    ask(shop, "节假日送货会不会延迟", picked_entry=delivery)

    queue = queue_now(user=service_manager, category=Category.DELIVERY)

    assert [c.label for c in queue.clusters] == ["节假日送货会不会延迟"]


def test_the_queue_reads_snapshot_turns_and_candidates_in_four_queries(
    service_manager, shop, django_assert_num_queries
):
    entries = list(Entry.objects.order_by("pk")[:1])
    for n in range(30):
        ask(shop, f"第{n}个没答上的问题：{'甲乙丙丁戊己庚辛'[n % 8]}", picked_entry=entries[0])
    regroup()

    # The snapshot, the open turns, the candidate entries, whether a refresh is running.
    with django_assert_num_queries(4):
        queue = curation.curation_queue(user=service_manager)

    assert sum(c.count for c in queue.clusters) == 30


def test_page_lists_the_clusters_for_knowledge_managers(
    client_for, service_manager, renewal_questions
):
    regroup()
    response = client_for(service_manager).get(URL, {"weeks": "8"})

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-count="4"' in body and "烟草证如何续期" in body
    assert "新店开业有没有陈列补贴" in body


def test_htmx_filter_answers_the_results_alone(client_for, service_manager, renewal_questions):
    regroup()
    response = client_for(service_manager).get(
        URL, {"reason": "handover", "category": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert response["HX-Push-Url"] == f"{URL}?reason=handover"
    assert response.content.decode().count('class="card cluster"') == 1


@pytest.mark.parametrize("role", ["account_manager", "shop_owner", "dispatcher"])
def test_page_is_refused_without_the_knowledge_edit_permission(
    request, client_for, role, renewal_questions
):
    user = request.getfixturevalue(role)

    assert client_for(user).get(URL).status_code == 403


def test_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302 and "/login" in response["Location"]


def test_questions_of_a_handed_over_conversation_count_as_handed_over(
    service_manager, shop, shop_owner
):
    turn = ask(shop, "烟草证怎么续期")  # suggestions only, then the shop asked for a person
    turn.conversation.handover_request = make_request(shop_owner, shop, channel="chat")
    turn.conversation.save()
    ask(shop, "烟草证如何续期")

    (cluster,) = queue_now(user=service_manager).clusters
    handed_over = queue_now(user=service_manager, reason="handover")
    suggested = queue_now(user=service_manager, reason="suggest")

    assert cluster.reasons == {"handover": 1, "suggest": 1, "not_helpful": 0}
    assert handed_over.clusters[0].turn_ids == [turn.pk]
    assert turn.pk not in suggested.clusters[0].turn_ids
