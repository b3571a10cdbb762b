"""Forum writes: members, threads, replies, likes, useful answers, flags and moderation.

Who posts: owners of active licensed shops and staff (``can_post``), at a limited rate, under a
nickname. Every text goes through the word list first (``wordlist.check``): a blocked word stops
the post with the word named and nothing saved.

A post waits for a moderator (``Visibility.PENDING``) when its author has fewer than
``TRUSTED_AFTER`` approved posts, when its category reviews every post, or when it holds a
review word. Staff posts are exempt from the first rule only. Readers' flags, each weighted by the
flagger's record, hide a post once their sum reaches ``HIDE_AT_WEIGHT``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from community.errors import AlreadyModerated, CannotPost, Suspended
from community.models import (
    Flag,
    ForumCategory,
    Member,
    Post,
    PostLike,
    Thread,
    ThreadRead,
    Visibility,
    Watch,
)
from community.search import indexed_text
from community.services import wordlist
from flexserve import policy
from flexserve.background import enqueue
from flexserve.errors import FieldInvalid, Forbidden, Invalid, NotFound, RateLimited
from flexserve.policy import Perm, Role
from flexserve.throttling import window_take

if TYPE_CHECKING:
    from accounts.models import User

TRUSTED_AFTER = 3  # a new author's first posts are reviewed
POSTS_PER_10_MIN = 5
POSTS_PER_DAY = 40
HIDE_AT_WEIGHT = 3.0
TITLE_MAX, BODY_MAX = 80, 5000
TITLE_MIN, BODY_MIN = 4, 2
NICKNAME_MAX = 20


def flagger_weight(upheld: int, decided: int) -> float:
    """A flagger's weight from their decided flags: Laplace-smoothed share upheld, times two
    (a newcomer counts 1.0; someone always right approaches 2; always wrong approaches 0)."""
    return 2.0 * (upheld + 1) / (decided + 2)


def _is_staff(user: User) -> bool:
    return user.role != Role.SHOP_OWNER


def can_post(user: User) -> bool:
    if not policy.has_perm(user, Perm.COMMUNITY_POST):
        return False
    if _is_staff(user):
        return True
    shop_id = policy.owned_shop_id(user)
    if shop_id is None:
        return False
    shop_model = user._meta.get_field("owned_shop").related_model
    return shop_model.objects.filter(pk=shop_id, status="active").exists()


def member_for(user: User) -> Member:
    """The user's member row, made on first use with a neutral nickname (店主1234 / 员工1234)."""
    member = Member.objects.filter(user=user).first()
    if member is not None:
        return member
    stem = _("Staff") if _is_staff(user) else _("Shopkeeper")
    try:
        with transaction.atomic():
            return Member.objects.create(user=user, nickname=f"{stem}{user.pk:04d}"[:NICKNAME_MAX])
    except IntegrityError:
        return Member.objects.get(user=user)


@transaction.atomic
def nickname_set(*, actor: User, nickname: str) -> Member:
    policy.require(actor, Perm.COMMUNITY_POST)
    name = (nickname or "").strip()
    if not 2 <= len(name) <= NICKNAME_MAX:
        raise FieldInvalid("nickname", _("Between 2 and %(n)d characters.") % {"n": NICKNAME_MAX})
    checked = wordlist.check(name, field="nickname")
    if checked.needs_review or checked.text != name:
        raise FieldInvalid("nickname", _("Choose another nickname."))
    member = member_for(actor)
    if Member.objects.filter(nickname=name).exclude(pk=member.pk).exists():
        raise FieldInvalid("nickname", _("This nickname is taken."))
    member.nickname = name
    member.save(update_fields=["nickname"])
    return member


def _require_poster(actor: User) -> Member:
    policy.require(actor, Perm.COMMUNITY_POST)
    if not can_post(actor):
        raise CannotPost()
    member = member_for(actor)
    if member.suspended_until and member.suspended_until > timezone.now():
        local = timezone.localtime(member.suspended_until)
        raise Suspended(until=local.strftime("%Y-%m-%d %H:%M"))
    return member


