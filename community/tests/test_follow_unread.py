"""Following threads and categories, unread counts and the jump to the first unread post."""

import pytest
from django.urls import reverse

from community import selectors
from community.models import Watch
from community.services import forum
from community.tests.factories import ForumCategoryFactory
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return ForumCategoryFactory()


def _publish_reply(user, thread, body="一条新回复"):
    return forum.reply_create(actor=user, thread_id=thread.pk, body=body)


def test_followers_are_told_of_public_posts_only(
    account_manager,
    dispatcher,
    shop_owner,
    category,
    service_manager,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        thread = forum.thread_create(
            actor=account_manager, category_id=category.pk, title="关注测试的帖子", body="开头"
        )
        forum.watch_set(actor=dispatcher, watching=True, thread_id=thread.pk)
        _publish_reply(service_manager, thread)
        pending = _publish_reply(shop_owner, thread, body="新店主的第一条回复")
    subjects = list(
        Notification.objects.filter(recipient=dispatcher).values_list("body", flat=True)
    )
    assert subjects == ["一条新回复"]  # the pending reply is not announced
    # The author (account manager follows their own thread) hears of it, not the replier.
    assert Notification.objects.filter(recipient=account_manager).count() == 1
    assert not Notification.objects.filter(recipient=service_manager).exists()
    with django_capture_on_commit_callbacks(execute=True):
        forum.moderate_approve(actor=service_manager, post_id=pending.pk)
    assert Notification.objects.filter(recipient=dispatcher).count() == 2


def test_category_followers_hear_of_new_threads(
    account_manager, dispatcher, category, django_capture_on_commit_callbacks
):
    forum.watch_set(actor=dispatcher, watching=True, category_id=category.pk)
    with django_capture_on_commit_callbacks(execute=True):
        forum.thread_create(
            actor=account_manager, category_id=category.pk, title="新主题来了啊", body="内容"
        )
    assert "新主题来了啊" in Notification.objects.get(recipient=dispatcher).subject
    forum.watch_set(actor=dispatcher, watching=False, category_id=category.pk)
    assert not Watch.objects.filter(user=dispatcher, category=category).exists()


def test_unread_counts_and_the_jump_to_the_first_unread(
    account_manager, dispatcher, category, client_for, settings
):
    thread = forum.thread_create(
        actor=account_manager, category_id=category.pk, title="未读计数的帖子", body="开头"
    )
    client = client_for(dispatcher)
    client.get(reverse("community:thread", args=[thread.pk]))  # seen: the opening post
    forum.watch_set(actor=dispatcher, watching=True, thread_id=thread.pk)
    replies = [_publish_reply(account_manager, thread, body=f"第{n}条") for n in range(3)]
    row = selectors.thread_list(dispatcher, category=category).object_list[0]
    assert (row.seen, row.unread) == (1, 3)
    assert selectors.unread_total(dispatcher) == 1
    jump = client.get(reverse("community:thread", args=[thread.pk]) + "?unread=1")
    assert jump.status_code == 302 and jump["Location"].endswith(f"?page=1#post-{replies[0].pk}")
    client.get(jump["Location"])
    assert selectors.unread_total(dispatcher) == 0
    never = selectors.thread_list(account_manager, category=category).object_list[0]
    assert never.seen is None  # the author never opened the page


def test_a_thread_not_yet_public_cannot_be_followed_by_others(
    shop_owner, other_shop_owner, category
):
    from flexserve.errors import NotFound

    pending = forum.thread_create(
        actor=shop_owner, category_id=category.pk, title="还在审核的帖子", body="内容"
    )
    with pytest.raises(NotFound):
        forum.watch_set(actor=other_shop_owner, watching=True, thread_id=pending.pk)
