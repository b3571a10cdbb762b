"""Who may post, what waits for a moderator, what the word list does, flags and rate limits."""

import pytest

from community.errors import BlockedWords, CannotPost, Suspended
from community.models import Flag, Member, Post, SensitiveWord, Thread, Visibility
from community.services import forum, wordlist
from community.tests.factories import ForumCategoryFactory
from flexserve.errors import FieldInvalid, RateLimited

pytestmark = pytest.mark.django_db


@pytest.fixture
def category():
    return ForumCategoryFactory()


def _words(manager, **words):
    for word, action in words.items():
        wordlist.word_save(actor=manager, word=word, action=action)


def _thread(user, category, title="请问新品怎么陈列", body="新到的烟放在哪一层比较好？"):
    return forum.thread_create(actor=user, category_id=category.pk, title=title, body=body)


def test_a_new_authors_first_three_posts_wait_then_they_publish(
    shop_owner, category, service_manager
):
    thread = _thread(shop_owner, category)
    assert thread.visibility == Visibility.PENDING
    assert thread.posts.get().held_for == Post.HeldFor.NEW_AUTHOR
    forum.moderate_approve(actor=service_manager, post_id=thread.posts.get().pk)
    for n in range(2):
        reply = forum.reply_create(actor=shop_owner, thread_id=thread.pk, body=f"补充说明{n}")
        assert reply.visibility == Visibility.PENDING
        forum.moderate_approve(actor=service_manager, post_id=reply.pk)
    assert Member.objects.get(user=shop_owner).approved_posts == 3
    fourth = forum.reply_create(actor=shop_owner, thread_id=thread.pk, body="第四条直接发布")
    assert fourth.visibility == Visibility.PUBLISHED
    assert Thread.objects.get(pk=thread.pk).reply_count == 3


def test_staff_post_at_once_except_in_a_reviewed_category(account_manager):
    open_cat = ForumCategoryFactory()
    reviewed = ForumCategoryFactory(review_required=True)
    assert _thread(account_manager, open_cat).visibility == Visibility.PUBLISHED
    held = _thread(account_manager, reviewed)
    assert held.visibility == Visibility.PENDING
    assert held.posts.get().held_for == Post.HeldFor.CATEGORY
    assert held.posts.get().by_staff is True


def test_a_blocked_word_is_named_and_nothing_is_saved(shop_owner, category, service_manager):
    _words(service_manager, 违禁词甲="block")
    with pytest.raises(BlockedWords) as caught:
        _thread(shop_owner, category, body="这里有 违-禁 詞甲 出售")
    assert "违禁词甲" in caught.value.render_message()
    assert "违禁词甲" in caught.value.fields["body"][0]
    assert not Thread.objects.exists() and not Post.objects.exists()
    assert not Member.objects.filter(approved_posts__gt=0).exists()


def test_review_mask_and_flag_words(account_manager, category, service_manager):
    _words(service_manager, 秘方烟="review", 笨蛋="mask", 投诉信="flag")
    held = _thread(account_manager, category, body="有人卖秘方烟吗")
    assert held.visibility == Visibility.PENDING
    assert held.posts.get().held_for == Post.HeldFor.WORD
    assert held.posts.get().matched_words == ["秘方烟"]
    masked = _thread(account_manager, category, body="别当笨蛋，按时订货")
    assert masked.posts.get().body == "别当**，按时订货"
    assert masked.visibility == Visibility.PUBLISHED
    flagged = _thread(account_manager, category, body="我要写投诉信给配送")
    assert flagged.visibility == Visibility.PUBLISHED
    assert Flag.objects.get(post__thread=flagged).reason == Flag.Reason.WORD


def test_a_list_edit_applies_to_the_next_post_without_a_restart(
    account_manager, category, service_manager
):
    assert _thread(account_manager, category, body="新词测试一").visibility == Visibility.PUBLISHED
    wordlist.current_matcher()  # compiled and cached
    _words(service_manager, 新词测试="block")
    with pytest.raises(BlockedWords):
        _thread(account_manager, category, body="新词测试二")
    wordlist.word_remove(actor=service_manager, word_id=SensitiveWord.objects.get().pk)
    assert _thread(account_manager, category, body="新词测试三").visibility == Visibility.PUBLISHED


def test_an_allowed_phrase_lets_the_word_through(account_manager, category, service_manager):
    _words(service_manager, 大麻="block")
    wordlist.allowed_save(actor=service_manager, phrase="大麻哈鱼")
    assert _thread(account_manager, category, body="今天进了大麻哈鱼罐头").visibility == "published"
    with pytest.raises(BlockedWords):
        _thread(account_manager, category, body="卖大麻")