def _take_rate(actor: User) -> None:
    for window_s, limit in ((600, POSTS_PER_10_MIN), (86_400, POSTS_PER_DAY)):
        taken = window_take("forum-post", str(actor.pk), limit=limit, window_s=window_s)
        if taken.retry_after_s is not None:
            raise RateLimited()


def _text(value: str, field: str, low: int, high: int) -> str:
    text = (value or "").strip()
    if len(text) < low:
        raise FieldInvalid(field, _("At least %(n)d characters.") % {"n": low})
    if len(text) > high:
        raise FieldInvalid(field, _("At most %(n)d characters.") % {"n": high})
    return text


def _held_for(member: Member, actor: User, category: ForumCategory, needs_review: bool) -> str:
    if category.review_required:
        return Post.HeldFor.CATEGORY
    if needs_review:
        return Post.HeldFor.WORD
    if not _is_staff(actor) and member.approved_posts < TRUSTED_AFTER:
        return Post.HeldFor.NEW_AUTHOR
    return ""


def _visible_category(actor: User, category_id: int) -> ForumCategory:
    return policy.get_visible(actor, ForumCategory, category_id)


def _word_flag(post: Post) -> None:
    Flag.objects.create(post=post, flagger=None, reason=Flag.Reason.WORD, weight=0.0)


@transaction.atomic
def thread_create(*, actor: User, category_id: int, title: str, body: str) -> Thread:
    member = _require_poster(actor)
    category = _visible_category(actor, category_id)
    title = _text(title, "title", TITLE_MIN, TITLE_MAX)
    body = _text(body, "body", BODY_MIN, BODY_MAX)
    checked = wordlist.check_many({"title": title, "body": body})
    _take_rate(actor)
    held = _held_for(
        member, actor, category, checked["title"].needs_review or checked["body"].needs_review
    )
    now = timezone.now()
    visibility = Visibility.PENDING if held else Visibility.PUBLISHED
    thread = Thread.objects.create(
        category=category,
        search_text=indexed_text(checked["title"].text, checked["body"].text),
        title=checked["title"].text,
        author=actor,
        visibility=visibility,
        created_at=now,
        last_posted_at=now,
    )
    post = Post.objects.create(
        thread=thread,
        author=actor,
        by_staff=_is_staff(actor),
        is_opening=True,
        body=checked["body"].text,
        visibility=visibility,
        held_for=held,
        matched_words=checked["title"].matched + checked["body"].matched,
        created_at=now,
    )
    if checked["title"].flag or checked["body"].flag:
        _word_flag(post)
    _watch(actor, thread)
    if not held:
        Member.objects.filter(pk=member.pk).update(approved_posts=F("approved_posts") + 1)
        _announce(post)
    return thread


def _visible_thread(actor: User, thread_id: int, *, for_update: bool = False) -> Thread:
    """A published thread, or the actor's own, or one they moderate; 404 otherwise."""
    thread = policy.get_visible(actor, Thread, thread_id, for_update=for_update)
    if thread.visibility == Visibility.PUBLISHED or thread.author_id == actor.pk:
        return thread
    if policy.moderates_category(actor, thread.category):
        return thread
    raise NotFound()


@transaction.atomic
def reply_create(*, actor: User, thread_id: int, body: str, quote_id: int | None = None) -> Post:
    member = _require_poster(actor)
    thread = _visible_thread(actor, thread_id, for_update=True)
    if thread.visibility != Visibility.PUBLISHED:
        raise FieldInvalid("body", _("This thread is not open for replies yet."))
    body = _text(body, "body", BODY_MIN, BODY_MAX)
    quote = None
    if quote_id:
        quote = Post.objects.filter(
            pk=quote_id, thread=thread, visibility=Visibility.PUBLISHED
        ).first()
        if quote is None:
            raise FieldInvalid("quote", _("The quoted post is not in this thread."))
    checked = wordlist.check(body)
    _take_rate(actor)
    held = _held_for(member, actor, thread.category, checked.needs_review)
    now = timezone.now()
    post = Post.objects.create(
        thread=thread,
        author=actor,
        by_staff=_is_staff(actor),
        body=checked.text,
        quote=quote,
        visibility=Visibility.PENDING if held else Visibility.PUBLISHED,
        held_for=held,
        matched_words=checked.matched,
        created_at=now,
    )
    if checked.flag:
        _word_flag(post)
    _watch(actor, thread)
    if not held:
        _published(post, member_id=member.pk)
        _announce(post)
    return post


