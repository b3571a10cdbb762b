"""The stored hot score against values worked out by hand (community/hotness.py)."""

import datetime

import pytest
from django.utils import timezone

from community.hotness import Activity, hot_score
from community.models import Post, PostLike, Thread, Visibility
from community.services import forum, hot
from community.tests.factories import ForumCategoryFactory


def test_formula_by_hand():
    # (4 − 1 + 3 − 1) / (10 + 2) ** 1.2 = 5 / 19.7247… = 0.253485…
    assert hot_score(Activity(likes=4, repliers=3, age_hours=10)) == pytest.approx(
        0.253485, abs=1e-6
    )
    # One like and one replier count nothing.
    assert hot_score(Activity(likes=1, repliers=1, age_hours=0)) == 0.0
    # + recent part: (2 + 1) / (1 + 2) ** 1.2 = 3 / 3.7372… = 0.802741…
    both = hot_score(
        Activity(
            likes=4, repliers=3, age_hours=10, recent_likes=2, recent_repliers=1, recent_age_hours=1
        )
    )
    assert both == pytest.approx(0.253485 + 0.802741, abs=1e-5)


def test_older_threads_score_less():
    fresh = hot_score(Activity(likes=10, repliers=5, age_hours=1))
    day_old = hot_score(Activity(likes=10, repliers=5, age_hours=25))
    assert day_old < fresh / 5


@pytest.mark.django_db
def test_refresh_counts_only_published_activity(
    account_manager, shop_owner, other_shop_owner, dispatcher, service_manager
):
    now = timezone.now()
    category = ForumCategoryFactory()
    thread = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="热帖计算的例子", body="开头"
    )
    opening = thread.posts.get()
    for user in (shop_owner, other_shop_owner, dispatcher):
        PostLike.objects.create(post=opening, user=user)
    for user in (dispatcher, service_manager):
        forum.reply_create(actor=user, thread_id=thread.pk, body="回复一下")
    # A pending reply's author is not a replier yet.
    Post.objects.create(
        thread=thread,
        author=other_shop_owner,
        body="待审",
        visibility=Visibility.PENDING,
        created_at=now,
    )
    created = now - datetime.timedelta(hours=10)
    Thread.objects.filter(pk=thread.pk).update(created_at=created)
    PostLike.objects.update(created_at=now - datetime.timedelta(days=30))
    Post.objects.filter(thread=thread).update(created_at=now - datetime.timedelta(days=30))
    hot.refresh(now=now)
    # lifetime: likes 3, repliers 2 → (2 + 1) / 12 ** 1.2; nothing recent.
    expected = 3 / 12**1.2
    assert Thread.objects.get(pk=thread.pk).hot_score == pytest.approx(expected)


@pytest.mark.django_db
def test_the_periodic_refresh_drops_quiet_and_hidden_threads(account_manager):
    category = ForumCategoryFactory()
    quiet = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="很久没人回的帖子", body="内容"
    )
    hidden = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="被隐藏的帖子啊", body="内容"
    )
    Thread.objects.update(hot_score=1.0)
    Thread.objects.filter(pk=quiet.pk).update(
        last_posted_at=timezone.now() - datetime.timedelta(days=hot.CANDIDATE_DAYS + 1)
    )
    Thread.objects.filter(pk=hidden.pk).update(visibility=Visibility.HIDDEN)
    hot.refresh()
    assert list(Thread.objects.values_list("hot_score", flat=True).distinct()) == [0.0]


@pytest.mark.django_db
def test_top_threads_by_period(account_manager, shop_owner, other_shop_owner):
    from community import selectors

    category = ForumCategoryFactory()
    old = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="上个月的热帖子", body="内容"
    )
    new = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="今天的新帖子啊", body="内容"
    )
    Thread.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=20), like_count=9
    )
    Thread.objects.filter(pk=new.pk).update(like_count=2)
    assert [t.pk for t in selectors.top_threads(shop_owner, period="week")] == [new.pk]
    assert [t.pk for t in selectors.top_threads(shop_owner, period="month")] == [old.pk, new.pk]