def test_only_owners_of_active_shops_and_staff_post(shop_owner, shop, category):
    shop.status, shop.closed_on = "closed", shop.opened_on
    shop.save(update_fields=["status", "closed_on"])
    with pytest.raises(CannotPost):
        _thread(shop_owner, category)


def test_a_suspended_member_cannot_post(shop_owner, category, service_manager):
    forum.member_for(shop_owner)
    forum.member_suspend(actor=service_manager, user_id=shop_owner.pk, days=3, reason="刷屏")
    with pytest.raises(Suspended):
        _thread(shop_owner, category)


def test_posting_is_rate_limited_and_a_refused_post_saves_nothing(account_manager, category):
    for n in range(forum.POSTS_PER_10_MIN):
        _thread(account_manager, category, title=f"第{n}个问题标题")
    with pytest.raises(RateLimited):
        _thread(account_manager, category, title="一个太多的问题")
    assert Thread.objects.count() == forum.POSTS_PER_10_MIN


def test_input_is_validated(account_manager, category):
    with pytest.raises(FieldInvalid):
        _thread(account_manager, category, title="短")
    with pytest.raises(FieldInvalid):
        _thread(account_manager, category, body="x" * (forum.BODY_MAX + 1))
    assert not Thread.objects.exists()


def test_weighted_flags_hide_a_post_until_reviewed(
    account_manager, category, service_manager, shop_owner, other_shop_owner, dispatcher
):
    thread = _thread(account_manager, category)
    reply = forum.reply_create(actor=account_manager, thread_id=thread.pk, body="回复内容在这里")
    assert Thread.objects.get(pk=thread.pk).reply_count == 1
    forum.flag_post(actor=shop_owner, post_id=reply.pk, reason="spam")
    forum.flag_post(actor=other_shop_owner, post_id=reply.pk, reason="spam")
    assert Post.objects.get(pk=reply.pk).visibility == Visibility.PUBLISHED  # 2.0 < 3.0
    forum.flag_post(actor=dispatcher, post_id=reply.pk, reason="offensive")
    hidden = Post.objects.get(pk=reply.pk)
    assert hidden.visibility == Visibility.HIDDEN and hidden.held_for == Post.HeldFor.FLAGS
    assert Thread.objects.get(pk=thread.pk).reply_count == 0
    forum.moderate_approve(actor=service_manager, post_id=reply.pk)
    assert Thread.objects.get(pk=thread.pk).reply_count == 1
    assert set(Flag.objects.values_list("upheld", flat=True)) == {False}


def test_a_flaggers_weight_follows_their_record():
    assert forum.flagger_weight(0, 0) == 1.0
    assert forum.flagger_weight(8, 8) == pytest.approx(1.8)
    assert forum.flagger_weight(0, 8) == pytest.approx(0.2)


def test_rejecting_tells_the_author_and_takes_the_thread(
    shop_owner, category, service_manager, django_capture_on_commit_callbacks
):
    from servicedesk.models import Notification

    thread = _thread(shop_owner, category)
    with pytest.raises(FieldInvalid):
        forum.moderate_reject(actor=service_manager, post_id=thread.posts.get().pk, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        forum.moderate_reject(
            actor=service_manager, post_id=thread.posts.get().pk, reason="与经营无关"
        )
    assert Thread.objects.get(pk=thread.pk).visibility == Visibility.REJECTED
    note = Notification.objects.get(recipient=shop_owner)
    assert "与经营无关" in note.body


def test_likes_toggle_and_keep_counts(account_manager, shop_owner, category):
    thread = _thread(account_manager, category)
    opening = thread.posts.get()
    assert forum.like_toggle(actor=shop_owner, post_id=opening.pk) is True
    assert Thread.objects.get(pk=thread.pk).like_count == 1
    assert forum.like_toggle(actor=shop_owner, post_id=opening.pk) is False
    assert Post.objects.get(pk=opening.pk).like_count == 0


def test_only_the_asker_or_a_moderator_marks_the_useful_answer(
    account_manager, shop_owner, other_shop_owner, category
):
    from flexserve.errors import Forbidden

    thread = _thread(account_manager, category)
    reply = forum.reply_create(actor=account_manager, thread_id=thread.pk, body="这样做就行")
    with pytest.raises(Forbidden):
        forum.mark_useful(actor=other_shop_owner, post_id=reply.pk)
    assert forum.mark_useful(actor=account_manager, post_id=reply.pk).is_useful