def _rescore(thread_id: int) -> None:
    from community.tasks import refresh_thread_hot_task

    enqueue(refresh_thread_hot_task, thread_id)


def _published(post: Post, *, member_id: int | None = None) -> None:
    """Counters after a post becomes visible: the thread's replies and last activity, the
    author's approved posts."""
    if not post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(
            reply_count=F("reply_count") + 1,
            last_posted_at=post.created_at,
        )
        _rescore(post.thread_id)
    members = (
        Member.objects.filter(pk=member_id)
        if member_id
        else Member.objects.filter(user_id=post.author_id)
    )
    members.update(approved_posts=F("approved_posts") + 1)


def _watch(user: User, thread: Thread) -> None:
    """Authors and repliers follow the thread (as Discourse tracks what you took part in)."""
    Watch.objects.get_or_create(user=user, thread=thread)


def _announce(post: Post) -> None:
    """Tell the followers once a post is public: a new thread to its category's followers, a
    reply to the thread's. Never for pending content; never to the author."""
    from servicedesk.models import OutboxMessage
    from servicedesk.outbox import messages_for, schedule_delivery

    thread = post.thread
    if post.is_opening:
        watchers = Watch.objects.filter(category_id=thread.category_id)
        subject = _("New thread in %(category)s: %(title)s") % {
            "category": thread.category.name,
            "title": thread.title,
        }
    else:
        watchers = Watch.objects.filter(thread_id=thread.pk)
        subject = _("New reply in “%(title)s”") % {"title": thread.title}
    recipients = [
        w.user for w in watchers.exclude(user_id=post.author_id).select_related("user")[:5000]
    ]
    if not recipients:
        return
    url = reverse("community:thread", args=[thread.pk]) + "?unread=1"
    rows = [
        m
        for user in recipients
        for m in messages_for(
            user, subject=subject[:200], body=post.body[:200], url=url, email=False
        )
    ]
    created = OutboxMessage.objects.bulk_create(rows)
    ids = [m.pk for m in created]
    transaction.on_commit(lambda: schedule_delivery(ids))


@transaction.atomic
def watch_set(
    *, actor: User, watching: bool, thread_id: int | None = None, category_id: int | None = None
) -> bool:
    """Follow or stop following a thread or a category; returns whether it is followed now."""
    policy.require(actor, Perm.COMMUNITY_READ)
    if (thread_id is None) == (category_id is None):
        raise FieldInvalid("target", _("Follow either a thread or a category."))
    if thread_id is not None:
        target = {"thread": _visible_thread(actor, thread_id)}
    else:
        target = {"category": _visible_category(actor, category_id)}
    if watching:
        Watch.objects.get_or_create(user=actor, **target)
    else:
        Watch.objects.filter(user=actor, **target).delete()
    return watching


def record_read(*, actor: User, thread: Thread) -> int:
    """Remember that ``actor`` has seen every published post of ``thread``; returns how many
    posts they had seen before (where the first unread one is)."""
    seen_now = thread.reply_count + 1
    read = ThreadRead.objects.filter(user=actor, thread=thread).first()
    if read is None:
        try:
            with transaction.atomic():
                ThreadRead.objects.create(
                    user=actor, thread=thread, seen_count=seen_now, read_at=timezone.now()
                )
        except IntegrityError:
            pass
        return 0
    before = read.seen_count
    if before != seen_now:
        ThreadRead.objects.filter(pk=read.pk).update(seen_count=seen_now, read_at=timezone.now())
    return before


