"""The knowledge base list page: search, filters, counts per category, permissions, try box."""

import datetime

import pytest
from django.utils import timezone

from knowledge.models import Category, Entry
from knowledge.tests.factories import EntryFactory

URL = "/console/knowledge/"
TRY_URL = "/console/knowledge/try/"
# session, user, count, one page of entries with owners, category counts; the whole page adds
# the tags and the unread notifications.
QUERIES_LIST_PAGE = 7
QUERIES_LIST_PARTIAL = 5

pytestmark = pytest.mark.django_db


def _get(client, params=None, **headers):
    return client.get(URL, params or {}, HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_every_staff_member_reads_the_list_with_a_count_of_all_entries(client_for, account_manager):
    response = _get(client_for(account_manager))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{Entry.objects.count()} entries" in html
    assert "/console/knowledge/new/" not in html  # no editing for readers
    assert "/console/knowledge/import/" not in html


def test_editors_get_the_new_entry_and_import_buttons(client_for, service_manager):
    html = _get(client_for(service_manager)).content.decode()
    assert "/console/knowledge/new/" in html and "/console/knowledge/import/" in html


def test_shop_owners_and_visitors_cannot_open_the_console_list(client_for, shop_owner, client):
    assert _get(client_for(shop_owner)).status_code == 403
    assert _get(client).status_code == 302


def test_search_finds_text_in_the_similar_phrasings_not_only_the_question(
    client_for, account_manager
):
    entry = EntryFactory(question="标准问甲", phrasings=["独一无二的说法"], answer="答案")
    EntryFactory(question="标准问乙", phrasings=["别的说法"], answer="答案")
    response = _get(client_for(account_manager), {"q": "独一无二"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "1 entry" in html
    assert f"/console/knowledge/{entry.pk}/" in html
    assert "标准问乙" not in html


def test_search_looks_in_the_answer_and_ignores_case(client_for, account_manager):
    entry = EntryFactory(answer="请登录 OrderApp 查看")
    html = _get(client_for(account_manager), {"q": "orderapp"}).content.decode()
    assert f"/console/knowledge/{entry.pk}/" in html and "1 entry" in html


def test_filters_combine_category_status_tag_and_validity(client_for, account_manager):
    today = timezone.localdate()
    wanted = EntryFactory(
        category=Category.LICENCE,
        status=Entry.Status.DRAFT,
        tags=["延续", "许可证"],
        valid_until=today - datetime.timedelta(days=1),
    )
    EntryFactory(category=Category.LICENCE, status=Entry.Status.DRAFT, tags=["延续"])
    EntryFactory(category=Category.LICENCE, status=Entry.Status.PUBLISHED, tags=["延续"])
    params = {"category": "licence", "status": "draft", "tag": "延续", "validity": "expired"}
    html = _get(client_for(account_manager), params).content.decode()
    assert "1 entry" in html and f"/console/knowledge/{wanted.pk}/" in html


def test_a_tag_filter_matches_whole_tags_only(client_for, account_manager):
    EntryFactory(tags=["许可证延续"])
    html = _get(client_for(account_manager), {"tag": "许可证"}).content.decode()
    expected = sum(1 for tags in Entry.objects.values_list("tags", flat=True) if "许可证" in tags)
    assert f"{expected} entr" in html


def test_not_yet_valid_and_valid_now_split_the_entries_by_their_dates(client_for, account_manager):
    today = timezone.localdate()
    future = EntryFactory(valid_from=today + datetime.timedelta(days=3))
    client = client_for(account_manager)
    assert (
        f"/console/knowledge/{future.pk}/" in _get(client, {"validity": "future"}).content.decode()
    )
    assert (
        f"/console/knowledge/{future.pk}/"
        not in _get(client, {"validity": "now", "q": future.question}).content.decode()
    )


def test_category_counts_follow_the_other_filters(client_for, account_manager):
    EntryFactory(category=Category.PRODUCT, status=Entry.Status.ARCHIVED)
    EntryFactory(category=Category.PRODUCT, status=Entry.Status.ARCHIVED)
    html = _get(client_for(account_manager), {"status": "archived"}).content.decode()
    assert 'category=product"' in html
    assert '<span class="count">2</span>' in html  # the two archived product entries


def test_the_list_is_paginated_keeping_the_filters(client_for, account_manager):
    html = _get(client_for(account_manager), {"status": "published", "page": "2"}).content.decode()
    assert "Page 2 of" in html
    assert "status=published&amp;page=1" in html


def test_the_list_page_says_which_search_mode_answers(client_for, account_manager):
    from knowledge import index

    index.search("订货")  # builds the lexical index
    html = _get(client_for(account_manager)).content.decode()
    assert f"Search mode: lexical · {len(index.engine())} entries" in html


def test_the_try_box_shows_the_decision_and_the_matched_entries_and_logs_nothing(
    client_for, account_manager
):
    from knowledge.models import Turn

    entry = Entry.objects.get(code="kb-ordering-001")
    response = client_for(account_manager).get(
        TRY_URL, {"q": "我们店每周哪天可以订烟"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-decision="answer"' in html and "confidence" in html
    assert f"/console/knowledge/{entry.pk}/" in html
    assert "matched: 我们店每周哪天可以订烟" in html
    assert Turn.objects.count() == 0


@pytest.mark.parametrize("question", ["", "   ", "问" * 301])
def test_the_try_box_refuses_an_empty_or_too_long_question(client_for, account_manager, question):
    response = client_for(account_manager).get(
        TRY_URL, {"q": question}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert 'class="alert alert-error"' in response.content.decode()


def test_the_try_page_without_htmx_is_a_whole_page(client_for, account_manager):
    response = client_for(account_manager).get(TRY_URL, {"q": "许可证到期怎么延续"})
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_the_list_page_takes_a_fixed_number_of_queries(
    client_for, service_manager, django_assert_num_queries
):
    client = client_for(service_manager)
    _get(client)  # session and caches warmed
    EntryFactory.create_batch(3)
    with django_assert_num_queries(QUERIES_LIST_PAGE):
        assert _get(client).status_code == 200
    with django_assert_num_queries(QUERIES_LIST_PARTIAL):
        assert _get(client, {"page": "2"}, HTTP_HX_REQUEST="true").status_code == 200
