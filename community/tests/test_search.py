"""Forum search reads the trade lexicon and never finds content that is not public."""

import pytest
from django.urls import reverse

from community import selectors
from community.services import forum
from community.tests.factories import ForumCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def threads(account_manager, shop_owner):
    category = ForumCategoryFactory()
    make = lambda user, title, body: forum.thread_create(  # noqa: E731
        actor=user, category_id=category.pk, title=title, body=body
    )
    return {
        "licence": make(account_manager, "许可证延续要带什么材料", "营业执照和身份证"),
        "display": make(account_manager, "新品陈列放在哪一层", "柜台中间层"),
        "pending": make(shop_owner, "许可证延续我也想问", "第一次发帖在审核"),
    }


def test_dialect_and_trade_words_find_the_thread(threads, other_shop_owner):
    found = selectors.search_threads(other_shop_owner, "烟证延续")
    assert [t.pk for t in found] == [threads["licence"].pk]


def test_every_word_must_match(threads, other_shop_owner):
    assert selectors.search_threads(other_shop_owner, "陈列 延续") == []
    assert selectors.search_threads(other_shop_owner, "   ") == []


def test_pending_threads_are_not_found(threads, other_shop_owner, client_for):
    page = client_for(other_shop_owner).get(reverse("community:search"), {"q": "许可证"})
    html = page.content.decode()
    assert "许可证延续要带什么材料" in html and "我也想问" not in html