def _unpublished(post: Post) -> None:
    if not post.is_opening:
        Thread.objects.filter(pk=post.thread_id, reply_count__gt=0).update(
            reply_count=F("reply_count") - 1
        )
        _rescore(post.thread_id)


def _visible_post(actor: User, post_id: int, *, for_update: bool = False) -> Post:
    post = policy.get_visible(actor, Post, post_id, for_update=for_update)
    if post.visibility != Visibility.PUBLISHED:
        raise NotFound()
    thread = post.thread
    if thread.visibility != Visibility.PUBLISHED:
        raise NotFound()
    return post


@transaction.atomic
def like_toggle(*, actor: User, post_id: int) -> bool:
    """Like a published post, or take the like back; True when it is now liked."""
    policy.require(actor, Perm.COMMUNITY_POST)
    post = _visible_post(actor, post_id, for_update=True)
    deleted, _rows = PostLike.objects.filter(post=post, user=actor).delete()
    delta = -1 if deleted else 1
    if not deleted:
        PostLike.objects.create(post=post, user=actor)
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + delta)
    Thread.objects.filter(pk=post.thread_id).update(like_count=F("like_count") + delta)
    _rescore(post.thread_id)
    return not deleted


@transaction.atomic
def mark_useful(*, actor: User, post_id: int) -> Post:
    """The thread's author or a moderator marks one reply as the useful answer (最佳回答)."""
    policy.require(actor, Perm.COMMUNITY_POST)
    post = _visible_post(actor, post_id, for_update=True)
    thread = post.thread
    if post.is_opening:
        raise FieldInvalid("post", _("The question itself cannot be its answer."))
    if thread.author_id != actor.pk and not policy.moderates_category(actor, thread.category):
        raise Forbidden()
    Post.objects.filter(thread=thread, is_useful=True).update(is_useful=False)
    post.is_useful = True
    post.save(update_fields=["is_useful"])
    return post


@transaction.atomic
def flag_post(*, actor: User, post_id: int, reason: str, note: str = "") -> Flag:
    """Report a post; past ``HIDE_AT_WEIGHT`` of weighted open flags it hides until reviewed."""
    policy.require(actor, Perm.COMMUNITY_POST)
    if reason not in Flag.Reason.values or reason == Flag.Reason.WORD:
        raise FieldInvalid("reason", _("Choose a reason."))
    post = _visible_post(actor, post_id, for_update=True)
    if post.author_id == actor.pk:
        raise FieldInvalid("post", _("You cannot flag your own post."))
    if Flag.objects.filter(post=post, flagger=actor).exists():
        raise FieldInvalid("post", _("You have already flagged this post."))
    past = Flag.objects.filter(flagger=actor, upheld__isnull=False)
    weight = flagger_weight(past.filter(upheld=True).count(), past.count())
    flag = Flag.objects.create(
        post=post, flagger=actor, reason=reason, note=(note or "")[:200], weight=weight
    )
    open_weight = sum(
        Flag.objects.filter(post=post, upheld__isnull=True).values_list("weight", flat=True)
    )
    if open_weight >= HIDE_AT_WEIGHT:
        _hide(post)
    return flag


def _hide(post: Post) -> None:
    post.visibility = Visibility.HIDDEN
    post.held_for = Post.HeldFor.FLAGS
    post.save(update_fields=["visibility", "held_for"])
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(visibility=Visibility.HIDDEN)
    else:
        _unpublished(post)


def _moderated_post(actor: User, post_id: int) -> Post:
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread__category")
        .filter(pk=post_id)
        .first()
    )
    if post is None or not policy.moderates_category(actor, post.thread.category):
        raise NotFound()
    return post


