"""Pending, hidden and rejected content shows nowhere but to its author (marked) and its
moderators: not in lists, counts, hot topics, thread pages, quotes, likes, flags or by URL."""

import pytest
from django.urls import reverse

from community import selectors
from community.models import Post, Thread, Visibility
from community.services import forum, hot
from community.tests.factories import ForumCategoryFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "待审核的帖子标题"
SECRET_BODY = "这条回复还没有审核"


@pytest.fixture
def setting(shop_owner, other_shop_owner, account_manager):
    category = ForumCategoryFactory()
    public = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="公开的帖子标题", body="大家好"
    )
    pending_thread = forum.thread_create(
        actor=shop_owner, category_id=category.pk, title=SECRET_TITLE, body="第一次发帖"
    )
    pending_reply = forum.reply_create(actor=shop_owner, thread_id=public.pk, body=SECRET_BODY)
    for _ in range(3):  # make the public thread hot
        forum.like_toggle(actor=other_shop_owner, post_id=public.posts.first().pk)
        forum.like_toggle(actor=other_shop_owner, post_id=public.posts.first().pk)
    forum.like_toggle(actor=other_shop_owner, post_id=public.posts.first().pk)
    hot.refresh()
    assert pending_thread.visibility == pending_reply.visibility == Visibility.PENDING
    return category, public, pending_thread, pending_reply


def test_other_readers_see_nothing_pending(setting, other_shop_owner, client_for):
    category, public, pending_thread, pending_reply = setting
    client = client_for(other_shop_owner)
    pages = [
        reverse("community:forum"),
        reverse("community:category", args=[category.pk]),
        reverse("community:thread", args=[public.pk]),
        reverse("community:home"),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert SECRET_TITLE not in html, url
        assert SECRET_BODY not in html, url
    assert client.get(reverse("community:thread", args=[pending_thread.pk])).status_code == 404
    assert [c.thread_total for c in selectors.categories(other_shop_owner)] == [1]
    assert Thread.objects.get(pk=public.pk).reply_count == 0
    assert pending_thread not in selectors.hot_threads(other_shop_owner)


def test_pending_posts_cannot_be_liked_flagged_or_quoted(
    setting, other_shop_owner, account_manager, client_for
):
    _category, public, pending_thread, pending_reply = setting
    client = client_for(other_shop_owner)
    opening = pending_thread.posts.get()
    assert client.post(reverse("community:like", args=[opening.pk])).status_code == 404
    assert client.post(reverse("community:like", args=[pending_reply.pk])).status_code == 404
    flagged = client.post(reverse("community:flag", args=[pending_reply.pk]), {"reason": "spam"})
    assert flagged.status_code == 404
    replied = client_for(account_manager).post(
        reverse("community:reply", args=[public.pk]),
        {"body": "引用一下", "quote": pending_reply.pk},
    )
    assert replied.status_code == 422
    assert Post.objects.filter(quote=pending_reply).count() == 0


def test_the_author_sees_their_own_pending_content_marked(setting, shop_owner, client_for):
    category, public, pending_thread, _reply = setting
    client = client_for(shop_owner)
    thread_page = client.get(reverse("community:thread", args=[public.pk])).content.decode()
    assert SECRET_BODY in thread_page
    assert "Under review" in thread_page or "审核中" in thread_page
    own = client.get(reverse("community:thread", args=[pending_thread.pk]))
    assert own.status_code == 200
    listing = client.get(reverse("community:category", args=[category.pk])).content.decode()
    assert SECRET_TITLE in listing
    mine = client.get(reverse("community:mine")).content.decode()
    assert SECRET_TITLE in mine


def test_a_moderator_opens_it_and_after_approval_everyone_does(
    setting, other_shop_owner, service_manager, client_for
):
    _category, public, pending_thread, pending_reply = setting
    manager = client_for(service_manager)
    assert manager.get(reverse("community:thread", args=[pending_thread.pk])).status_code == 200
    forum.moderate_approve(actor=service_manager, post_id=pending_reply.pk)
    page = client_for(other_shop_owner).get(reverse("community:thread", args=[public.pk]))
    assert SECRET_BODY in page.content.decode()
    assert Thread.objects.get(pk=public.pk).reply_count == 1


def test_a_rejected_post_stays_hidden_and_its_author_sees_why(
    setting, shop_owner, other_shop_owner, service_manager, client_for
):
    _category, public, _pending_thread, pending_reply = setting
    forum.moderate_reject(actor=service_manager, post_id=pending_reply.pk, reason="重复发帖")
    other = client_for(other_shop_owner).get(reverse("community:thread", args=[public.pk]))
    assert SECRET_BODY not in other.content.decode()
    mine = client_for(shop_owner).get(reverse("community:mine")).content.decode()
    assert "重复发帖" in mine


def test_pages_need_a_log_in(client):
    response = client.get(reverse("community:home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