@transaction.atomic
def moderate_approve(*, actor: User, post_id: int) -> Post:
    post = _moderated_post(actor, post_id)
    if post.visibility not in (Visibility.PENDING, Visibility.HIDDEN):
        raise AlreadyModerated()
    was_hidden = post.visibility == Visibility.HIDDEN
    post.visibility = Visibility.PUBLISHED
    post.moderated_by, post.moderated_at = actor, timezone.now()
    post.save(update_fields=["visibility", "moderated_by", "moderated_at"])
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(visibility=Visibility.PUBLISHED)
    if was_hidden:
        if not post.is_opening:
            Thread.objects.filter(pk=post.thread_id).update(reply_count=F("reply_count") + 1)
    else:
        _published(post)
        _announce(post)
    Flag.objects.filter(post=post, upheld__isnull=True).update(upheld=False)
    audit_record(actor=actor, action="community.post_approved", target=post)
    return post


@transaction.atomic
def moderate_reject(*, actor: User, post_id: int, reason: str) -> Post:
    """Reject (or remove) a post with a reason the author is told; an opening post takes its
    thread with it."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldInvalid("reason", _("Tell the author why."))
    post = _moderated_post(actor, post_id)
    if post.visibility == Visibility.REJECTED:
        raise AlreadyModerated()
    if post.visibility == Visibility.PUBLISHED:
        _unpublished(post)
    post.visibility = Visibility.REJECTED
    post.reject_reason = reason[:200]
    post.moderated_by, post.moderated_at = actor, timezone.now()
    post.save(update_fields=["visibility", "reject_reason", "moderated_by", "moderated_at"])
    if post.is_opening:
        Thread.objects.filter(pk=post.thread_id).update(visibility=Visibility.REJECTED)
    Flag.objects.filter(post=post, upheld__isnull=True).update(upheld=True)
    audit_record(actor=actor, action="community.post_rejected", target=post, note=reason)
    _tell_author(post, reason)
    return post


def _tell_author(post: Post, reason: str) -> None:
    from servicedesk.outbox import notify

    title = post.thread.title
    transaction.on_commit(
        lambda: notify(
            post.author,
            subject=_("Your post in “%(title)s” was not published") % {"title": title},
            body=_("Reason: %(reason)s") % {"reason": reason},
            url=reverse("community:thread", args=[post.thread_id]),
            email=False,
        )
    )


@transaction.atomic
def member_suspend(*, actor: User, user_id: int, days: int, reason: str) -> Member:
    """Stop a member posting for ``days`` (1–365); moderators of any category may."""
    if not policy.has_perm(actor, Perm.COMMUNITY_MODERATE):
        # A category's named moderator suspends only people who post in their categories.
        theirs = Post.objects.filter(author_id=user_id).filter(
            policy.moderation_scope(actor, "thread__category")
        )
        if not theirs.exists():
            raise Forbidden()
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise FieldInvalid("days", _("Between 1 and 365 days."))
    reason = (reason or "").strip()
    if not reason:
        raise FieldInvalid("reason", _("Tell the member why."))
    member = Member.objects.select_for_update().filter(user_id=user_id).first()
    if member is None:
        raise NotFound()
    member.suspended_until = timezone.now() + datetime.timedelta(days=days)
    member.save(update_fields=["suspended_until"])
    audit_record(actor=actor, action="community.member_suspended", target=member, note=reason)
    return member


@transaction.atomic
def pin_thread(*, actor: User, thread_id: int, pinned: bool) -> Thread:
    """Pin a published thread as a hot topic (热点话题)."""
    policy.require(actor, Perm.COMMUNITY_PUBLISH)
    thread = _visible_thread(actor, thread_id, for_update=True)
    if thread.visibility != Visibility.PUBLISHED:
        raise Invalid(fields={"thread": [_("Only a published thread can be pinned.")]})
    thread.pinned = pinned
    thread.save(update_fields=["pinned"])
    audit_record(
        actor=actor,
        action="community.thread_pinned" if pinned else "community.thread_unpinned",
        target=thread,
    )
    return thread
